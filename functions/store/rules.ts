/**
 * The rules both stores apply, as pure functions of a registry record: what a settings change, a new
 * snapshot or a refresh outcome does to it, the generation rules, and the size bound of settings. The
 * stores only decide how to persist the result, so they cannot drift apart on semantics.
 */
import { canonicalJson } from '#lib/canonical-json.ts';
import type { RegistryRecord, RegistrySettings, SnapshotRef } from '#lib/registry.ts';
import { GenerationLimitError, SettingsTooLargeError, StaleGenerationError } from './errors.ts';
import type { RefreshRecord, SnapshotWriteOptions } from './port.ts';

/** How long superseded revisions and snapshots stay readable unless HISTORY_RETENTION_SECONDS says otherwise. */
export const DEFAULT_HISTORY_RETENTION_SECONDS = 3600;

/** The largest generation: the next one would not be an exact number in JavaScript or DynamoDB's SDK. */
export const GENERATION_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * A registry is one item of at most 400 KB in DynamoDB; the rest of the record (snapshot reference,
 * refresh state, token digest, attribute names) takes a few KB at most, so settings get the remainder
 * with a margin.
 */
export const SETTINGS_MAX_BYTES = 380 * 1024;

export const SETTING_KEYS = [
  'clusterId',
  'provider',
  'description',
  'network',
  'source',
  'refreshSeconds',
  'maxAgeSeconds',
] as const satisfies readonly (keyof RegistrySettings)[];

export function settingsOf(record: RegistrySettings): RegistrySettings {
  const settings: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (record[key] !== undefined) settings[key] = record[key];
  return settings as RegistrySettings;
}

export function sameSettings(a: RegistrySettings, b: RegistrySettings): boolean {
  return canonicalJson(settingsOf(a)) === canonicalJson(settingsOf(b));
}

export function assertSettingsFit(name: string, settings: RegistrySettings): void {
  const bytes = Buffer.byteLength(JSON.stringify(settingsOf(settings)));
  if (bytes > SETTINGS_MAX_BYTES) throw new SettingsTooLargeError(name, bytes, SETTINGS_MAX_BYTES);
}

export function newRecord(
  name: string,
  settings: RegistrySettings,
  identity: { incarnation: string; position: number; now: string },
): RegistryRecord {
  return {
    name,
    incarnation: identity.incarnation,
    position: identity.position,
    ...settingsOf(settings),
    createdAt: identity.now,
    updatedAt: identity.now,
    snapshot: null,
  };
}

/**
 * Settings are replaced as given. A registry without a source takes no refreshes, so whatever the last
 * refresh reported (its error, its failure count) no longer describes it.
 */
export function withSettings(
  record: RegistryRecord,
  settings: RegistrySettings,
  now: string,
): RegistryRecord {
  const next: RegistryRecord = { ...withoutSettings(record), ...settingsOf(settings), updatedAt: now };
  if (!settings.source) {
    delete next.lastError;
    delete next.lastErrorAt;
    delete next.failures;
  }
  return next;
}

function withoutSettings(record: RegistryRecord): RegistryRecord {
  const copy = { ...record };
  for (const key of SETTING_KEYS) delete copy[key];
  return copy;
}

/** The generation a new snapshot gets, or the typed refusal. */
export function targetGeneration(name: string, current: number, explicit?: number): number {
  if (current >= GENERATION_LIMIT) throw new GenerationLimitError(name, GENERATION_LIMIT);
  if (explicit === undefined) return current + 1;
  if (!Number.isSafeInteger(explicit) || explicit > GENERATION_LIMIT) {
    throw new GenerationLimitError(name, GENERATION_LIMIT);
  }
  if (explicit <= current) throw new StaleGenerationError(name, explicit, current);
  return explicit;
}

/**
 * A new snapshot confirms itself and clears `stale`. From a refresh it also records the successful
 * check (clearing the error and the failure count) and what the source's answer left out; a push
 * leaves the refresh state alone but drops `skipped`, which described the replaced snapshot.
 */
export function withSnapshot(
  record: RegistryRecord,
  snapshot: SnapshotRef,
  refresh: SnapshotWriteOptions['refresh'],
): RegistryRecord {
  const next: RegistryRecord = { ...record, snapshot, confirmedAt: snapshot.snapshotAt };
  delete next.stale;
  delete next.skipped;
  if (refresh) {
    // The refresh's checkedAt is when it started fetching; the check completed when the snapshot was
    // stored, so a registry never shows a check older than its snapshot.
    next.checkedAt = [snapshot.snapshotAt, refresh.checkedAt].sort().at(-1) as string;
    delete next.lastError;
    delete next.lastErrorAt;
    delete next.failures;
    if (refresh.skipped && refresh.skipped.count > 0) next.skipped = structuredClone(refresh.skipped);
  }
  return next;
}

/** A refresh that stored nothing: a failure keeps the snapshot and counts; a success confirms it. */
export function withRefresh(record: RegistryRecord, outcome: RefreshRecord): RegistryRecord {
  const next: RegistryRecord = { ...record, checkedAt: outcome.checkedAt };
  if (outcome.error !== undefined) {
    next.lastError = outcome.error;
    next.lastErrorAt = outcome.checkedAt;
    next.failures = (record.failures ?? 0) + 1;
  } else {
    next.confirmedAt = outcome.checkedAt;
    delete next.lastError;
    delete next.lastErrorAt;
    delete next.failures;
    delete next.stale;
  }
  return next;
}

export function withStale(record: RegistryRecord, stale: boolean): RegistryRecord {
  const next: RegistryRecord = { ...record };
  if (stale) next.stale = true;
  else delete next.stale;
  return next;
}
