/**
 * GET /services/{hostname}: one merged service by Istio's aggregate GetService rule (the first registry
 * without a clusterId that has the hostname answers; only when none has it, the entry merged across
 * the clustered registries), from the view's hostname index when the view is built, otherwise from the
 * snapshots' own hostname indexes: never a merge or a serialisation of the whole view.
 */
import { notFound } from '#http/errors.ts';
import { httpHandler } from '#http/handler.ts';
import { hostnameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { compress } from './encoding.ts';
import { codingOf, encodedResponse, variantParam } from './respond.ts';
import { ViewCache } from './view-cache.ts';

/** Below this a compressed body saves less than the headers it adds. */
const COMPRESS_FROM_BYTES = 1024;

export function makeHandler(deps: { store: RegistryStore; views?: ViewCache }) {
  const views = deps.views ?? new ViewCache(deps.store);
  return httpHandler(
    async (event) => {
      const hostname = hostnameParam(event);
      const view = await views.hostnames(variantParam(event));
      const service = view.service(hostname);
      if (!service) throw notFound(`no service has hostname "${hostname}"`, 'ServiceNotFound');
      const text = JSON.stringify(service);
      const coding = codingOf(event);
      const page =
        coding === 'identity' || text.length < COMPRESS_FROM_BYTES
          ? { body: text, coding: 'identity' as const }
          : { body: compress(text, coding), coding };
      return encodedResponse(event, view.etag, page);
    },
    { auth: 'read', store: deps.store, compress: false },
  );
}

export const handler = makeHandler({ store });
