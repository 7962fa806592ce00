/**
 * The merged view as the query functions serve it, cached per function instance.
 *
 * Every request first reads the current revision (one small item); only a cold start, with nothing
 * to compare it with, reads the current view state straight away. When it has not moved, nothing
 * else is read and the cached view, its JSON and its compressed bytes are served as they are. When it
 * moved: the view state of the new revision, then only the snapshots not decoded yet (without their
 * endpoints). Decoded snapshots are immutable and kept by id for the retained views; the merge is keyed
 * on the snapshots it used, so a revision that changes no services (a status, an error text) reuses the
 * merged services and their JSON.
 */

import { MetricUnit, metrics } from '#http/metrics.ts';
import type { RegistryStatusEntry } from '#lib/api-types.ts';
import { type RegistryStatus, statusOf } from '#lib/freshness.ts';
import type { RegistryViewEntry, ViewState } from '#lib/registry.ts';
import type { Aggregate, RegistrySnapshot, Service } from '#lib/types.ts';
import { RevisionNotFoundError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';
import { type HostnameAnswers, HostnameLookup } from './hostname-lookup.ts';
import { IncrementalMerge } from './merge-lib.ts';
import { MergedParts, type Variant, View, viewEtag } from './view.ts';

export interface ViewCacheOptions {
  /** Revisions kept decoded besides the current one (for ?revision=, /changes and later pages). */
  retainedRevisions?: number;
}

/** The message a reader sees for a registry whose snapshot cannot be read and has no older copy here. */
export const UNREADABLE_SNAPSHOT = 'its snapshot could not be read; it is left out until it can be';

interface Merged {
  parts: MergedParts;
  /** Registries served from an older decoded snapshot or reported as unreadable. */
  degraded: boolean;
}

export class ViewCache {
  private readonly decoded = new Map<string, readonly Service[]>();
  /** The last snapshot decoded per registry: what an unreadable newer snapshot falls back to. */
  private readonly lastDecoded = new Map<string, string>();
  /** Views by epoch:revision:variant, most recently used last. */
  private readonly views = new Map<string, View>();
  /** GET /services/{hostname}'s lookups by epoch:revision:variant, for revisions with no view built. */
  private readonly lookups = new Map<string, HostnameLookup>();
  private readonly merges = new Map<string, MergedParts>();
  private readonly currentMerge = new IncrementalMerge();
  /** What the current merge last produced: the next one reuses its entries' JSON. */
  private currentParts: MergedParts | undefined;
  private readonly retained: number;

  constructor(
    private readonly store: RegistryStore,
    options: ViewCacheOptions = {},
  ) {
    this.retained = Math.max(1, (options.retainedRevisions ?? 4) + 1);
  }

  /** The current revision (the gate: one small read). */
  head(): Promise<{ epoch: string; revision: number }> {
    return this.store.currentRevision();
  }

  async current(variant: Variant = 'all'): Promise<View> {
    if (this.views.size === 0) {
      // Nothing built yet (a cold start): the current state's one read carries its epoch and revision,
      // so the gate's read would only add a round trip before it.
      const state = await this.store.viewState();
      return this.build(state.epoch, state.revision, variant, true, state);
    }
    const head = await this.store.currentRevision();
    return this.build(head.epoch, head.revision, variant, true);
  }

  /**
   * The view at `revision`: RevisionNotFoundError past the current one, RevisionExpiredError (from the
   * store) once it is older than the retained history.
   */
  async at(revision: number, variant: Variant = 'all'): Promise<View> {
    const head = await this.store.currentRevision();
    if (revision > head.revision) throw new RevisionNotFoundError(revision, head.revision);
    return this.build(head.epoch, revision, variant, revision === head.revision);
  }

  /**
   * What GET /services/{hostname} answers from at the current revision: the view when it is built
   * already, otherwise a lookup over the decoded snapshots, so that one hostname never waits for the
   * merge of the whole view.
   */
  async hostnames(variant: Variant = 'all'): Promise<HostnameAnswers> {
    const head = await this.store.currentRevision();
    const key = `${head.epoch}:${head.revision}:${variant}`;
    const built = this.views.get(key) ?? this.lookups.get(key);
    if (built) return built;
    const otherKey = `${head.epoch}:${head.revision}:${variant === 'all' ? 'fresh' : 'all'}`;
    const other = this.views.get(otherKey) ?? this.lookups.get(otherKey);
    const state = other ? other.state : await this.store.viewState();
    await this.decode(state.registries);
    const { inputs, degraded } = this.inputsFor(state.registries, variant);
    const lookup = new HostnameLookup(viewEtag(head.epoch, state.revision, variant, degraded), state, inputs);
    // As a view: a degraded lookup is not kept, so the next request tries the unreadable snapshot again.
    if (!degraded) this.remember(this.lookups, `${head.epoch}:${state.revision}:${variant}`, lookup);
    return lookup;
  }

  /** The view at `revision` when the epoch is already known (the caller read the head). */
  async build(
    epoch: string,
    revision: number,
    variant: Variant,
    isCurrent: boolean,
    /** The state of that revision, when the caller has read it already. */
    known?: ViewState,
  ): Promise<View> {
    const key = `${epoch}:${revision}:${variant}`;
    const cached = this.views.get(key);
    if (cached) {
      this.views.delete(key);
      this.views.set(key, cached);
      return cached;
    }
    const started = performance.now();
    const other = this.views.get(`${epoch}:${revision}:${variant === 'all' ? 'fresh' : 'all'}`);
    // The current state is one read without a revision (a past one is one read of its history item);
    // should the revision move in between, the view is the newer state's, consistent in itself.
    const state = known ?? other?.state ?? (await this.store.viewState(isCurrent ? undefined : revision));
    await this.decode(state.registries);
    const merged = this.merge(state.registries, variant, isCurrent);
    const view = new View(
      epoch,
      state.revision,
      variant,
      state,
      state.registries.map(statusEntry),
      merged.parts,
      merged.degraded,
    );
    if (isCurrent) recordViewMetrics(view, performance.now() - started);
    // A degraded view is not kept: the next request tries the unreadable snapshot again.
    if (!merged.degraded) this.remember(this.views, `${epoch}:${state.revision}:${variant}`, view);
    return view;
  }

  private async decode(entries: readonly RegistryViewEntry[]): Promise<void> {
    const missing = entries
      .map((entry) => entry.snapshot?.id)
      .filter((id): id is string => id !== undefined && !this.decoded.has(id));
    if (missing.length === 0) return;
    const loaded = await this.store.loadSnapshots(missing, { endpoints: false });
    for (const [id, services] of loaded) this.decoded.set(id, services);
    for (const entry of entries) {
      if (entry.snapshot && loaded.has(entry.snapshot.id))
        this.lastDecoded.set(entry.name, entry.snapshot.id);
    }
  }

  /**
   * The merge's input for a view state: each registry's decoded services, an older decoded copy when its
   * snapshot cannot be read, or its error. `override` replaces one registry's services (null: leaves the
   * registry out), for a preview.
   */
  inputsFor(
    entries: readonly RegistryViewEntry[],
    variant: Variant,
    override?: { registry: string; services: readonly Service[] | null },
  ): { inputs: RegistrySnapshot[]; keyParts: string[]; degraded: boolean } {
    const inputs: RegistrySnapshot[] = [];
    const keyParts: string[] = [];
    let degraded = false;
    for (const entry of entries) {
      const registry = {
        name: entry.name,
        ...(entry.clusterId ? { clusterId: entry.clusterId } : {}),
        ...(entry.provider !== undefined ? { provider: entry.provider } : {}),
      };
      if (override?.registry === entry.name) {
        if (override.services !== null) inputs.push({ registry, services: override.services });
        continue;
      }
      if (variant === 'fresh' && entry.stale) continue;
      const id = entry.snapshot?.id;
      let services = id === undefined ? undefined : this.decoded.get(id);
      let used = id;
      if (id !== undefined && services === undefined) {
        degraded = true;
        const older = this.lastDecoded.get(entry.name);
        services = older === undefined ? undefined : this.decoded.get(older);
        used = older;
        if (services === undefined) {
          inputs.push({ registry, error: UNREADABLE_SNAPSHOT });
          keyParts.push(`${entry.name}|${entry.clusterId ?? ''}|!unreadable`);
          continue;
        }
      }
      if (services !== undefined) {
        inputs.push({ registry, services });
        keyParts.push(`${entry.name}|${entry.clusterId ?? ''}|${used}`);
      } else if (entry.lastError !== undefined) {
        // Nothing to serve and the source fails: reported and skipped, as Istio does.
        inputs.push({ registry, error: entry.lastError });
        keyParts.push(`${entry.name}|${entry.clusterId ?? ''}|!${entry.lastError}`);
      }
    }
    return { inputs, keyParts, degraded };
  }

  /** What the view would merge to with one registry's services replaced (or removed): nothing cached. */
  preview(view: View, registry: string, services: readonly Service[] | null): Aggregate {
    const { inputs } = this.inputsFor(view.state.registries, view.variant, { registry, services });
    return new IncrementalMerge().update(inputs);
  }

  private merge(entries: readonly RegistryViewEntry[], variant: Variant, isCurrent: boolean): Merged {
    const { inputs, keyParts, degraded } = this.inputsFor(entries, variant);
    const key = JSON.stringify(keyParts);
    let parts = this.merges.get(key);
    if (!parts) {
      // The current view merges incrementally; an older one merges apart so the current state stays warm.
      const aggregate = isCurrent ? this.currentMerge.update(inputs) : new IncrementalMerge().update(inputs);
      const clustered = new Set(inputs.filter((i) => i.registry.clusterId).map((i) => i.registry.name));
      parts = new MergedParts(aggregate, clustered, isCurrent ? this.currentParts : undefined);
      if (isCurrent) this.currentParts = parts;
      this.merges.set(key, parts);
    } else {
      this.merges.delete(key);
      this.merges.set(key, parts);
    }
    while (this.merges.size > this.retained * 2) {
      const oldest = this.merges.keys().next().value;
      if (oldest === undefined) break;
      this.merges.delete(oldest);
    }
    return { parts, degraded };
  }

  private remember<T extends HostnameAnswers>(into: Map<string, T>, key: string, value: T): void {
    into.set(key, value);
    // Two variants per revision.
    while (into.size > this.retained * 2) {
      const oldest = into.keys().next().value;
      if (oldest === undefined) break;
      into.delete(oldest);
    }
    // Decoded snapshots stay bounded: those of the retained views and lookups, and each registry's last one.
    const keep = new Set(this.lastDecoded.values());
    for (const retained of [...this.views.values(), ...this.lookups.values()]) {
      for (const entry of retained.state.registries) if (entry.snapshot) keep.add(entry.snapshot.id);
    }
    for (const id of this.decoded.keys()) if (!keep.has(id)) this.decoded.delete(id);
  }
}

export function statusEntry(entry: RegistryViewEntry): RegistryStatusEntry {
  return {
    name: entry.name,
    position: entry.position,
    ...(entry.clusterId ? { clusterId: entry.clusterId } : {}),
    ...(entry.provider !== undefined ? { provider: entry.provider } : {}),
    ...(entry.network !== undefined ? { network: entry.network } : {}),
    status: statusOf(entry),
    generation: entry.snapshot?.generation ?? null,
    serviceCount: entry.snapshot?.serviceCount ?? 0,
    snapshotAt: entry.snapshot?.snapshotAt ?? null,
    lastError: entry.lastError ?? null,
    ...(entry.skipped ? { skipped: entry.skipped } : {}),
  };
}

/** What operators watch per new view (EMF, flushed with the invocation): size, conflicts, health, cost. */
function recordViewMetrics(view: View, buildMs: number): void {
  metrics.addMetric('MergedServices', MetricUnit.Count, view.parts.services.length);
  metrics.addMetric('Conflicts', MetricUnit.Count, view.parts.aggregate.conflicts.length);
  const byStatus: Record<RegistryStatus, number> = { ok: 0, stale: 0, error: 0, empty: 0 };
  for (const entry of view.state.registries) byStatus[statusOf(entry)]++;
  for (const [status, count] of Object.entries(byStatus)) {
    metrics.addMetric(`Registries_${status}`, MetricUnit.Count, count);
  }
  metrics.addMetric('ViewBuildTime', MetricUnit.Milliseconds, buildMs);
}
