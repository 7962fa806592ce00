/**
 * GET /exports/prometheus: every endpoint as a Prometheus HTTP SD target group (`http_sd_configs`).
 * All endpoints by default; `?health=` and `?port=` filter as on GET /services/{hostname}/endpoints;
 * `?stale=exclude`.
 */
import { httpHandler } from '#http/handler.ts';
import { parseHealth, parsePort } from '#lib/endpoint-query.ts';
import { prometheusTargets } from '#lib/exports/prometheus.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { answer, excludeStaleParam, queryParams, queryValue } from '../query/endpoint-http.ts';
import { contentEtag } from '../query/endpoint-view.ts';
import { ExportViewCache } from './export-view.ts';

export function makeHandler(deps: { store: RegistryStore }) {
  const views = new ExportViewCache(deps.store);
  return httpHandler(
    async (event, context) => {
      const params = queryParams(event);
      const excludeStale = excludeStaleParam(params);
      const health = params.health === undefined ? 'all' : queryValue(parseHealth(params.health));
      const port = params.port === undefined ? undefined : queryValue(parsePort(params.port));
      const view = await views.current({ excludeStale });
      const rendered = view.rendered(`prometheus:${health}:${port ?? ''}:${typeof port}`, () => {
        const groups = prometheusTargets(
          { services: view.services, endpointsOf: (hostname) => view.index.endpointsOf(hostname) ?? [] },
          { health, ...(port === undefined ? {} : { port }) },
        );
        const body = JSON.stringify(groups);
        return { body, etag: contentEtag(['exports/prometheus', body]) };
      });
      return answer(event, context, rendered);
    },
    { auth: 'read', store: deps.store },
  );
}

export const handler = makeHandler({ store });
