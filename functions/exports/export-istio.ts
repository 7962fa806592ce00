/**
 * GET /exports/istio: the merged view as a Kubernetes List of Istio ServiceEntry objects, ready for
 * `kubectl apply -f -`. JSON by default, YAML for `Accept: application/yaml`; `?namespace=` (default
 * istio-system), `?health=healthy|all` (default healthy), `?stale=exclude`.
 */

import { stringify } from 'yaml';
import { badRequest } from '#http/errors.ts';
import { httpHandler } from '#http/handler.ts';
import { istioExport } from '#lib/exports/istio.ts';
import { DNS_LABEL } from '#lib/names.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { answer, excludeStaleParam, queryParams } from '../query/endpoint-http.ts';
import { contentEtag } from '../query/endpoint-view.ts';
import { ExportViewCache } from './export-view.ts';

const DEFAULT_NAMESPACE = 'istio-system';
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

export function makeHandler(deps: { store: RegistryStore }) {
  const views = new ExportViewCache(deps.store);
  return httpHandler(
    async (event, context) => {
      const params = queryParams(event);
      const excludeStale = excludeStaleParam(params);
      const namespace = params.namespace ?? DEFAULT_NAMESPACE;
      if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
        throw badRequest('namespace must be a DNS label (a-z, 0-9, "-", at most 63)', 'InvalidQuery');
      }
      const health = params.health ?? 'healthy';
      if (health !== 'healthy' && health !== 'all') {
        throw badRequest('health must be "healthy" (the default) or "all"', 'InvalidQuery');
      }
      const yaml = wantsYaml(event.headers.accept);
      const view = await views.current({ excludeStale });
      const rendered = view.rendered(`istio:${namespace}:${health}:${yaml}`, () => {
        const list = istioExport(
          {
            services: view.services,
            endpointsOf: (hostname) => view.index.endpointsOf(hostname) ?? [],
            serviceAccountsOf: (hostname) => view.index.serviceAccountsOf(hostname) ?? [],
            networks: view.networks,
          },
          { namespace, health },
        );
        const body = yaml ? stringify(list) : JSON.stringify(list);
        return { body, etag: contentEtag(['exports/istio', yaml ? 'yaml' : 'json', body]) };
      });
      const result = answer(event, context, rendered);
      result.headers = { ...result.headers, Vary: 'Accept, Accept-Encoding' };
      if (yaml && result.statusCode === 200) result.headers['Content-Type'] = 'application/yaml';
      return result;
    },
    { auth: 'read', store: deps.store },
  );
}

/** YAML when the client lists a YAML type and not JSON before it (quality values are not weighed). */
export function wantsYaml(accept: string | undefined): boolean {
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0]?.trim().toLowerCase() ?? '';
    if (type === 'application/json') return false;
    if (YAML_TYPES.has(type)) return true;
  }
  return false;
}

export const handler = makeHandler({ store });
