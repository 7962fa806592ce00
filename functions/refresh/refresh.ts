/**
 * Refreshing a registry from its source: fetch, and store a new snapshot only when the content changed
 * (same content records only the check). A failure keeps the last good snapshot and records the error.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '#lib/canonical-json.ts';
import type { Limits } from '#lib/limits.ts';
import { resolveRefreshSettings } from '#lib/source-schema.ts';
import type { Service } from '#lib/types.ts';
import { RegistryNotFoundError, StaleGenerationError } from '#store/errors.ts';
import type { RegistryRecord, RegistryStore } from '#store/port.ts';
import { fetchServices, type SecretResolver, SourceError } from '../sources/index.ts';

export type RefreshOutcome =
  | { registry: string; outcome: 'updated' | 'unchanged'; generation: number }
  | { registry: string; outcome: 'failed'; generation: number | null; error: string };

export interface RefreshDeps {
  store: RegistryStore;
  resolveSecret: SecretResolver;
  /** Per source: one slow source never holds the others. */
  timeoutMs: number;
  limits?: Limits;
  now?: () => Date;
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
  const source = record.source;
  if (!source) throw new NoSourceError(record.name);
  const checkedAt = (deps.now?.() ?? new Date()).toISOString();
  const current = record.snapshot?.generation ?? null;
  let services: Service[];
  try {
    services = await fetchServices(source, {
      resolveSecret: deps.resolveSecret,
      timeoutMs: deps.timeoutMs,
      ...(deps.limits ? { limits: deps.limits } : {}),
    });
  } catch (error) {
    const message = error instanceof SourceError ? error.message : 'the source failed unexpectedly';
    if (
      !(await store.recordRefresh(record.name, {
        incarnation: record.incarnation,
        checkedAt,
        error: message,
      }))
    ) {
      throw new RegistryNotFoundError(record.name);
    }
    return { registry: record.name, outcome: 'failed', generation: current, error: message };
  }
  const hash = contentHash(services);
  if (record.snapshot?.contentHash === hash) {
    if (!(await store.recordRefresh(record.name, { incarnation: record.incarnation, checkedAt })))
      throw new RegistryNotFoundError(record.name);
    return { registry: record.name, outcome: 'unchanged', generation: record.snapshot.generation };
  }
  try {
    // The generation after the one whose hash was compared: if anything was stored meanwhile, this
    // write is refused instead of storing the same content twice.
    const next = (current ?? 0) + 1;
    const written = await store.putSnapshot(record.name, services, {
      generation: next,
      contentHash: hash,
      refresh: { incarnation: record.incarnation, checkedAt },
    });
    return { registry: record.name, outcome: 'updated', generation: written.generation };
  } catch (error) {
    if (!(error instanceof StaleGenerationError)) throw error;
    // Another refresh stored the same content first: nothing changed after all.
    const latest = await store.getRegistry(record.name);
    if (latest?.snapshot?.contentHash === hash) {
      await store.recordRefresh(record.name, { incarnation: record.incarnation, checkedAt });
      return { registry: record.name, outcome: 'unchanged', generation: latest.snapshot.generation };
    }
    // A push raced ahead of this refresh: the pushed snapshot is newer, nothing is lost.
    return { registry: record.name, outcome: 'failed', generation: error.current, error: error.message };
  }
}

export function isDue(record: RegistryRecord, now: number): boolean {
  if (!record.source) return false;
  if (!record.checkedAt) return true;
  const { refreshSeconds } = resolveRefreshSettings(record);
  // A little slack so a registry due every 60 s is not skipped by a schedule that fires at 59.9 s.
  return now - Date.parse(record.checkedAt) >= refreshSeconds * 1000 - 2_000;
}

/** Refreshes every due registry, at most `concurrency` at a time; one failure never stops the rest. */
export async function refreshDue(deps: RefreshDeps & { concurrency: number }): Promise<RefreshOutcome[]> {
  const now = (deps.now?.() ?? new Date()).getTime();
  const registries = await deps.store.listRegistries();
  const due = registries.filter((record) => isDue(record, now));
  const outcomes: RefreshOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const record = due[next++] as RegistryRecord;
      try {
        outcomes.push(await refreshRegistry(record, deps));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcomes.push({ registry: record.name, outcome: 'failed', generation: null, error: message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, due.length) }, worker));
  return outcomes;
}
