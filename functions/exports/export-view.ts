/**
 * What the export routes read: the endpoint view of functions/query/endpoint-view.ts (the revision's
 * snapshots with their endpoints, the endpoint index, the serialised answers, all cached per revision),
 * plus what only the exports need, derived once per view: the merged services and the registries'
 * Istio networks. A warm request when nothing changed costs one small store read and a map lookup.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import type { EndpointIndex } from '#lib/endpoints.ts';
import type { MergedService } from '#lib/types.ts';
import type { RegistryStore } from '#store/port.ts';
import { EndpointViewCache, type Rendered } from '../query/endpoint-view.ts';

export type { Rendered };

export interface ExportView {
  revision: number;
  services: readonly MergedService[];
  index: EndpointIndex;
  /** Registry name → its Istio network. */
  networks: ReadonlyMap<string, string>;
  /** The answer for `key`, serialised by `render` the first time it is asked (kept within a byte budget). */
  rendered(key: string, render: () => Rendered): Rendered;
}

/** Rough bytes per merged service, for the view's memory budget. */
const SERVICE_BYTES = 512;

export class ExportViewCache {
  private readonly views: EndpointViewCache;

  constructor(store: RegistryStore) {
    this.views = new EndpointViewCache(store);
  }

  async current(options: { excludeStale?: boolean } = {}): Promise<ExportView> {
    const view = await this.views.current(options);
    const derived = view.remember(
      'exports',
      () => {
        const networks = new Map<string, string>();
        for (const entry of view.entries) if (entry.network) networks.set(entry.name, entry.network);
        return { services: aggregateServices(view.snapshots).services, networks };
      },
      ({ services }) => services.length * SERVICE_BYTES,
    );
    return {
      revision: view.revision,
      services: derived.services,
      index: view.index,
      networks: derived.networks,
      rendered: (key, render) => view.rendered(`export:${key}`, render),
    };
  }
}
