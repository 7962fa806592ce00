/**
 * The registry store on one DynamoDB table: the composition of the key layout (keys.ts), registry
 * items (registries.ts), snapshots (snapshots.ts) and revisions (history.ts).
 *
 * Every write reads what it changes, computes the new record with the shared rules (../rules.ts) and
 * writes it back conditioned on what it read. When the registry's view entry changes, the write is one
 * transaction that also moves the revision (condition: still the one read), replaces the view item and
 * keeps the replaced entries as history; otherwise it is one conditional write of the registry item and
 * the revision stays. A conflict (a concurrent writer won) is retried from the read with jittered backoff.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { isStaleAt } from '#lib/freshness.ts';
import {
  type RegistryRecord,
  type RegistrySettings,
  type RegistryViewEntry,
  type SnapshotRef,
  sameViewEntries,
  type ViewState,
  viewEntry,
} from '#lib/registry.ts';
import type { Service } from '#lib/types.ts';
import { IngestTokenChangedError, RegistryNotFoundError, StoreUnavailableError } from '../errors.ts';
import type {
  LoadOptions,
  RefreshRecord,
  RegistryStore,
  SnapshotWrite,
  SnapshotWriteOptions,
  SnapshotWriteStart,
} from '../port.ts';
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
} from '../rules.ts';
import * as history from './history.ts';
import { currentViewKey, metaKey, REGISTRY_PARTITION, registryKey } from './keys.ts';
import type { StoredRegistry, TransactItem } from './registries.ts';
import * as registries from './registries.ts';
import {
  backoff,
  batchGet,
  certainlyNotApplied,
  guard,
  isConflict,
  queryPartition,
  type Table,
} from './sdk.ts';
import * as snapshots from './snapshots.ts';

export interface DynamoRegistryStoreOptions {
  historyRetentionSeconds?: number;
  /** A write's chunks that were never flipped are removed by the sweep this long after they were written. */
  orphanGraceSeconds?: number;
  chunkBytes?: number;
  now?: () => Date;
}

/** What a write read: the registries it changes, and the meta and view items when it needed them. */
interface Read {
  registries: Map<string, StoredRegistry | null>;
  meta: history.Meta | null;
  view: history.StoredView | null;
  withView: boolean;
}

interface Plan<T> {
  result: T;
  writes?: { name: string; next: RegistryRecord | null; ingestTokenDigest?: string }[];
  extra?: TransactItem[];
  nextPosition?: number;
}

const WRITE_ATTEMPTS = 8;
/** Registries per freshness transaction: well within 100 items and 4 MB even for large settings. */
const FRESHNESS_BATCH = 8;

export class DynamoRegistryStore implements RegistryStore {
  private readonly table: Table;
  private readonly retentionMs: number;
  private readonly graceMs: number;
  private readonly chunkBytes: number;
  private readonly now: () => Date;
  /** The reads startSnapshotWrite handed out, each for one putSnapshot (weak: an unused one is let go). */
  private readonly starts = new WeakMap<SnapshotWriteStart, Read>();

  constructor(client: DynamoDBDocumentClient, tableName: string, options: DynamoRegistryStoreOptions = {}) {
    this.table = { client, name: tableName };
    this.retentionMs = (options.historyRetentionSeconds ?? DEFAULT_HISTORY_RETENTION_SECONDS) * 1000;
    this.graceMs = (options.orphanGraceSeconds ?? 15 * 60) * 1000;
    this.chunkBytes = options.chunkBytes ?? snapshots.CHUNK_BYTES;
    this.now = options.now ?? (() => new Date());
  }

