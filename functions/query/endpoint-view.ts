/**
 * The endpoint index as the discovery routes serve it, cached per function instance: decoded snapshots
 * (with their endpoints) keyed by snapshot id, which are immutable, and the index of the registries'
 * snapshots keyed by revision, built lazily on the first request that needs it. A warm request when
 * nothing changed costs one small store read (`currentRevision`), a map lookup and serialisation; the
 * serialised answers are kept too, so a repeated question is not even serialised again.
 */
import { createHash } from 'node:crypto';
import { buildEndpointIndex, type EndpointIndex } from '#lib/endpoints.ts';
import type { RegistryViewEntry, ViewState } from '#lib/registry.ts';
import type { RegistryError, RegistryRef, RegistrySnapshot, Service } from '#lib/types.ts';
import { RevisionExpiredError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';

export interface EndpointViewOptions {
  /** Leave out registries whose snapshot is stale (`?stale=exclude`). */
  excludeStale?: boolean;
  /** A revision to read instead of the current one (a paging cursor's). */
  revision?: { epoch: string; revision: number };
}

/** A serialised answer: the body and its ETag, derived from its content except the revision. */
export interface Rendered {
  body: string;
  etag: string;
}

export interface EndpointView {
  epoch: string;
  revision: number;
  index: EndpointIndex;
  /** Registries in error with nothing to serve, as GET /services reports them. */
  errors: RegistryError[];
  /** The registries as the view saw them, in registration order (stale ones left out when asked). */
  entries: readonly RegistryViewEntry[];
  /** The merge's input: each registry's decoded services (with endpoints), or its error. */
  snapshots: readonly RegistrySnapshot[];
  /** The snapshots the view reads, kept decoded while the view is cached. */
  snapshotIds: readonly string[];
  /** The answer for `key`, serialised by `render` the first time it is asked. */
  rendered(key: string, render: () => Rendered): Rendered;
  /** Anything derived from the view, made the first time it is asked; `bytes` is about what it holds. */
  remember<T extends object>(key: string, make: () => T, bytes: (value: T) => number): T;
}

/** Answers kept per view, by total body size: enough for every hostname of a large mesh. */
const RENDERED_BUDGET_BYTES = 64 * 1024 * 1024;
const CACHED_VIEWS = 4;
const READ_ATTEMPTS = 3;

/** The revision a cursor was pinned to is past the history retention, or of a store since created anew. */
export class ViewExpiredError extends Error {
  override readonly name = 'ViewExpiredError';
  constructor() {
    super('the revision is no longer kept');
  }
}

export class EndpointViewCache {
  private readonly decoded = new Map<string, readonly Service[]>();
  private readonly views = new Map<string, EndpointView>();

  constructor(private readonly store: RegistryStore) {}

  async current(options: EndpointViewOptions = {}): Promise<EndpointView> {
    const excludeStale = options.excludeStale ?? false;
    for (let attempt = 1; ; attempt++) {
      const at = options.revision ?? (await this.store.currentRevision());
      const key = `${at.epoch}:${at.revision}:${excludeStale}`;
      const cached = this.views.get(key);
      if (cached) return cached;
      let state: ViewState;
      try {
        state = await this.store.viewState(at.revision);
      } catch (error) {
        // Only a pinned revision can be past the retention; the current one just moved on.
        if (error instanceof RevisionExpiredError && options.revision) throw new ViewExpiredError();
        if (error instanceof RevisionExpiredError && attempt < READ_ATTEMPTS) continue;
        throw error;
      }
      if (state.epoch !== at.epoch) {
        if (options.revision) throw new ViewExpiredError();
        continue;
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
  ): Promise<{ view: EndpointView; complete: boolean }> {
    const entries = state.registries.filter((entry) => !(excludeStale && entry.stale));
    await this.loadMissing(entries);
    const snapshots: RegistrySnapshot[] = [];
    let complete = true;
    for (const entry of entries) {
      const registry = registryRef(entry);
      const services = entry.snapshot ? this.decoded.get(entry.snapshot.id) : undefined;
      if (services) snapshots.push({ registry, services });
      else if (entry.lastError !== undefined) snapshots.push({ registry, error: entry.lastError });
      else if (entry.snapshot) {
        complete = false;
        snapshots.push({ registry, error: 'its snapshot could not be read, try again' });
      }
    }
    const errors = snapshots.flatMap(({ registry, error }) =>
      error === undefined ? [] : [{ registry: registry.name, message: error }],
    );
    const view: EndpointView = {
      epoch: state.epoch,
      revision: state.revision,
      entries,
      snapshots,
      snapshotIds: entries.flatMap(({ snapshot }) => (snapshot ? [snapshot.id] : [])),
      index: buildEndpointIndex(snapshots),
      errors,
      ...memo(),
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
    // Keep the snapshots of the views still cached and of this one: memory stays bounded by what is served.
    const wanted = new Set(entries.flatMap(({ snapshot }) => (snapshot ? [snapshot.id] : [])));
    for (const view of this.views.values()) for (const id of view.snapshotIds) wanted.add(id);
    for (const id of this.decoded.keys()) if (!wanted.has(id)) this.decoded.delete(id);
  }
}

function memo(): Pick<EndpointView, 'rendered' | 'remember'> {
  const kept = new Map<string, object>();
  let bytes = 0;
  const remember = <T extends object>(key: string, make: () => T, size: (value: T) => number): T => {
    const known = kept.get(key);
    if (known) return known as T;
    const made = make();
    const cost = size(made);
    if (bytes + cost > RENDERED_BUDGET_BYTES) {
      kept.clear();
      bytes = 0;
    }
    kept.set(key, made);
    bytes += cost;
    return made;
  };
  return {
    remember,
    rendered: (key, render) => remember(key, render, (made) => made.body.length),
  };
}

function registryRef(entry: RegistryViewEntry): RegistryRef {
  return {
    name: entry.name,
    ...(entry.clusterId ? { clusterId: entry.clusterId } : {}),
    ...(entry.provider !== undefined ? { provider: entry.provider } : {}),
  };
}

/**
 * A weak ETag from the content: the revision is left out, so a change elsewhere in the mesh keeps it,
 * and weak because the same content is also sent compressed.
 */
export function contentEtag(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return `W/"${hash.digest('base64url').slice(0, 27)}"`;
}
