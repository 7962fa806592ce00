import { httpHandler, json } from '#http/handler.ts';
import { store } from '#store/client.ts';
import { notModified } from './conditional.ts';
import { MergedViewCache } from './merged-view.ts';

/** Module scope: warm invocations reuse decoded snapshots and the last merged result. */
const view = new MergedViewCache(store);

export const handler = httpHandler(async (event) => {
  const current = await view.current();
  const headers = { ETag: current.etag, 'Cache-Control': 'no-cache' };
  if (notModified(event, current.etag)) return { statusCode: 304, headers };
  return json(200, current.json, headers);
});
