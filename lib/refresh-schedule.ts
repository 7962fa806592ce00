/**
 * Which registries the scheduled refresh takes, and in what order. Pure: the caller passes the clock.
 *
 * - Due: a registry with a source whose last check is at least its refresh period ago (a little
 *   slack, so a period of 60 s is not skipped by a schedule that fires at 59.9 s).
 * - Back-off: a source that failed `failures` times in a row waits refreshSeconds × 2^(failures-1),
 *   capped at `backoffMaxSeconds` (never less than its own period), so hanging sources stop eating
 *   the budget of the others every minute.
 * - Order: never checked first, then the oldest check first, so registries registered late are not
 *   starved by early ones that keep timing out.
 */

import { resolveRefreshSettings } from './refresh-settings.ts';
import type { RegistryRecord } from './registry.ts';

const SLACK_MS = 2_000;

/** Seconds to wait after the last check of a registry whose source failed `failures` times in a row. */
export function refreshIntervalSeconds(
  refreshSeconds: number,
  failures: number,
  backoffMaxSeconds: number,
): number {
  if (failures <= 1) return refreshSeconds;
  const backedOff = refreshSeconds * 2 ** Math.min(failures - 1, 30);
  return Math.max(refreshSeconds, Math.min(backedOff, backoffMaxSeconds));
}

export function isDue(record: RegistryRecord, now: number, backoffMaxSeconds: number): boolean {
  if (!record.source) return false;
  if (!record.checkedAt) return true;
  const { refreshSeconds } = resolveRefreshSettings(record);
  const interval = refreshIntervalSeconds(refreshSeconds, record.failures ?? 0, backoffMaxSeconds);
  return now - Date.parse(record.checkedAt) >= interval * 1000 - SLACK_MS;
}

/** The due registries, never checked first, then by last check, oldest first (stable otherwise). */
export function dueRegistries(
  records: readonly RegistryRecord[],
  now: number,
  backoffMaxSeconds: number,
): RegistryRecord[] {
  const checked = (record: RegistryRecord) =>
    record.checkedAt === undefined ? Number.NEGATIVE_INFINITY : Date.parse(record.checkedAt);
  return records
    .filter((record) => isDue(record, now, backoffMaxSeconds))
    .map((record, index) => ({ record, index }))
    .sort((a, b) => checked(a.record) - checked(b.record) || a.index - b.index)
    .map(({ record }) => record);
}
