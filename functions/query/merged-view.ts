/**
 * The merged view as the query function serves it, cached per function instance: decoded snapshots keyed
 * by snapshot id (immutable, so never stale), and the last merged result keyed by the store's revision.
 * A warm query when nothing changed costs one small read: the store's current revision.
 */
import { createHash } from 'node:crypto';
import { aggregateServices } from '#lib/aggregate.ts';
import { statusOf } from '#lib/freshness.ts';
import type { RegistryViewEntry, ViewState } from '#lib/registry.ts';
import type { Conflict, MergedService, RegistryError, RegistrySnapshot, Service } from '#lib/types.ts';
import type { RegistryStore } from '#store/port.ts';

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
  lastError: string | null;
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

const CACHED_VIEWS = 4;

export class MergedViewCache {
  private readonly decoded = new Map<string, readonly Service[]>();
  /** Keyed by epoch, revision and the stale filter: all that shapes a body. */
  private readonly views = new Map<string, MergedView>();

  constructor(private readonly store: RegistryStore) {}

  async current(options: ViewOptions = {}): Promise<MergedView> {
    const excludeStale = options.excludeStale ?? false;
    const variant = excludeStale ? `-${digest('exclude-stale')}` : '';
    const { epoch, revision } = await this.store.currentRevision();
    const cached = this.views.get(`${epoch}:${revision}${variant}`);
    if (cached) return cached;
    const state = await this.store.viewState();
    const key = `${state.epoch}:${state.revision}${variant}`;
    await this.loadMissingSnapshots(state.registries);
    const view = this.build(state, excludeStale, `"${state.epoch.slice(0, 8)}-${state.revision}${variant}"`);
    if (this.views.size >= CACHED_VIEWS) this.views.clear();
    this.views.set(key, view);
    return view;
  }

  private async loadMissingSnapshots(registries: readonly RegistryViewEntry[]): Promise<void> {
    const wanted = new Set<string>();
    const missing: string[] = [];
    for (const { snapshot } of registries) {
      if (!snapshot) continue;
      wanted.add(snapshot.id);
      if (!this.decoded.has(snapshot.id)) missing.push(snapshot.id);
    }
    if (missing.length > 0) {
      const loaded = await this.store.loadSnapshots(missing, { endpoints: true });
      for (const [id, services] of loaded) this.decoded.set(id, services);
    }
    // Keep only current snapshots: memory stays bounded by what is served.
    for (const id of this.decoded.keys()) if (!wanted.has(id)) this.decoded.delete(id);
  }

  private build(state: ViewState, excludeStale: boolean, etag: string): MergedView {
    const snapshots: RegistrySnapshot[] = [];
    for (const entry of state.registries) {
      const services = entry.snapshot ? this.decoded.get(entry.snapshot.id) : undefined;
      if (services) {
        if (!(excludeStale && entry.stale)) snapshots.push({ registry: registryRef(entry), services });
      } else if (entry.lastError) {
        // Nothing to serve and the source fails: skip and report, as Istio does.
        snapshots.push({ registry: registryRef(entry), error: entry.lastError });
      } else if (entry.snapshot) {
        // Its snapshot could not be read: report it and serve the rest.
        snapshots.push({ registry: registryRef(entry), error: 'the stored snapshot could not be read' });
      }
    }
    const merged = aggregateServices(snapshots);
    const body: MergedViewBody = {
      revision: state.revision,
      services: merged.services,
      errors: merged.errors,
      conflicts: merged.conflicts,
      registries: state.registries.map(registryStatus),
    };
    const byHostname = new Map<string, MergedService>();
    for (const service of merged.services) {
      if (!byHostname.has(service.hostname)) byHostname.set(service.hostname, service);
    }
    return { revision: state.revision, etag, json: JSON.stringify(body), byHostname };
  }
}

function registryRef(entry: RegistryViewEntry): RegistrySnapshot['registry'] {
  return {
    name: entry.name,
    ...(entry.clusterId ? { clusterId: entry.clusterId } : {}),
    ...(entry.provider ? { provider: entry.provider } : {}),
  };
}

function registryStatus(entry: RegistryViewEntry): RegistryStatus {
  return {
    name: entry.name,
    position: entry.position,
    ...(entry.clusterId !== undefined ? { clusterId: entry.clusterId } : {}),
    ...(entry.provider !== undefined ? { provider: entry.provider } : {}),
    status: statusOf(entry),
    generation: entry.snapshot?.generation ?? null,
    serviceCount: entry.snapshot?.serviceCount ?? 0,
    snapshotAt: entry.snapshot?.snapshotAt ?? null,
    lastError: entry.lastError ?? null,
  };
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}
