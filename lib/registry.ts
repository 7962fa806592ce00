/**
 * A registry as the domain knows it: its settings, its place in the registration order, its current
 * snapshot and what its refreshes found. And the part of it the merged view shows, which is what the
 * revision follows: the revision moves exactly when the list of `RegistryViewEntry` changes.
 * Pure data and pure functions: no AWS, no I/O.
 */
import { canonicalJson } from './canonical-json.ts';
import type { Source } from './source-schema.ts';

/** What a client sets with PUT /registries/{name}; stored as given. */
export interface RegistrySettings {
  clusterId?: string;
  provider?: string;
  description?: string;
  /** The Istio network this registry's endpoints are reachable on. */
  network?: string;
  source?: Source;
  refreshSeconds?: number;
  maxAgeSeconds?: number;
}

/** A stored snapshot of a registry. Immutable once stored; `id` is opaque and unique per store. */
export interface SnapshotRef {
  id: string;
  generation: number;
  serviceCount: number;
  /** When the snapshot was stored. */
  snapshotAt: string;
  /** sha256 of the services' canonical JSON, so a refresh that finds the same content stores nothing. */
  contentHash?: string;
}

/** Objects a source returned that do not fit the snapshot schema: left out, counted, a few named. */
export interface SkippedObjects {
  count: number;
  /** At most a handful of short reasons, e.g. `service "web frontend": hostname is not a DNS name`. */
  examples: string[];
}

export interface RegistryRecord extends RegistrySettings {
  name: string;
  /** Unique per creation: a registry deleted and created again under the same name is another one. */
  incarnation: string;
  position: number;
  createdAt: string;
  updatedAt: string;
  snapshot: SnapshotRef | null;
  /** The last refresh attempt. */
  checkedAt?: string;
  /** The last time the current snapshot was known to be current: its push, or a successful refresh. */
  confirmedAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  /** Set by the freshness sweep once confirmedAt + maxAgeSeconds has passed; a push or refresh clears it. */
  stale?: boolean;
  /** What the last successful refresh left out. */
  skipped?: SkippedObjects;
  /** Refreshes that failed in a row; the scheduled refresh backs off such sources. */
  failures?: number;
}

/** The part of a registry that GET /services shows. Check times are not in it: they change every minute. */
export interface RegistryViewEntry {
  name: string;
  position: number;
  clusterId?: string;
  provider?: string;
  network?: string;
  snapshot: SnapshotRef | null;
  lastError?: string;
  stale?: boolean;
  skipped?: SkippedObjects;
}

/** The registries as the merged view saw them at one revision, in registration order. */
export interface ViewState {
  /** Changes when the store is created anew, so that a revision number is never reused for other data. */
  epoch: string;
  revision: number;
  /** When this revision was recorded. */
  recordedAt: string;
  registries: RegistryViewEntry[];
}

export function viewEntry(record: RegistryRecord): RegistryViewEntry {
  return {
    name: record.name,
    position: record.position,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    ...(record.provider !== undefined ? { provider: record.provider } : {}),
    ...(record.network !== undefined ? { network: record.network } : {}),
    snapshot: record.snapshot,
    ...(record.lastError !== undefined ? { lastError: record.lastError } : {}),
    ...(record.stale ? { stale: true } : {}),
    ...(record.skipped && record.skipped.count > 0 ? { skipped: record.skipped } : {}),
  };
}

/** The view entries of records, in registration order. */
export function viewEntries(records: readonly RegistryRecord[]): RegistryViewEntry[] {
  return [...records].sort((a, b) => a.position - b.position).map(viewEntry);
}

/** Whether two lists of entries would show the same merged view (so the revision stays). */
export function sameViewEntries(a: readonly RegistryViewEntry[], b: readonly RegistryViewEntry[]): boolean {
  return a.length === b.length && canonicalJson(a) === canonicalJson(b);
}
