/**
 * The registry store in memory: the same semantics as the DynamoDB store (one contract suite runs
 * against both), for in-process handler tests and local experiments. Every method runs to completion
 * without awaiting in between, so each call is atomic as a DynamoDB transaction is. What goes in and
 * what comes out is deep-copied: a caller can never change stored data by mutating an object. Snapshots
 * are kept as JSON text and parsed on every read, as the DynamoDB store does (structuredClone costs
 * about twice a parse, which would make in-process benchmarks of a read after a push measure the twin).
 */
import { randomUUID } from 'node:crypto';
import { isStaleAt } from '#lib/freshness.ts';
import {
  type RegistryRecord,
  type RegistrySettings,
  type RegistryViewEntry,
  type SnapshotRef,
  sameViewEntries,
  type ViewState,
  viewEntries,
} from '#lib/registry.ts';
import type { Service } from '#lib/types.ts';
import {
  IngestTokenChangedError,
  RegistryNotFoundError,
  RevisionExpiredError,
  RevisionNotFoundError,
} from './errors.ts';
import type {
  LoadOptions,
  RefreshRecord,
  RegistryStore,
  SnapshotWrite,
  SnapshotWriteOptions,
  SnapshotWriteStart,
} from './port.ts';
import {
  assertSettingsFit,
  DEFAULT_HISTORY_RETENTION_SECONDS,
  newRecord,
  sameSettings,
  targetGeneration,
  withRefresh,
  withSettings,
  withSnapshot,
  withStale,
} from './rules.ts';

export interface MemoryRegistryStoreOptions {
  historyRetentionSeconds?: number;
  now?: () => Date;
}

interface Revision {
  state: ViewState;
  /** When the next revision replaced this one; absent for the current revision. */
  supersededAt?: number;
}

/**
 * As JSON, in the DynamoDB store's layout (the services without their endpoints, and the endpoints
 * apart): a read decodes what a read of DynamoDB decodes, and hands out objects no one else holds.
 */
interface StoredSnapshot {
  services: string;
  /** Per service, its endpoints or null; absent when no service has any. */
  endpoints: string | undefined;
  /** When no registry pointed at it any more (replaced, or its registry deleted). */
  supersededAt?: number;
}

export class MemoryRegistryStore implements RegistryStore {
  private readonly retentionMs: number;
  private readonly now: () => Date;
  private readonly epoch = randomUUID();
  private readonly registries = new Map<string, RegistryRecord>();
  private readonly tokenDigests = new Map<string, string>();
  private readonly snapshots = new Map<string, StoredSnapshot>();
  private readonly revisions = new Map<number, Revision>();
  private revision = 0;
  private nextPosition = 0;

  constructor(options: MemoryRegistryStoreOptions = {}) {
    this.retentionMs = (options.historyRetentionSeconds ?? DEFAULT_HISTORY_RETENTION_SECONDS) * 1000;
    this.now = options.now ?? (() => new Date());
    this.revisions.set(0, {
      state: { epoch: this.epoch, revision: 0, recordedAt: this.now().toISOString(), registries: [] },
    });
  }

  async putRegistry(
    name: string,
    settings: RegistrySettings,
    options: { ingestTokenDigest?: string } = {},
  ): Promise<{ record: RegistryRecord; created: boolean }> {
    assertSettingsFit(name, settings);
    const now = this.now().toISOString();
    const existing = this.registries.get(name);
    if (!existing) {
      const record = newRecord(name, settings, {
        incarnation: randomUUID(),
        position: ++this.nextPosition,
        now,
      });
      this.commit(new Map([[name, record]]));
      if (options.ingestTokenDigest !== undefined) this.tokenDigests.set(name, options.ingestTokenDigest);
      return { record: copy(record), created: true };
    }
    if (sameSettings(existing, settings)) return { record: copy(existing), created: false };
    const record = withSettings(existing, settings, now);
    this.commit(new Map([[name, record]]));
    return { record: copy(record), created: false };
  }

  async getRegistry(name: string): Promise<RegistryRecord | null> {
    const record = this.registries.get(name);
    return record ? copy(record) : null;
  }

  async listRegistries(): Promise<RegistryRecord[]> {
    return copy([...this.registries.values()].sort((a, b) => a.position - b.position));
  }

  async deleteRegistry(name: string): Promise<boolean> {
    if (!this.registries.has(name)) return false;
    this.commit(new Map([[name, null]]));
    this.tokenDigests.delete(name);
    return true;
  }

  async getIngestTokenDigest(name: string): Promise<string | null> {
    return this.registries.has(name) ? (this.tokenDigests.get(name) ?? null) : null;
  }

  async setIngestTokenDigest(name: string, digestHex: string): Promise<boolean> {
    if (!this.registries.has(name)) return false;
    this.tokenDigests.set(name, digestHex);
    return true;
  }

  /** Every call here is atomic, so the start carries nothing but the digest. */
  async startSnapshotWrite(name: string): Promise<SnapshotWriteStart> {
    return { registry: name, ingestTokenDigest: await this.getIngestTokenDigest(name) };
  }

