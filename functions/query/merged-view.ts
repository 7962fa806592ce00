/**
 * The whole merged view as one JSON text, over the routes' ViewCache: what the store's integration
 * tests read to check the view a store produces. The routes use ViewCache and View directly.
 */
import type { RegistryStore } from '#store/port.ts';
import type { View } from './view.ts';
import { ViewCache } from './view-cache.ts';

export interface ViewOptions {
  /** Leave out the services of registries whose snapshot is stale (`?stale=exclude`). */
  excludeStale?: boolean;
}

export interface MergedView {
  revision: number;
  etag: string;
  /** The serialised body, as GET /services sends it uncompressed (the whole view, never paged). */
  json: string;
}

export class MergedViewCache {
  private readonly views: ViewCache;
  private readonly results = new WeakMap<View, MergedView>();

  constructor(store: RegistryStore) {
    this.views = new ViewCache(store);
  }

  async current(options: ViewOptions = {}): Promise<MergedView> {
    const view = await this.views.current(options.excludeStale ? 'fresh' : 'all');
    let result = this.results.get(view);
    if (!result) {
      const page = view.page({ offset: 0, coding: 'identity', cursor: () => '' }, Number.POSITIVE_INFINITY);
      result = { revision: view.revision, etag: view.etag, json: page.body };
      this.results.set(view, result);
    }
    return result;
  }
}