  async putRegistry(
    name: string,
    settings: RegistrySettings,
    options: { ingestTokenDigest?: string } = {},
  ): Promise<{ record: RegistryRecord; created: boolean }> {
    assertSettingsFit(name, settings);
    return this.mutate<{ record: RegistryRecord; created: boolean }>([name], true, (read) => {
      const now = this.now().toISOString();
      const existing = read.registries.get(name)?.record;
      if (existing) {
        if (sameSettings(existing, settings)) return { result: { record: existing, created: false } };
        const record = withSettings(existing, settings, now);
        return { result: { record, created: false }, writes: [{ name, next: record }] };
      }
      const position = (read.meta?.nextPosition ?? 0) + 1;
      const record = newRecord(name, settings, { incarnation: crypto.randomUUID(), position, now });
      return {
        result: { record, created: true },
        writes: [
          {
            name,
            next: record,
            ...(options.ingestTokenDigest !== undefined
              ? { ingestTokenDigest: options.ingestTokenDigest }
              : {}),
          },
        ],
        nextPosition: position,
      };
    });
  }

  async getRegistry(name: string): Promise<RegistryRecord | null> {
    return (await registries.getStored(this.table, name))?.record ?? null;
  }

  async listRegistries(): Promise<RegistryRecord[]> {
    return (await this.listStored()).map((stored) => stored.record);
  }

  private async listStored(): Promise<StoredRegistry[]> {
    const all: StoredRegistry[] = [];
    for await (const item of queryPartition(this.table, REGISTRY_PARTITION))
      all.push(registries.toStored(item));
    return all.sort((a, b) => a.record.position - b.record.position);
  }

  async deleteRegistry(name: string): Promise<boolean> {
    return this.mutate([name], true, (read) => {
      const existing = read.registries.get(name)?.record;
      if (!existing) return { result: false };
      const now = this.now().getTime();
      return {
        result: true,
        writes: [{ name, next: null }],
        // Its snapshot stays readable for the retention: views of earlier revisions reference it.
        extra: existing.snapshot
          ? [
              snapshots.supersededMarker(this.table, existing.snapshot.id, {
                now,
                retentionMs: this.retentionMs,
              }),
            ]
          : [],
      };
    });
  }

  getIngestTokenDigest(name: string): Promise<string | null> {
    return registries.getIngestTokenDigest(this.table, name);
  }

  setIngestTokenDigest(name: string, digestHex: string): Promise<boolean> {
    return registries.setIngestTokenDigest(this.table, name, digestHex);
  }

  /** The write's first read (registry, meta and view items: one BatchGet), with the token digest in it. */
  async startSnapshotWrite(name: string): Promise<SnapshotWriteStart> {
    const read = await this.read([name], true);
    const start = { registry: name, ingestTokenDigest: read.registries.get(name)?.ingestTokenDigest ?? null };
    this.starts.set(start, read);
    return start;
  }

  async putSnapshot(
    name: string,
    services: readonly Service[],
    options: SnapshotWriteOptions = {},
  ): Promise<SnapshotWrite> {
    // A start is used once, and only for its registry; an old one is safe too, as every write below is
    // conditioned on the items being as read (a stale read is a conflict, retried from a fresh read).
    const started = options.start?.registry === name ? this.starts.get(options.start) : undefined;
    if (options.start) this.starts.delete(options.start);
    // The read is under way while the snapshot is encoded (CPU), so its round trip costs no time.
    // Refusals (unknown registry, stale generation, a changed token) still come before any chunk is
    // written. The encoding is synchronous: the read's answer, or failure, is only taken after it.
    const reading = started ? Promise.resolve(started) : this.read([name], true);
    const encoded = snapshots.encodeSnapshot(services, this.chunkBytes);
    let read = await reading;
    this.snapshotTarget(name, read, options);
    const written = await snapshots.writeSnapshot(this.table, encoded, {
      now: this.now().getTime(),
      graceMs: this.graceMs,
    });
    for (let attempt = 1; ; attempt++) {
      let generation: number;
      let items: TransactItem[];
      try {
        if (attempt > 1) read = await this.read([name], true);
        const { stored, generation: target } = this.snapshotTarget(name, read, options);
        generation = target;
        const now = this.now();
        const snapshot: SnapshotRef = {
          id: written.id,
          generation,
          serviceCount: services.length,
          snapshotAt: now.toISOString(),
          ...(options.contentHash !== undefined ? { contentHash: options.contentHash } : {}),
        };
        items = this.planItems(read, {
          result: undefined,
          writes: [{ name, next: withSnapshot(stored.record, snapshot, options.refresh) }],
          extra: snapshots.flipItems(this.table, written, stored.record.snapshot?.id, {
            now: now.getTime(),
            retentionMs: this.retentionMs,
          }),
        });
      } catch (error) {
        await snapshots.discardSnapshot(this.table, written).catch(() => {});
        throw error;
      }
      try {
        await this.send(items);
        return { registry: name, generation, serviceCount: services.length };
      } catch (error) {
        if (isConflict(error) && attempt < WRITE_ATTEMPTS) {
          await backoff(attempt);
          continue;
        }
        // The answer may be lost with the flip applied: then the snapshot is in place and must stay.
        if (!certainlyNotApplied(error)) {
          const flipped = await snapshots.wasFlipped(this.table, written).catch(() => undefined);
          if (flipped) return { registry: name, generation, serviceCount: services.length };
          // Unknown (the database is gone): the pending marker lets the sweep remove the chunks later.
          if (flipped === undefined) throw error;
        }
        await snapshots.discardSnapshot(this.table, written).catch(() => {});
        if (isConflict(error)) throw new StoreUnavailableError({ cause: error });
        throw error;
      }
    }
  }

