/**
 * Freshness of a registry's snapshot. A snapshot is confirmed by its push or by a refresh that found it
 * current; it turns stale `maxAgeSeconds` after that (default 3 × refreshSeconds). The `stale` flag is
 * written by the freshness sweep (so that every view is a function of its revision, never of the
 * clock); these rules decide when the sweep sets or clears it.
 */

import { resolveRefreshSettings } from './refresh-settings.ts';
import type { RegistryRecord, RegistryViewEntry } from './registry.ts';

/**
 * ok: a current snapshot. stale: last confirmed more than maxAgeSeconds ago. error: the last refresh
 * failed (a last-known-good snapshot, if any, is still served). empty: no snapshot yet.
 */
export type RegistryStatus = 'ok' | 'stale' | 'error' | 'empty';

/** When the current snapshot turns stale unless confirmed again; null without a snapshot. */
export function staleAt(record: RegistryRecord): number | null {
  if (!record.snapshot) return null;
  const confirmed = Date.parse(record.confirmedAt ?? record.snapshot.snapshotAt);
  return confirmed + resolveRefreshSettings(record).maxAgeSeconds * 1000;
}

/** Whether the sweep should mark the registry stale at `now`. */
export function isStaleAt(record: RegistryRecord, now: number): boolean {
  const at = staleAt(record);
  return at !== null && now > at;
}

export function statusOf(entry: Pick<RegistryViewEntry, 'lastError' | 'snapshot' | 'stale'>): RegistryStatus {
  if (entry.lastError !== undefined) return 'error';
  if (!entry.snapshot) return 'empty';
  return entry.stale ? 'stale' : 'ok';
}
