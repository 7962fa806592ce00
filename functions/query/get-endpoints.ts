/**
 * GET /services/{hostname}/endpoints: Istio's InstancesByPort over every registry, in registration
 * order, filtered by `port`, `labels` and `health`, optionally in pages (`limit`, `cursor`).
 */

import { apiError, badRequest, notFound } from '#http/errors.ts';
import { httpHandler } from '#http/handler.ts';
import { hostnameParam } from '#http/params.ts';
import { parseEndpointQuery } from '#lib/endpoint-query.ts';
import { type EndpointQuery, endpointView } from '#lib/endpoints.ts';
import { store } from '#store/client.ts';
import { RevisionNotFoundError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';
import { encodeCursor, pagingParams, questionDigest } from './endpoint-cursor.ts';
import { answer, excludeStaleParam, queryParams, queryValue } from './endpoint-http.ts';
import {
  contentEtag,
  type EndpointView,
  EndpointViewCache,
  type Rendered,
  ViewExpiredError,
} from './endpoint-view.ts';

export function makeHandler(deps: { store: RegistryStore }) {
  const views = new EndpointViewCache(deps.store);
  return httpHandler(
    async (event, context) => {
      const hostname = hostnameParam(event);
      const params = queryParams(event);
      const excludeStale = excludeStaleParam(params);
      const query = queryValue(parseEndpointQuery(params));
      const { limit, cursor } = pagingParams(params);
      const question = questionDigest([
        hostname,
        excludeStale,
        query.port ?? null,
        sortedLabels(query),
        query.health ?? 'all',
      ]);
      if (cursor && cursor.question !== question) {
        throw badRequest(
          'cursor belongs to another question: repeat the first page’s parameters',
          'InvalidCursor',
        );
      }
      const view = await viewFor(views, excludeStale, cursor);
      if (!view.index.hasHostname(hostname)) {
        throw notFound(`no registry serves hostname "${hostname}"`, 'ServiceNotFound');
      }
      const offset = cursor?.offset ?? 0;
      const key = `${question}:${offset}:${limit ?? ''}`;
      const rendered = view.rendered(key, () => render(view, hostname, query, { offset, limit, question }));
      return answer(event, context, rendered);
    },
    { auth: 'read', store: deps.store },
  );
}

async function viewFor(
  views: EndpointViewCache,
  excludeStale: boolean,
  cursor: { epoch: string; revision: number } | undefined,
): Promise<EndpointView> {
  try {
    return await views.current({ excludeStale, ...(cursor ? { revision: cursor } : {}) });
  } catch (error) {
    if (error instanceof ViewExpiredError) {
      throw apiError(
        410,
        'CursorExpired',
        'the cursor’s revision is no longer kept: start again without cursor',
      );
    }
    if (error instanceof RevisionNotFoundError) {
      throw badRequest('cursor is not one this API gave out (pass nextCursor as it is)', 'InvalidCursor');
    }
    throw error;
  }
}

function render(
  view: EndpointView,
  hostname: string,
  query: EndpointQuery,
  page: { offset: number; limit: number | undefined; question: string },
): Rendered {
  const all = view.index.instancesByPort(hostname, query) ?? [];
  const end = page.limit === undefined ? all.length : Math.min(all.length, page.offset + page.limit);
  const endpoints = JSON.stringify(all.slice(page.offset, end).map(endpointView));
  const errors = JSON.stringify(view.errors);
  const host = JSON.stringify(hostname);
  const next =
    end < all.length
      ? `,"nextCursor":${JSON.stringify(encodeCursor({ epoch: view.epoch, revision: view.revision, offset: end, question: page.question }))}`
      : '';
  return {
    body: `{"hostname":${host},"revision":${view.revision},"endpoints":${endpoints},"errors":${errors}${next}}`,
    // The revision is left out (a change elsewhere keeps the tag); the page's place is not.
    etag: contentEtag(['endpoints', host, endpoints, errors, String(page.offset), next ? 'more' : '']),
  };
}

function sortedLabels(query: EndpointQuery): [string, string][] {
  return Object.entries(query.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// The deployment's client still exports the store of the older interface until the store branch's DynamoDB
// adapter of the port replaces it; this cast goes with that merge.
export const handler = makeHandler({ store: store as unknown as RegistryStore });