  private snapshotTarget(
    name: string,
    read: Read,
    options: SnapshotWriteOptions,
  ): { stored: StoredRegistry; generation: number } {
    const stored = read.registries.get(name);
    if (!stored || (options.refresh && options.refresh.incarnation !== stored.record.incarnation)) {
      throw new RegistryNotFoundError(name);
    }
    // Checked on every read the write starts from: the flip is conditioned on the registry item's
    // version, which a rotation moves, so the token holds at the moment the snapshot becomes visible.
    if (options.ingestTokenDigest !== undefined && stored.ingestTokenDigest !== options.ingestTokenDigest) {
      throw new IngestTokenChangedError(name);
    }
    const generation = targetGeneration(name, stored.record.snapshot?.generation ?? 0, options.generation);
    return { stored, generation };
  }

  async recordRefresh(name: string, outcome: RefreshRecord): Promise<boolean> {
    return this.mutate([name], false, (read) => {
      const stored = read.registries.get(name);
      if (!stored || stored.record.incarnation !== outcome.incarnation) return { result: false };
      return { result: true, writes: [{ name, next: withRefresh(stored.record, outcome) }] };
    });
  }

  async updateFreshness(now: Date): Promise<string[]> {
    const at = now.getTime();
    const due = (record: RegistryRecord) => isStaleAt(record, at) !== (record.stale === true);
    const candidates = (await this.listStored())
      .filter((stored) => due(stored.record))
      .map((s) => s.record.name);
    const changed: string[] = [];
    for (let offset = 0; offset < candidates.length; offset += FRESHNESS_BATCH) {
      const names = candidates.slice(offset, offset + FRESHNESS_BATCH);
      changed.push(
        ...(await this.mutate(names, true, (read) => {
          const writes: NonNullable<Plan<string[]>['writes']> = [];
          for (const name of names) {
            const record = read.registries.get(name)?.record;
            if (record && due(record)) writes.push({ name, next: withStale(record, isStaleAt(record, at)) });
          }
          return { result: writes.map((write) => write.name), writes };
        })),
      );
    }
    return changed;
  }

  currentRevision(): Promise<{ epoch: string; revision: number }> {
    return history.currentRevision(this.table);
  }

  viewState(revision?: number): Promise<ViewState> {
    return history.viewState(this.table, revision, {
      now: this.now().getTime(),
      retentionMs: this.retentionMs,
    });
  }

  loadSnapshots(ids: readonly string[], options: LoadOptions = {}): Promise<Map<string, Service[]>> {
    return snapshots.loadSnapshots(this.table, ids, { endpoints: options.endpoints ?? false });
  }

