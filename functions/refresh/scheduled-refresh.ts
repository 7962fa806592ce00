import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '#http/logger.ts';
import { refreshDeps } from './deps.ts';
import { refreshDue } from './refresh.ts';

/** Every minute: refresh each registry whose refresh is due, a bounded number at a time. */
export const handler = async (_event: ScheduledEvent) => {
  const outcomes = await refreshDue({
    ...refreshDeps,
    concurrency: Number(process.env.REFRESH_CONCURRENCY ?? 8),
  });
  for (const outcome of outcomes) {
    if (outcome.outcome === 'failed') logger.warn('refresh failed', { ...outcome });
    else logger.info('refreshed', { ...outcome });
  }
  return { refreshed: outcomes.length };
};
