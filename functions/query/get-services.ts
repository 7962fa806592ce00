import { badRequest } from '#http/errors.ts';
import { httpHandler, json } from '#http/handler.ts';
import { store } from '#store/client.ts';
import { notModified } from './conditional.ts';
import { MergedViewCache } from './merged-view.ts';

/** Module scope: warm invocations reuse decoded snapshots and the last merged result. */
const view = new MergedViewCache(store);

export const handler = httpHandler(
  async (event) => {
    const stale = event.queryStringParameters?.stale ?? 'include';
    if (stale !== 'include' && stale !== 'exclude') {
      throw badRequest('stale must be "include" (the default) or "exclude"', 'InvalidQuery');
    }
    const current = await view.current({ excludeStale: stale === 'exclude' });
    const headers = { ETag: current.etag, 'Cache-Control': 'no-cache' };
    if (notModified(event, current.etag)) return { statusCode: 304, headers };
    return json(200, current.json, headers);
  },
  { auth: 'read' },
);
