/**
 * Every minute: mark registries stale (or fresh again) as of now, so that every view is a function of
 * its revision and never of the clock; and remove history past the retention and the chunks of writes
 * that never completed.
 */
import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '#http/logger.ts';
import { store as deploymentStore } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';

export function makeHandler(deps: { store: RegistryStore; now?: () => Date }) {
  return async (_event?: ScheduledEvent) => {
    const now = deps.now?.() ?? new Date();
    const freshness = await deps.store.updateFreshness(now);
    const swept = await deps.store.sweep(now);
    const summary = { freshnessChanged: freshness, ...swept };
    logger.info('housekeeping done', summary);
    return summary;
  };
}

export const handler = makeHandler({ store: deploymentStore });
