/**
 * The merged view as the query function serves it, cached per function instance: decoded snapshots keyed
 * by snapshot id (immutable, so never stale), and the last merged result keyed by the table's revision.
 * A warm query when nothing changed costs one DynamoDB request: the consistent Query of the registry
 * partition that tells the revision.
 */
import { createHash } from 'node:crypto';
import { aggregateServices } from '#lib/aggregate.ts';
import { resolveRefreshSettings } from '#lib/source-schema.ts';
import type { Conflict, MergedService, RegistryError, RegistrySnapshot, Service } from '#lib/types.ts';
import { SnapshotGoneError } from '#store/errors.ts';
import type { RegistryList, RegistryRecord, RegistryStore } from '#store/registry-store.ts';

/**
 * ok: a current snapshot. stale: its snapshot was last confirmed more than maxAgeSeconds ago.
 * error: the last refresh failed (a last-known-good snapshot, if any, is still served).
 * empty: no snapshot yet.
 */
export type RegistryHealth = 'ok' | 'stale' | 'error' | 'empty';

export interface RegistryStatus {
  name: string;
  position: number;
  clusterId?: string;
  provider?: string;
  status: RegistryHealth;
  generation: number | null;
  serviceCount: number;
  snapshotAt: string | null;
  /** When the snapshot was last known to be current (its push, or the last successful refresh). */
  confirmedAt: string | null;
  /** When the snapshot turns stale unless confirmed again. */
  staleAt: string | null;
  checkedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface ViewOptions {
  /** Leave out the services of registries whose snapshot is stale (`?stale=exclude`). */
  excludeStale?: boolean;
  now?: number;
}

export interface MergedViewBody {
  revision: number;
  services: MergedService[];
  errors: RegistryError[];
  conflicts: Conflict[];
  registries: RegistryStatus[];
}

export interface MergedView {
  revision: number;
  etag: string;
  /** The serialised body, built once per revision and reused by every warm request. */
  json: string;
  /** The first merged entry per hostname, as Istio's GetService answers. */
  byHostname: ReadonlyMap<string, MergedService>;
}

const READ_ATTEMPTS = 5;
const CACHED_VIEWS = 4;

export class MergedViewCache {
  private readonly decoded = new Map<string, readonly Service[]>();
  /** Keyed by revision, the set of stale registries and the stale filter: all that shapes a body. */
  private readonly views = new Map<string, MergedView>();

  constructor(private readonly store: RegistryStore) {}

  async current(options: ViewOptions = {}): Promise<MergedView> {
    const now = options.now ?? Date.now();
    const excludeStale = options.excludeStale ?? false;
    for (let attempt = 1; ; attempt++) {
      const list = await this.store.listRegistries();
      const stale = list.registries.filter((record) => isStale(record, now)).map((record) => record.name);
      const variant =
        stale.length > 0 || excludeStale ? `-${digest(`${stale.join(',')}|${excludeStale}`)}` : '';
      const key = `${list.epoch}:${list.revision}${variant}`;
      const cached = this.views.get(key);
      if (cached) return cached;
      try {
        await this.loadMissingSnapshots(list.registries);
      } catch (error) {
        // A snapshot was replaced between our Query and our reads: read the new state.
        if (error instanceof SnapshotGoneError && attempt < READ_ATTEMPTS) continue;
        throw error;
      }
      const view = this.build(
        list,
        new Set(stale),
        excludeStale,
        `"${list.epoch.slice(0, 8)}-${list.revision}${variant}"`,
      );
      if (this.views.size >= CACHED_VIEWS) this.views.clear();
      this.views.set(key, view);
      return view;
    }
  }

  private async loadMissingSnapshots(registries: readonly RegistryRecord[]): Promise<void> {
    const wanted = new Set<string>();
    const missing = [];
    for (const { snapshot } of registries) {
      if (!snapshot) continue;
      wanted.add(snapshot.id);
      if (!this.decoded.has(snapshot.id)) missing.push(snapshot);
    }
    if (missing.length > 0) {
      const loaded = await this.store.loadSnapshots(missing);
      for (const [id, services] of loaded) this.decoded.set(id, services);
    }
    // Keep only current snapshots: memory stays bounded by what is served.
    for (const id of this.decoded.keys()) if (!wanted.has(id)) this.decoded.delete(id);
  }

  private build(
    list: RegistryList,
    stale: ReadonlySet<string>,
    excludeStale: boolean,
    etag: string,
  ): MergedView {
    const snapshots: RegistrySnapshot[] = [];
    for (const record of list.registries) {
      const services = record.snapshot ? this.decoded.get(record.snapshot.id) : undefined;
      if (services) {
        if (!(excludeStale && stale.has(record.name)))
          snapshots.push({ registry: registryRef(record), services });
      } else if (record.lastError) {
        // Nothing to serve and the source fails: skip and report, as Istio does.
        snapshots.push({ registry: registryRef(record), error: record.lastError });
      }
    }
    const merged = aggregateServices(snapshots);
    const body: MergedViewBody = {
      revision: list.revision,
      services: merged.services,
      errors: merged.errors,
      conflicts: merged.conflicts,
      registries: list.registries.map((record) => registryStatus(record, stale.has(record.name))),
    };
    const byHostname = new Map<string, MergedService>();
    for (const service of merged.services) {
      if (!byHostname.has(service.hostname)) byHostname.set(service.hostname, service);
    }
    return {
      revision: list.revision,
      etag,
      json: JSON.stringify(body),
      byHostname,
    };
  }
}

function registryRef(record: RegistryRecord): RegistrySnapshot['registry'] {
  return {
    name: record.name,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    ...(record.provider ? { provider: record.provider } : {}),
  };
}

function registryStatus(record: RegistryRecord, stale: boolean): RegistryStatus {
  const staleAt = staleTime(record);
  let status: RegistryHealth = 'ok';
  if (record.lastError) status = 'error';
  else if (!record.snapshot) status = 'empty';
  else if (stale) status = 'stale';
  return {
    name: record.name,
    position: record.position,
    ...(record.clusterId !== undefined ? { clusterId: record.clusterId } : {}),
    ...(record.provider !== undefined ? { provider: record.provider } : {}),
    status,
    generation: record.snapshot?.generation ?? null,
    serviceCount: record.snapshot?.serviceCount ?? 0,
    snapshotAt: record.snapshot?.storedAt ?? null,
    confirmedAt: record.snapshot ? (record.confirmedAt ?? record.snapshot.storedAt) : null,
    staleAt: staleAt === null ? null : new Date(staleAt).toISOString(),
    checkedAt: record.checkedAt ?? null,
    lastError: record.lastError ?? null,
    lastErrorAt: record.lastErrorAt ?? null,
  };
}

function staleTime(record: RegistryRecord): number | null {
  if (!record.snapshot) return null;
  const confirmed = Date.parse(record.confirmedAt ?? record.snapshot.storedAt);
  return confirmed + resolveRefreshSettings(record).maxAgeSeconds * 1000;
}

function isStale(record: RegistryRecord, now: number): boolean {
  const staleAt = staleTime(record);
  return staleAt !== null && now > staleAt;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
