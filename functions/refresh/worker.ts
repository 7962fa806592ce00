/**
 * The refresh worker: the only function that talks to sources and reads their secrets. The schedule
 * invokes it every minute (refresh what is due; the housekeeping function runs the freshness sweep);
 * POST /registries/{name}/refresh invokes it synchronously with `{"registry": name}` after
 * authorising the caller.
 */
import type { Context } from 'aws-lambda';
import { MetricUnit, metrics } from '#http/metrics.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import {
  NoSourceError,
  type RefreshOutcome,
  refreshDue,
  refreshRegistry,
  type ScheduleDeps,
} from './refresh.ts';

export interface RefreshRequest {
  registry: string;
}

export type WorkerAnswer =
  | { ok: true; outcome: RefreshOutcome }
  | { ok: false; code: 'RegistryNotFound' | 'NoSource'; message: string };

export interface WorkerLog {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export function isRefreshRequest(event: unknown): event is RefreshRequest {
  return (
    event !== null &&
    typeof event === 'object' &&
    'registry' in event &&
    typeof event.registry === 'string' &&
    event.registry.length <= 63
  );
}

export function makeWorker(deps: ScheduleDeps & { log?: WorkerLog }) {
  async function refreshOne(name: string): Promise<WorkerAnswer> {
    const record = await deps.store.getRegistry(name);
    if (!record) return { ok: false, code: 'RegistryNotFound', message: `registry "${name}" not found` };
    try {
      return { ok: true, outcome: await refreshRegistry(record, deps) };
    } catch (error) {
      if (error instanceof NoSourceError) return { ok: false, code: 'NoSource', message: error.message };
      if (error instanceof RegistryNotFoundError) {
        return { ok: false, code: 'RegistryNotFound', message: `registry "${name}" not found` };
      }
      throw error;
    }
  }

  return async (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
    if (isRefreshRequest(event)) return refreshOne(event.registry);
    const outcomes = await refreshDue({
      ...deps,
      ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    });
    const counts: Record<RefreshOutcome['outcome'], number> = {
      updated: 0,
      unchanged: 0,
      failed: 0,
      deferred: 0,
    };
    for (const outcome of outcomes) {
      counts[outcome.outcome]++;
      if (outcome.outcome === 'failed') deps.log?.warn('refresh failed', { ...outcome });
      else deps.log?.info(outcome.outcome === 'deferred' ? 'refresh deferred' : 'refreshed', { ...outcome });
    }
    // The scheduled invocation has no Middy stack: its outcome metrics are flushed here.
    for (const [outcome, count] of Object.entries(counts)) {
      metrics.addMetric(`Refresh_${outcome}`, MetricUnit.Count, count);
    }
    metrics.publishStoredMetrics();
    return {
      refreshed: outcomes.filter((outcome) => outcome.outcome !== 'deferred').length,
      deferred: outcomes.filter((outcome) => outcome.outcome === 'deferred').length,
    };
  };
}
