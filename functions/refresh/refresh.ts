/**
 * Refreshing a registry from its source: fetch, and store a new snapshot only when the content changed
 * (same content records only the check). A failure keeps the last good snapshot and records a short,
 * reader-safe error; what the upstream said goes to the logs. Every write carries the incarnation the
 * refresh started from, so a refresh in flight across a delete and re-create writes nothing.
 */
import { createHash } from 'node:crypto';
import pMap from 'p-map';
import { canonicalJson } from '#lib/canonical-json.ts';
import type { Limits } from '#lib/limits.ts';
import { dueRegistries } from '#lib/refresh-schedule.ts';
import type { SkippedObjects } from '#lib/registry.ts';
import type { SecretRules } from '#lib/source-schema.ts';
import type { Service } from '#lib/types.ts';
import { RegistryNotFoundError, StaleGenerationError } from '#store/errors.ts';
import type { RegistryRecord, RegistryStore } from '#store/port.ts';
import { fetchSnapshot, type SecretResolver, SourceError } from '../sources/index.ts';

export type RefreshOutcome =
  | {
      registry: string;
      outcome: 'updated' | 'unchanged';
      generation: number;
      skipped?: SkippedObjects;
    }
  | { registry: string; outcome: 'failed'; generation: number | null; error: string }
  /** Not started: the invocation had too little time left; the next schedule takes it first. */
  | { registry: string; outcome: 'deferred' };

export interface RefreshLog {
  warn(message: string, extra: Record<string, unknown>): void;
}

export interface RefreshDeps {
  store: RegistryStore;
  resolveSecret: SecretResolver;
  /** Per source: one slow source never holds the others. */
  timeoutMs: number;
  limits?: Limits;
  denyCidrs?: readonly string[];
  /** Where secret references may point (`/aggregate-registry/<stage>/sources/`, `SOURCE_SECRET_*`). */
  secretRules?: SecretRules;
  now?: () => Date;
  /** Where upstream details (error bodies, kinds) go: logs, never the registry. */
  log?: RefreshLog;
}

export interface ScheduleDeps extends RefreshDeps {
  concurrency: number;
  /** What the invocation has left (the Lambda context's `getRemainingTimeInMillis`). */
  remainingMs?: () => number;
  /** No new refresh starts with less than this left. */
  reserveMs?: number;
  backoffMaxSeconds?: number;
}

export class NoSourceError extends Error {
  override readonly name = 'NoSourceError';
  constructor(readonly registry: string) {
    super(`registry "${registry}" has no source to refresh from; its snapshots are pushed`);
  }
}

export function contentHash(services: readonly Service[]): string {
  return createHash('sha256').update(canonicalJson(services)).digest('hex');
}

export async function refreshRegistry(record: RegistryRecord, deps: RefreshDeps): Promise<RefreshOutcome> {
  const { store } = deps;
  const { name, incarnation } = record;
  const source = record.source;
  if (!source) throw new NoSourceError(name);
  const checkedAt = (deps.now?.() ?? new Date()).toISOString();
  const current = record.snapshot?.generation ?? null;
  let services: Service[];
  let skipped: SkippedObjects;
  try {
    ({ services, skipped } = await fetchSnapshot(source, {
      resolveSecret: deps.resolveSecret,
      timeoutMs: deps.timeoutMs,
      ...(deps.limits ? { limits: deps.limits } : {}),
      ...(deps.denyCidrs ? { denyCidrs: deps.denyCidrs } : {}),
      ...(deps.secretRules ? { secretRules: deps.secretRules } : {}),
    }));
  } catch (error) {
    const message = error instanceof SourceError ? error.message : 'the source failed unexpectedly';
    deps.log?.warn('refresh failed', {
      registry: name,
      error: message,
      ...(error instanceof SourceError
        ? { kind: error.kind, ...(error.detail ? { upstream: error.detail } : {}) }
        : { cause: String(error) }),
    });
    if (!(await store.recordRefresh(name, { incarnation, checkedAt, error: message }))) {
      throw new RegistryNotFoundError(name);
    }
    return { registry: name, outcome: 'failed', generation: current, error: message };
  }
  const reported = skipped.count > 0 ? { skipped } : {};
  const hash = contentHash(services);
  if (record.snapshot?.contentHash === hash) {
    if (!(await store.recordRefresh(name, { incarnation, checkedAt }))) throw new RegistryNotFoundError(name);
    return { registry: name, outcome: 'unchanged', generation: record.snapshot.generation, ...reported };
  }
  try {
    // The generation after the one whose hash was compared: if anything was stored meanwhile, this
    // write is refused instead of storing the same content twice.
    const next = (current ?? 0) + 1;
    const written = await store.putSnapshot(name, services, {
      generation: next,
      contentHash: hash,
      refresh: { incarnation, checkedAt, ...(skipped.count > 0 ? { skipped } : {}) },
    });
    return { registry: name, outcome: 'updated', generation: written.generation, ...reported };
  } catch (error) {
    if (!(error instanceof StaleGenerationError)) throw error;
    // Another refresh stored the same content first: nothing changed after all.
    const latest = await store.getRegistry(name);
    if (latest === null || latest.incarnation !== incarnation) throw new RegistryNotFoundError(name);
    if (latest.snapshot?.contentHash === hash) {
      await store.recordRefresh(name, { incarnation, checkedAt });
      return { registry: name, outcome: 'unchanged', generation: latest.snapshot.generation, ...reported };
    }
    // A push raced ahead of this refresh: the pushed snapshot is newer, nothing is lost.
    return { registry: name, outcome: 'failed', generation: error.current, error: error.message };
  }
}

/**
 * Refreshes every due registry, oldest check first, at most `concurrency` at a time; one failure never
 * stops the rest, and no refresh starts when the invocation has less than `reserveMs` left.
 */
export async function refreshDue(deps: ScheduleDeps): Promise<RefreshOutcome[]> {
  const now = (deps.now?.() ?? new Date()).getTime();
  const registries = await deps.store.listRegistries();
  const due = dueRegistries(registries, now, deps.backoffMaxSeconds ?? 900);
  return pMap(
    due,
    async (record): Promise<RefreshOutcome> => {
      if (deps.remainingMs !== undefined && deps.remainingMs() < (deps.reserveMs ?? 0)) {
        return { registry: record.name, outcome: 'deferred' };
      }
      try {
        return await refreshRegistry(record, deps);
      } catch (error) {
        const message =
          error instanceof RegistryNotFoundError
            ? 'the registry was deleted during its refresh'
            : String(error);
        return { registry: record.name, outcome: 'failed', generation: null, error: message };
      }
    },
    { concurrency: deps.concurrency },
  );
}
