import { notFound } from '#http/errors.ts';
import { httpHandler, json } from '#http/handler.ts';
import { hostnameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { notModified } from './conditional.ts';
import { MergedViewCache } from './merged-view.ts';

const view = new MergedViewCache(store);

export const handler = httpHandler(
  async (event) => {
    const hostname = hostnameParam(event);
    const current = await view.current();
    const service = current.byHostname.get(hostname);
    if (!service) throw notFound(`no service has hostname "${hostname}"`, 'ServiceNotFound');
    const headers = { ETag: current.etag, 'Cache-Control': 'no-cache' };
    if (notModified(event, current.etag)) return { statusCode: 304, headers };
    return json(200, service, headers);
  },
  { auth: 'read' },
);
