/**
 * GET /services/{hostname}/service-accounts: Istio's GetIstioServiceAccounts, the union in first-seen
 * order of what every registry's services with that hostname and their endpoints say; `?port=` (numbers
 * or names, repeated or comma separated) keeps the services with such a port and its endpoints.
 */

import { notFound } from '#http/errors.ts';
import { httpHandler } from '#http/handler.ts';
import { hostnameParam } from '#http/params.ts';
import { parsePorts } from '#lib/endpoint-query.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { answer, excludeStaleParam, queryParams, queryValue } from './endpoint-http.ts';
import { contentEtag, EndpointViewCache } from './endpoint-view.ts';

export function makeHandler(deps: { store: RegistryStore }) {
  const views = new EndpointViewCache(deps.store);
  return httpHandler(
    async (event) => {
      const hostname = hostnameParam(event);
      const params = queryParams(event);
      const excludeStale = excludeStaleParam(params);
      const ports = params.port === undefined ? undefined : queryValue(parsePorts(params.port));
      const view = await views.current({ excludeStale });
      const accounts = view.index.serviceAccountsOf(hostname, ports);
      if (accounts === undefined)
        throw notFound(`no registry serves hostname "${hostname}"`, 'ServiceNotFound');
      const rendered = view.rendered(`accounts:${hostname}:${JSON.stringify(ports ?? null)}`, () => {
        const host = JSON.stringify(hostname);
        const list = JSON.stringify(accounts);
        const errors = JSON.stringify(view.errors);
        return {
          body: `{"hostname":${host},"revision":${view.revision},"serviceAccounts":${list},"errors":${errors}}`,
          etag: contentEtag(['service-accounts', host, list, errors]),
        };
      });
      return answer(event, rendered);
    },
    { auth: 'read', store: deps.store, compress: false },
  );
}

export const handler = makeHandler({ store });
