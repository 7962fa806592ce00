/**
 * What the three discovery routes share at the HTTP edge: their common query parameters, and answering
 * a serialised body with its ETag (304 on If-None-Match), compressed once per coding (GET /services'
 * negotiation and codecs) rather than by the shared stack on every request.
 */
import { apiError, badRequest } from '#http/errors.ts';
import { type HttpEvent, type HttpResult, json } from '#http/handler.ts';
import type { QueryParse } from '#lib/endpoint-query.ts';
import { notModified } from './conditional.ts';
import { type Coding, compress } from './encoding.ts';
import type { Rendered } from './endpoint-view.ts';
import { codingOf } from './respond.ts';

export type QueryParams = Readonly<Record<string, string | undefined>>;

export function queryParams(event: HttpEvent): QueryParams {
  return event.queryStringParameters ?? {};
}

/** `?stale=include` (the default) or `exclude`, as on GET /services. */
export function excludeStaleParam(params: QueryParams): boolean {
  const stale = params.stale ?? 'include';
  if (stale !== 'include' && stale !== 'exclude') {
    throw badRequest('stale must be "include" (the default) or "exclude"', 'InvalidQuery');
  }
  return stale === 'exclude';
}

export function queryValue<T>(parsed: QueryParse<T>): T {
  if (!parsed.ok) throw badRequest(parsed.message, 'InvalidQuery');
  return parsed.value;
}

/**
 * Lambda refuses a response over 6 MB (6,291,456 bytes, a compressed body counted after base64); this
 * leaves room for the status, the headers and the JSON envelope around the body.
 */
export const MAX_BODY_BYTES = 6_000_000;
/** Below this a compressed body saves less than the headers it adds (as on GET /services/{hostname}). */
export const COMPRESS_FROM_BYTES = 1024;

export type { Coding };

/** A serialised answer, with its compressed bytes (base64) when it was worth compressing. */
export type EncodedPage = Rendered & { encoded?: { coding: Exclude<Coding, 'identity'>; base64: string } };

/** The body in the coding, when that makes it smaller; the caller keeps the result. */
export function encodePage(rendered: Rendered, coding: Coding): EncodedPage {
  if (coding === 'identity' || rendered.body.length < COMPRESS_FROM_BYTES) return rendered;
  const bytes = compress(rendered.body, coding);
  if (bytes.length >= Buffer.byteLength(rendered.body)) return rendered;
  return { ...rendered, encoded: { coding, base64: bytes.toString('base64') } };
}

export function encodedAnswer(event: HttpEvent, page: EncodedPage): HttpResult {
  const headers: Record<string, string> = {
    ETag: page.etag,
    'Cache-Control': 'no-cache',
    Vary: 'Accept-Encoding',
  };
  if (notModified(event, page.etag)) return { statusCode: 304, headers };
  if (page.encoded === undefined) return json(200, page.body, headers);
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': page.encoded.coding, ...headers },
    body: page.encoded.base64,
    isBase64Encoded: true,
  };
}

/** A small answer (a workload, service accounts, an export), encoded once per coding. */
export function answer(event: HttpEvent, rendered: Rendered): HttpResult;
/** The form the export routes call; the Lambda context is no longer needed. */
export function answer(event: HttpEvent, context: unknown, rendered: Rendered): HttpResult;
export function answer(event: HttpEvent, second: unknown, third?: Rendered): HttpResult {
  const rendered = third ?? (second as Rendered);
  const coding = codingOf(event);
  const kept = rendered as Rendered & { byCoding?: Map<Coding, EncodedPage> };
  kept.byCoding ??= new Map();
  let page = kept.byCoding.get(coding);
  if (page === undefined) {
    page = encodePage(rendered, coding);
    kept.byCoding.set(coding, page);
  }
  const size = page.encoded ? page.encoded.base64.length : Buffer.byteLength(page.body);
  if (size > MAX_BODY_BYTES) {
    throw apiError(
      406,
      'ResponseTooLarge',
      `the answer is ${(size / 1e6).toFixed(1)} MB in this coding, more than a Lambda response holds: accept gzip or br`,
    );
  }
  return encodedAnswer(event, page);
}
