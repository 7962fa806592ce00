/**
 * What the export routes read, cached per function instance and per revision: the merged services,
 * the endpoint index and the registries' networks, built from the revision's view entries and their
 * (immutable) snapshots, and the serialised answers. A warm request when nothing changed costs one
 * small store read (`currentRevision`) and a map lookup.
 *
 * It follows functions/query/endpoint-view.ts, which serves the index alone; the exports also need the
 * merged services and the view entries' networks, which that view does not keep.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import { buildEndpointIndex, type EndpointIndex } from '#lib/endpoints.ts';
import type { RegistryViewEntry, ViewState } from '#lib/registry.ts';
import type { MergedService, RegistryRef, RegistrySnapshot, Service } from '#lib/types.ts';
import { RevisionExpiredError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';

export interface Rendered {
  body: string;
  etag: string;
}

export interface ExportView {
  revision: number;
  services: readonly MergedService[];
  index: EndpointIndex;
  /** Registry name → its Istio network. */
  networks: ReadonlyMap<string, string>;
  /** The snapshots the view reads, kept decoded while the view is cached. */
  snapshotIds: readonly string[];
  /** The answer for `key`, serialised by `render` the first time it is asked. */
  rendered(key: string, render: () => Rendered): Rendered;
}

const CACHED_VIEWS = 2;
/** Answers kept per view: a few variants (format, health, namespace), never one per namespace asked. */
const RENDERED_PER_VIEW = 8;
const READ_ATTEMPTS = 3;

export class ExportViewCache {
  private readonly decoded = new Map<string, readonly Service[]>();
  private readonly views = new Map<string, ExportView>();

  constructor(private readonly store: RegistryStore) {}

  async current(options: { excludeStale?: boolean } = {}): Promise<ExportView> {
    const excludeStale = options.excludeStale ?? false;
    for (let attempt = 1; ; attempt++) {
      const at = await this.store.currentRevision();
      const key = `${at.epoch}:${at.revision}:${excludeStale}`;
      const cached = this.views.get(key);
      if (cached) return cached;
      let state: ViewState;
      try {
        state = await this.store.viewState(at.revision);
      } catch (error) {
        // The current revision moved on and the one we read is already gone: read the new one.
        if (error instanceof RevisionExpiredError && attempt < READ_ATTEMPTS) continue;
        throw error;
      }
      const { view, complete } = await this.build(state, excludeStale);
      // A view with an unreadable snapshot is answered but not kept: the next request tries again.
      if (complete) {
        if (this.views.size >= CACHED_VIEWS) this.views.delete(this.views.keys().next().value as string);
        this.views.set(key, view);
      }
      return view;
    }
  }

  private async build(
    state: ViewState,
    excludeStale: boolean,
  ): Promise<{ view: ExportView; complete: boolean }> {
    const entries = state.registries.filter((entry) => !(excludeStale && entry.stale));
    await this.loadMissing(entries);
    const snapshots: RegistrySnapshot[] = [];
    const networks = new Map<string, string>();
    let complete = true;
    for (const entry of entries) {
      if (entry.network) networks.set(entry.name, entry.network);
      const services = entry.snapshot ? this.decoded.get(entry.snapshot.id) : undefined;
      if (services) snapshots.push({ registry: registryRef(entry), services });
      else if (entry.snapshot) complete = false;
    }
    const memo = new Map<string, Rendered>();
    const view: ExportView = {
      revision: state.revision,
      services: aggregateServices(snapshots).services,
      index: buildEndpointIndex(snapshots),
      networks,
      snapshotIds: entries.flatMap(({ snapshot }) => (snapshot ? [snapshot.id] : [])),
      rendered: (key, render) => {
        const known = memo.get(key);
        if (known) return known;
        const made = render();
        if (memo.size >= RENDERED_PER_VIEW) memo.delete(memo.keys().next().value as string);
        memo.set(key, made);
        return made;
      },
    };
    return { view, complete };
  }

  private async loadMissing(entries: readonly RegistryViewEntry[]): Promise<void> {
    const missing: string[] = [];
    for (const { snapshot } of entries) {
      if (snapshot && !this.decoded.has(snapshot.id)) missing.push(snapshot.id);
    }
    if (missing.length > 0) {
      const loaded = await this.store.loadSnapshots(missing, { endpoints: true });
      for (const [id, services] of loaded) this.decoded.set(id, services);
    }
    // Keep only the snapshots of this view and of the cached ones: memory stays bounded by what is served.
    const wanted = new Set(entries.flatMap(({ snapshot }) => (snapshot ? [snapshot.id] : [])));
    for (const view of this.views.values()) for (const id of view.snapshotIds) wanted.add(id);
    for (const id of this.decoded.keys()) if (!wanted.has(id)) this.decoded.delete(id);
  }
}

function registryRef(entry: RegistryViewEntry): RegistryRef {
  return {
    name: entry.name,
    ...(entry.clusterId ? { clusterId: entry.clusterId } : {}),
    ...(entry.provider !== undefined ? { provider: entry.provider } : {}),
  };
}
