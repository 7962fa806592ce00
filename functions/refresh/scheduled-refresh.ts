import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '#http/logger.ts';
import { limitsFrom } from '#lib/limits.ts';
import { store } from '#store/client.ts';
import { refreshDue } from './refresh.ts';
import { lambdaSecretResolver } from './secret-resolver.ts';

const resolveSecret = lambdaSecretResolver(process.env);
const limits = limitsFrom(process.env);

/** Every minute: refresh each registry whose refresh is due, a bounded number at a time. */
export const handler = async (_event: ScheduledEvent) => {
  const outcomes = await refreshDue({
    store,
    resolveSecret,
    limits,
    timeoutMs: Number(process.env.REFRESH_TIMEOUT_MS ?? 10_000),
    concurrency: Number(process.env.REFRESH_CONCURRENCY ?? 8),
  });
  for (const outcome of outcomes) {
    if (outcome.outcome === 'failed') logger.warn('refresh failed', { ...outcome });
    else logger.info('refreshed', { ...outcome });
  }
  return { refreshed: outcomes.length };
};
