/**
 * The registry store: everything the functions need from storage, in domain types only. Two
 * implementations pass one contract suite (test/integration/store-contract.test.ts): DynamoDB
 * (functions/store/dynamodb/) and an in-memory twin (functions/store/memory-store.ts) that the
 * in-process handler tests use.
 *
 * Revisions: every change that alters what the merged view shows (a registry created, deleted or given
 * other view-relevant settings; a snapshot stored; a refresh error appearing, changing or clearing; a
 * registry turning stale or fresh) records a new revision with the list of view entries as they are
 * after it. A change that alters nothing the view shows (an unchanged refresh, a new check time, a
 * description) records no revision. Superseded revisions and the snapshots they reference stay readable
 * for the history retention, so no read fails because data was removed under it.
 *
 * Errors: RegistryNotFoundError, StaleGenerationError, GenerationLimitError, StoreUnavailableError,
 * IngestTokenChangedError, RevisionNotFoundError (not reached yet), RevisionExpiredError (older than
 * the retention).
 */
import type { RegistryRecord, RegistrySettings, SkippedObjects, ViewState } from '#lib/registry.ts';
import type { Service } from '#lib/types.ts';

export type { RegistryRecord, RegistrySettings, SnapshotRef, ViewState } from '#lib/registry.ts';

export interface SnapshotWriteOptions {
  /** Without it the snapshot gets the next generation. */
  generation?: number;
  contentHash?: string;
  /**
   * Set when the snapshot comes from a refresh: it also records the successful check, and is refused
   * (RegistryNotFoundError) unless the registry is still this incarnation.
   */
  refresh?: { incarnation: string; checkedAt: string; skipped?: SkippedObjects };
  /** What startSnapshotWrite read: the write's first attempt starts from it instead of reading again. */
  start?: SnapshotWriteStart;
  /**
   * Write only while this (hex) is the registry's ingest-token digest: a push authorised by a token
   * that is rotated before the write lands is refused (IngestTokenChangedError), with nothing visible.
   */
  ingestTokenDigest?: string;
}

/**
 * The read a snapshot write starts from, taken before the body is looked at so that the registry's
 * ingest token can be checked against it: a push authorised by that token then costs no read of its
 * own. Opaque but for the digest; it belongs to the store and the registry it was read from.
 */
export interface SnapshotWriteStart {
  readonly registry: string;
  /** The registry's ingest-token digest (hex) as read; null when there is no registry or no token. */
  readonly ingestTokenDigest: string | null;
}

export interface SnapshotWrite {
  registry: string;
  generation: number;
  serviceCount: number;
}

export interface RefreshRecord {
  /** The incarnation the refresh started from: a refresh never writes into a re-created registry. */
  incarnation: string;
  checkedAt: string;
  /** A short, reader-safe reason; absent for a refresh that found the stored content unchanged. */
  error?: string;
}

export interface LoadOptions {
  /** Also decode the services' endpoints (stored apart, so the services view reads less). */
  endpoints?: boolean;
}

export interface RegistryStore {
  /** Creates the registry at the end of the registration order, or replaces an existing one's settings. */
  putRegistry(
    name: string,
    settings: RegistrySettings,
    options?: { ingestTokenDigest?: string },
  ): Promise<{ record: RegistryRecord; created: boolean }>;
  getRegistry(name: string): Promise<RegistryRecord | null>;
  /** Every registry, in registration order, read consistently. */
  listRegistries(): Promise<RegistryRecord[]>;
  deleteRegistry(name: string): Promise<boolean>;
  getIngestTokenDigest(name: string): Promise<string | null>;
  setIngestTokenDigest(name: string, digestHex: string): Promise<boolean>;
  startSnapshotWrite(name: string): Promise<SnapshotWriteStart>;
  putSnapshot(
    name: string,
    services: readonly Service[],
    options?: SnapshotWriteOptions,
  ): Promise<SnapshotWrite>;
  /** Records a refresh that stored no new snapshot; false when the registry (incarnation) is gone. */
  recordRefresh(name: string, outcome: RefreshRecord): Promise<boolean>;
  /** Marks registries stale, or fresh again, as of `now`; returns the names whose state changed. */
  updateFreshness(now: Date): Promise<string[]>;
  /** The current revision: one small read, the gate of every warm query. */
  currentRevision(): Promise<{ epoch: string; revision: number }>;
  /** The view entries at `revision` (default: the current one). */
  viewState(revision?: number): Promise<ViewState>;
  /**
   * The services of stored snapshots, by snapshot id. A snapshot whose data cannot be read is absent
   * from the map rather than failing the others; the caller reports or serves an older copy.
   */
  loadSnapshots(ids: readonly string[], options?: LoadOptions): Promise<Map<string, Service[]>>;
  /** Housekeeping: removes history past the retention and data of writes that never completed. */
  sweep(now: Date): Promise<{ removedSnapshots: number; removedRevisions: number }>;
}
