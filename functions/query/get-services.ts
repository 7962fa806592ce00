/**
 * GET /services[?stale=exclude][&revision=N][&limit=N][&cursor=…]: the merged view, current or at a
 * retained revision, whole or in pages. A cursor pins the revision of the first page, so the pages of a
 * read add up to one view even when pushes happen between them.
 */
import { httpHandler } from '#http/handler.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { decodeCursor, integerParam, orGone, pageResponse, revisionGone, variantParam } from './respond.ts';
import { ViewCache } from './view-cache.ts';

/** Pages larger than this are cut by size anyway (no response passes 6 MB). */
export const MAX_LIMIT = 100_000;

export function makeHandler(deps: { store: RegistryStore; views?: ViewCache }) {
  const views = deps.views ?? new ViewCache(deps.store);
  return httpHandler(
    async (event) => {
      const limit = integerParam(event, 'limit', { min: 1, max: MAX_LIMIT });
      const rawCursor = event.queryStringParameters?.cursor;
      if (rawCursor !== undefined) {
        const cursor = decodeCursor(rawCursor);
        const view = await orGone(() => views.at(cursor.revision, cursor.variant));
        if (view.epoch !== cursor.epoch)
          throw revisionGone('the store was created anew; read the view again');
        return pageResponse(event, view, cursor.offset, limit);
      }
      const variant = variantParam(event);
      const revision = integerParam(event, 'revision');
      const view =
        revision === undefined
          ? await views.current(variant)
          : await orGone(() => views.at(revision, variant));
      return pageResponse(event, view, 0, limit);
    },
    { auth: 'read', store: deps.store, compress: false },
  );
}

/** Module scope: warm invocations reuse decoded snapshots, merged views and their encoded bytes. */
export const handler = makeHandler({ store });
