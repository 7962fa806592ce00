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
import {
  type Coding,
  type EncodedPage,
  encodedAnswer,
  encodePage,
  excludeStaleParam,
  MAX_BODY_BYTES,
  queryParams,
  queryValue,
} from './endpoint-http.ts';
import { contentEtag, type EndpointView, EndpointViewCache, ViewExpiredError } from './endpoint-view.ts';
import { codingOf } from './respond.ts';

export function makeHandler(deps: { store: RegistryStore }) {
  const views = new EndpointViewCache(deps.store);
  return httpHandler(
    async (event) => {
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
      const coding = codingOf(event);
      if (cursor === undefined && limit === undefined) {
        // Most reads ask for everything: one serialisation, kept per coding, unless it has to be cut.
        const whole = view.remember(
          `whole:${question}:${coding}`,
          () => wholeOf(view, hostname, query, coding),
          (made) => made.page?.body.length ?? 0,
        );
        if (whole.page) return encodedAnswer(event, whole.page);
      }
      const listing = view.remember(
        `list:${question}`,
        () => listingOf(view, hostname, query),
        (made) => made.bytes.at(-1) ?? 0,
      );
      const offset = Math.min(cursor?.offset ?? 0, listing.parts.length);
      const page = view.remember(
        `page:${question}:${offset}:${limit ?? ''}:${coding}`,
        () => pageOf(view, listing, { offset, limit, question, coding }),
        (made) => made.body.length,
      );
      return encodedAnswer(event, page);
    },
    { auth: 'read', store: deps.store, compress: false },
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
        'RevisionExpired',
        'the cursor’s revision is no longer kept: read the endpoints again without cursor',
      );
    }
    if (error instanceof RevisionNotFoundError) {
      throw apiError(410, 'RevisionNotReached', 'the cursor’s revision is not one this store has reached');
    }
    throw error;
  }
}

/** Every endpoint of the question in one body, or no page when it does not fit a Lambda response. */
function wholeOf(
  view: EndpointView,
  hostname: string,
  query: EndpointQuery,
  coding: Coding,
): { page?: EncodedPage } {
  const found = view.index.instancesByPort(hostname, query) ?? [];
  const endpoints = JSON.stringify(found.map(endpointView));
  const host = JSON.stringify(hostname);
  const errors = JSON.stringify(view.errors);
  const page = encodePage(
    {
      body: `{"hostname":${host},"revision":${view.revision},"endpoints":${endpoints},"errors":${errors}}`,
      // The same tag as renderPage gives this content (a JSON array is its parts joined by commas).
      etag: contentEtag(['endpoints', host, endpoints, errors, '0', 'false']),
    },
    coding,
  );
  const size = page.encoded
    ? page.encoded.base64.length
    : page.body.length * 3 <= MAX_BODY_BYTES
      ? 0
      : Buffer.byteLength(page.body);
  return size <= MAX_BODY_BYTES ? { page } : {};
}

/** The endpoints of one question, serialised one by one, so that a page is a join of a range. */
interface Listing {
  host: string;
  errors: string;
  parts: string[];
  /** bytes[i]: the UTF-8 length of the first i parts, with a comma after each. */
  bytes: number[];
}

function listingOf(view: EndpointView, hostname: string, query: EndpointQuery): Listing {
  const found = view.index.instancesByPort(hostname, query) ?? [];
  const parts = found.map((endpoint) => JSON.stringify(endpointView(endpoint)));
  const bytes = new Array<number>(parts.length + 1);
  bytes[0] = 0;
  for (let i = 0; i < parts.length; i++) {
    bytes[i + 1] = (bytes[i] as number) + Buffer.byteLength(parts[i] as string) + 1;
  }
  return { host: JSON.stringify(hostname), errors: JSON.stringify(view.errors), parts, bytes };
}

/**
 * A page from `offset`: `limit` endpoints, or all the rest, but never more than a Lambda response holds
 * (its body after compression and base64). A page cut short for size says `truncated` when the client
 * asked for everything, and always gives the cursor of the rest.
 */
function pageOf(
  view: EndpointView,
  listing: Listing,
  page: { offset: number; limit: number | undefined; question: string; coding: Coding },
): EncodedPage {
  const { offset, limit } = page;
  const rest = listing.parts.length - offset;
  let count = Math.min(limit ?? rest, rest);
  if (page.coding === 'identity') count = fittingCount(listing, offset, count);
  for (;;) {
    const rendered = renderPage(view, listing, page, count);
    if (page.coding === 'identity') return rendered;
    const encoded = encodePage(rendered, page.coding);
    const size = encoded.encoded ? encoded.encoded.base64.length : Buffer.byteLength(encoded.body);
    if (size <= MAX_BODY_BYTES || count <= 1) return encoded;
    count = Math.floor(count / 2);
  }
}

/** Room for the envelope around the endpoints: hostname, revision, errors, cursor, punctuation. */
function fittingCount(listing: Listing, offset: number, wanted: number): number {
  const envelope = listing.host.length * 4 + Buffer.byteLength(listing.errors) + 512;
  const budget = MAX_BODY_BYTES - envelope;
  const start = listing.bytes[offset] as number;
  let count = wanted;
  while (count > 1 && (listing.bytes[offset + count] as number) - start > budget) {
    // Jump near the fitting count at once, then step: the parts are of similar size.
    const average = ((listing.bytes[offset + count] as number) - start) / count;
    count = Math.max(1, Math.min(count - 1, Math.floor(budget / average)));
  }
  return count;
}

function renderPage(
  view: EndpointView,
  listing: Listing,
  page: { offset: number; limit: number | undefined; question: string },
  count: number,
): EncodedPage {
  const end = page.offset + count;
  const more = end < listing.parts.length;
  const endpoints = `[${listing.parts.slice(page.offset, end).join(',')}]`;
  const cursor = more
    ? encodeCursor({ epoch: view.epoch, revision: view.revision, offset: end, question: page.question })
    : undefined;
  const truncated = more && page.limit === undefined && page.offset === 0;
  const tail = `${truncated ? ',"truncated":true' : ''}${cursor ? `,"nextCursor":${JSON.stringify(cursor)}` : ''}`;
  return {
    body: `{"hostname":${listing.host},"revision":${view.revision},"endpoints":${endpoints},"errors":${listing.errors}${tail}}`,
    // The revision is left out (a change elsewhere keeps the tag); the page's place is not.
    etag: contentEtag([
      'endpoints',
      listing.host,
      endpoints,
      listing.errors,
      String(page.offset),
      String(more),
    ]),
  };
}

function sortedLabels(query: EndpointQuery): [string, string][] {
  return Object.entries(query.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export const handler = makeHandler({ store });
