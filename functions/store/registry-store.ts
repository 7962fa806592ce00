/** What the functions need from storage; one implementation, DynamoDB (dynamodb-store.ts). */
import type { Service } from '#lib/types.ts';

/** The settings a client sets with PUT /registries/{name}; stored as given. */
export interface RegistrySettings {
  clusterId?: string;
  provider?: string;
  description?: string;
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
}

export interface RegistryRecord extends RegistrySettings {
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

export interface RegistryStore {
  putRegistry(
    name: string,
    settings: RegistrySettings,
  ): Promise<{ record: RegistryRecord; created: boolean }>;
  getRegistry(name: string): Promise<RegistryRecord | null>;
  /** One consistent read of every registry, in registration order. */
  listRegistries(): Promise<RegistryList>;
  deleteRegistry(name: string): Promise<boolean>;
  putSnapshot(name: string, services: readonly Service[], generation?: number): Promise<SnapshotWrite>;
  loadSnapshots(pointers: readonly SnapshotPointer[]): Promise<Map<string, Service[]>>;
}