  async putSnapshot(
    name: string,
    services: readonly Service[],
    options: SnapshotWriteOptions = {},
  ): Promise<SnapshotWrite> {
    const record = this.registries.get(name);
    if (!record || (options.refresh && options.refresh.incarnation !== record.incarnation)) {
      throw new RegistryNotFoundError(name);
    }
    if (
      options.ingestTokenDigest !== undefined &&
      this.tokenDigests.get(name) !== options.ingestTokenDigest
    ) {
      throw new IngestTokenChangedError(name);
    }
    const generation = targetGeneration(name, record.snapshot?.generation ?? 0, options.generation);
    const snapshot: SnapshotRef = {
      id: randomUUID(),
      generation,
      serviceCount: services.length,
      snapshotAt: this.now().toISOString(),
      ...(options.contentHash !== undefined ? { contentHash: options.contentHash } : {}),
    };
    this.snapshots.set(snapshot.id, encodeSnapshot(services));
    this.commit(new Map([[name, withSnapshot(record, snapshot, options.refresh)]]));
    return { registry: name, generation, serviceCount: services.length };
  }

  async recordRefresh(name: string, outcome: RefreshRecord): Promise<boolean> {
    const record = this.registries.get(name);
    if (!record || record.incarnation !== outcome.incarnation) return false;
    this.commit(new Map([[name, withRefresh(record, outcome)]]));
    return true;
  }

  async updateFreshness(now: Date): Promise<string[]> {
    const changes = new Map<string, RegistryRecord>();
    for (const record of this.registries.values()) {
      const stale = isStaleAt(record, now.getTime());
      if (stale !== (record.stale === true)) changes.set(record.name, withStale(record, stale));
    }
    if (changes.size > 0) this.commit(changes);
    return [...changes.keys()];
  }

  async currentRevision(): Promise<{ epoch: string; revision: number }> {
    return { epoch: this.epoch, revision: this.revision };
  }

  async viewState(revision?: number): Promise<ViewState> {
    const wanted = revision ?? this.revision;
    if (!Number.isSafeInteger(wanted) || wanted > this.revision) {
      throw new RevisionNotFoundError(wanted, this.revision);
    }
    const found = this.revisions.get(wanted);
    if (!found || this.expired(found.supersededAt, this.now().getTime())) {
      throw new RevisionExpiredError(wanted);
    }
    return copy(found.state);
  }

  async loadSnapshots(ids: readonly string[], options: LoadOptions = {}): Promise<Map<string, Service[]>> {
    const loaded = new Map<string, Service[]>();
    for (const id of ids) {
      const stored = this.snapshots.get(id);
      if (!stored) continue;
      loaded.set(id, decodeSnapshot(stored, options.endpoints === true));
    }
    return loaded;
  }

  async sweep(now: Date): Promise<{ removedSnapshots: number; removedRevisions: number }> {
    const at = now.getTime();
    let removedSnapshots = 0;
    let removedRevisions = 0;
    for (const [id, stored] of this.snapshots) {
      if (this.expired(stored.supersededAt, at)) {
        this.snapshots.delete(id);
        removedSnapshots++;
      }
    }
    for (const [revision, stored] of this.revisions) {
      if (this.expired(stored.supersededAt, at)) {
        this.revisions.delete(revision);
        removedRevisions++;
      }
    }
    return { removedSnapshots, removedRevisions };
  }

  private expired(supersededAt: number | undefined, at: number): boolean {
    return supersededAt !== undefined && at > supersededAt + this.retentionMs;
  }

  /**
   * Applies registry changes (null: deleted) and records a revision when the view entries change.
   * Snapshots no registry points at any more start their retention now.
   */
  private commit(changes: ReadonlyMap<string, RegistryRecord | null>): void {
    const before = viewEntries([...this.registries.values()]);
    const now = this.now();
    const superseded = new Set<string>();
    for (const [name, record] of changes) {
      const previous = this.registries.get(name)?.snapshot?.id;
      if (previous && previous !== record?.snapshot?.id) superseded.add(previous);
      if (record) this.registries.set(name, copy(record));
      else this.registries.delete(name);
    }
    for (const id of superseded) {
      const stored = this.snapshots.get(id);
      if (stored && stored.supersededAt === undefined) stored.supersededAt = now.getTime();
    }
    const after: RegistryViewEntry[] = viewEntries([...this.registries.values()]);
    if (sameViewEntries(before, after)) return;
    const current = this.revisions.get(this.revision);
    if (current) current.supersededAt = now.getTime();
    this.revision++;
    this.revisions.set(this.revision, {
      state: { epoch: this.epoch, revision: this.revision, recordedAt: now.toISOString(), registries: after },
    });
  }
}

function encodeSnapshot(services: readonly Service[]): StoredSnapshot {
  const bare = services.map(({ endpoints: _endpoints, ...service }) => service);
  const endpoints = services.map((service) => service.endpoints ?? null);
  return {
    services: JSON.stringify(bare),
    endpoints: endpoints.some((list) => list !== null) ? JSON.stringify(endpoints) : undefined,
  };
}

function decodeSnapshot(stored: StoredSnapshot, withEndpoints: boolean): Service[] {
  const services = JSON.parse(stored.services) as Service[];
  if (withEndpoints && stored.endpoints !== undefined) {
    const endpoints = JSON.parse(stored.endpoints) as (Service['endpoints'] | null)[];
    services.forEach((service, i) => {
      const list = endpoints[i];
      if (list) service.endpoints = list;
    });
  }
  return services;
}

function copy<T>(value: T): T {
  return structuredClone(value);
}
