/**
 * GET /workloads/{address}: Istio's GetProxyServiceInstances, every endpoint at an address across all
 * registries in registration order; `?clusterId=` skips the registries of other clusters.
 */
import { badRequest } from '#http/errors.ts';
import { type HttpEvent, httpHandler } from '#http/handler.ts';
import { instanceView } from '#lib/endpoints.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { answer, excludeStaleParam, queryParams } from './endpoint-http.ts';
import { contentEtag, EndpointViewCache } from './endpoint-view.ts';

const CLUSTER_ID = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,252}$/;

export function makeHandler(deps: { store: RegistryStore }) {
  const views = new EndpointViewCache(deps.store);
  return httpHandler(
    async (event) => {
      const wanted = await addressParam(event);
      const params = queryParams(event);
      const excludeStale = excludeStaleParam(params);
      const clusterId = params.clusterId;
      if (clusterId !== undefined && !CLUSTER_ID.test(clusterId)) {
        throw badRequest('clusterId must be a cluster id (letters, digits, "-", "_", ".")', 'InvalidQuery');
      }
      const view = await views.current({ excludeStale });
      const key = `workload:${wanted}:${clusterId ?? ''}`;
      const rendered = view.rendered(key, () => {
        const found = view.index.proxyServiceInstances(wanted, clusterId === undefined ? {} : { clusterId });
        const instances = JSON.stringify(found.map(instanceView));
        const errors = JSON.stringify(view.errors);
        const at = JSON.stringify(wanted);
        return {
          body: `{"address":${at},"revision":${view.revision},"instances":${instances},"errors":${errors}}`,
          etag: contentEtag(['workload', at, instances, errors]),
        };
      });
      return answer(event, rendered);
    },
    { auth: 'read', store: deps.store, compress: false },
  );
}

async function addressParam(event: HttpEvent): Promise<string> {
  const raw: unknown = event.pathParameters?.address;
  // The schema (zod) is loaded on the first request that needs it, not at the cold start.
  const { address } = await import('./workload-address.ts');
  const parsed = typeof raw === 'string' && raw.length <= 253 ? address.safeParse(raw) : undefined;
  if (!parsed?.success)
    throw badRequest('address must be an IPv4 or IPv6 address, or a DNS name', 'InvalidAddress');
  return parsed.data;
}

export const handler = makeHandler({ store });
