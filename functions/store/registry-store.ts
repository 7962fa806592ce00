/** What the functions need from storage; one implementation, DynamoDB (dynamodb-store.ts). */
import type { Source } from '#lib/source-schema.ts';
import type { Service } from '#lib/types.ts';

/** The settings a client sets with PUT /registries/{name}; stored as given. */
export interface RegistrySettings {
  clusterId?: string;
  provider?: string;
  description?: string;
  source?: Source;
  refreshSeconds?: number;
  maxAgeSeconds?: number;
}

/** Where the current snapshot of a registry lives. Immutable once written. */
export interface SnapshotPointer {
  registry: string;
  id: string;
  generation: number;
  chunkCount: number;
  serviceCount: number;
  jsonBytes: number;
  storedBytes: number;
  storedAt: string;
  /** sha256 of the services' JSON, so a refresh that finds the same content stores nothing. */
  contentHash?: string;
}

/** What the scheduled refresh last found; absent for registries that were never refreshed. */
export interface RefreshState {
  /** The last refresh attempt. */
  checkedAt?: string;
  /** The last time the current snapshot was known to be current: its push, or a successful refresh. */
  confirmedAt?: string;
  lastError?: string;
  lastErrorAt?: string;
}

export interface RegistryRecord extends RegistrySettings, RefreshState {
  name: string;
  position: number;
  createdAt: string;
  updatedAt: string;
  snapshot: SnapshotPointer | null;
}

export interface RegistryList {
  /** Bumped in the same transaction as every registry or snapshot change. */
  revision: number;
  /** Changes when the table is created anew, so a revision number is never reused for other data. */
  epoch: string;
  registries: RegistryRecord[];
}

export interface SnapshotWrite {
  registry: string;
  generation: number;
  serviceCount: number;
}

export interface SnapshotWriteOptions {
  contentHash?: string;
  /** Set when the snapshot comes from a refresh: it also records the successful check. */
  checkedAt?: string;
}

export interface RegistryStore {
  putRegistry(
    name: string,
    settings: RegistrySettings,
  ): Promise<{ record: RegistryRecord; created: boolean }>;
  getRegistry(name: string): Promise<RegistryRecord | null>;
  /** One consistent read of every registry, in registration order. */
  listRegistries(): Promise<RegistryList>;
  deleteRegistry(name: string): Promise<boolean>;
  putSnapshot(
    name: string,
    services: readonly Service[],
    generation?: number,
    options?: SnapshotWriteOptions,
  ): Promise<SnapshotWrite>;
  /** Records a refresh attempt that stored no new snapshot (unchanged content, or a failure). */
  recordRefresh(name: string, outcome: { checkedAt: string; error?: string }): Promise<boolean>;
  loadSnapshots(pointers: readonly SnapshotPointer[]): Promise<Map<string, Service[]>>;
}