  async sweep(now: Date): Promise<{ removedSnapshots: number; removedRevisions: number }> {
    // Revision items carry a TTL: DynamoDB deletes them for free, and viewState refuses expired ones
    // before that happens.
    return {
      removedSnapshots: await snapshots.sweepSnapshots(this.table, now.getTime()),
      removedRevisions: 0,
    };
  }

  /** Read → decide → conditional write, retried from the read when a concurrent write got in first. */
  private async mutate<T>(
    names: readonly string[],
    withView: boolean,
    decide: (read: Read) => Plan<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let read = await this.read(names, withView);
      let plan = decide(read);
      if (!read.withView && this.changesView(read, plan)) {
        read = await this.read(names, true);
        plan = decide(read);
      }
      try {
        const items = this.planItems(read, plan);
        if (items.length > 0) await this.send(items);
        return plan.result;
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (attempt >= WRITE_ATTEMPTS) throw new StoreUnavailableError({ cause: error });
        await backoff(attempt);
      }
    }
  }

  private async read(names: readonly string[], withView: boolean): Promise<Read> {
    if (!withView && names.length === 1) {
      const name = names[0] as string;
      const stored = await registries.getStored(this.table, name);
      return { registries: new Map([[name, stored]]), meta: null, view: null, withView: false };
    }
    const keys = [...names.map(registryKey), ...(withView ? [metaKey(), currentViewKey()] : [])];
    const items = await batchGet(this.table, keys, { consistent: true });
    const found = new Map<string, StoredRegistry | null>(names.map((name) => [name, null]));
    let meta: history.Meta | null = null;
    let view: history.StoredView | null = null;
    for (const item of items) {
      if (item.pk === REGISTRY_PARTITION) {
        const stored = registries.toStored(item);
        found.set(stored.record.name, stored);
      } else if (item.pk === metaKey().pk) meta = history.toMeta(item);
      else view = history.toStoredView(item);
    }
    return { registries: found, meta, view, withView };
  }

  private changesView(read: Read, plan: Plan<unknown>): boolean {
    return (plan.writes ?? []).some(({ name, next }) => {
      const previous = read.registries.get(name)?.record;
      if (!previous || !next) return previous !== next;
      return !sameViewEntries([viewEntry(previous)], [viewEntry(next)]);
    });
  }

  /** The items of the plan's write: with the revision move when a view entry changes. */
  private planItems(read: Read, plan: Plan<unknown>): TransactItem[] {
    const writes = (plan.writes ?? []).map(({ name, next, ingestTokenDigest }) =>
      registries.registryWrite(this.table, name, read.registries.get(name) ?? null, next, ingestTokenDigest),
    );
    if (!this.changesView(read, plan)) return [...writes, ...(plan.extra ?? [])];
    if (!read.withView) throw new Error('a view change was planned without reading the view');
    const written = new Set((plan.writes ?? []).map((write) => write.name));
    const entries: RegistryViewEntry[] = (read.view ? history.decodeEntries(read.view.entries) : []).filter(
      (entry) => !written.has(entry.name),
    );
    for (const { next } of plan.writes ?? []) if (next) entries.push(viewEntry(next));
    entries.sort((a, b) => a.position - b.position);
    const now = this.now().getTime();
    return [
      ...writes,
      ...history.revisionItems(this.table, read, {
        entries,
        ...(plan.nextPosition !== undefined ? { nextPosition: plan.nextPosition } : {}),
        now,
        retentionMs: this.retentionMs,
      }),
      ...(plan.extra ?? []),
    ];
  }

  /** One item: a plain conditional write (half the cost of a transaction); more: one transaction. */
  private async send(items: readonly TransactItem[]): Promise<void> {
    const [only] = items;
    if (items.length === 1 && only?.Put) {
      await guard(this.table.client.send(new PutCommand(only.Put as never)));
    } else if (items.length === 1 && only?.Delete) {
      await guard(this.table.client.send(new DeleteCommand(only.Delete as never)));
    } else {
      await guard(this.table.client.send(new TransactWriteCommand({ TransactItems: [...items] })));
    }
  }
}
