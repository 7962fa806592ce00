/**
 * What the three discovery routes share at the HTTP edge: their common query parameters, and answering
 * a serialised body with its ETag (304 on If-None-Match), compressed when it is large.
 */
import { gzipSync } from 'node:zlib';
import type { Context } from 'aws-lambda';
import { apiError, badRequest } from '#http/errors.ts';
import { type HttpEvent, type HttpResult, json } from '#http/handler.ts';
import type { QueryParse } from '#lib/endpoint-query.ts';
import { notModified } from './conditional.ts';
import type { Rendered } from './endpoint-view.ts';

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
 * Lambda refuses a response over 6 MB (6,291,456 bytes) as a whole; this leaves room for the headers
 * and the JSON envelope around the body.
 */
export const MAX_RESPONSE_BYTES = 6_000_000;
/**
 * From this size we gzip here, with a fast level, and keep the result with the body: the shared stack
 * would compress every request anew, and with brotli's default quality that takes seconds for a few MB.
 */
const COMPRESS_HERE_BYTES = 256 * 1024;

type Encoded = Rendered & { gzip?: string };

export function answer(event: HttpEvent, context: Context, rendered: Rendered): HttpResult {
  const headers: Record<string, string> = { ETag: rendered.etag, 'Cache-Control': 'no-cache' };
  if (notModified(event, rendered.etag)) return { statusCode: 304, headers };
  // Only a long string can be over the threshold in bytes, so the count is skipped for most bodies.
  const large =
    rendered.body.length * 3 >= COMPRESS_HERE_BYTES &&
    Buffer.byteLength(rendered.body) >= COMPRESS_HERE_BYTES;
  if (!large) return json(200, rendered.body, headers);
  const encodings = (context as Context & { preferredEncodings?: string[] }).preferredEncodings ?? [];
  if (encodings.includes('gzip')) {
    const encoded = rendered as Encoded;
    encoded.gzip ??= gzipSync(rendered.body, { level: 4 }).toString('base64');
    if (encoded.gzip.length <= MAX_RESPONSE_BYTES) {
      return {
        statusCode: 200,
        headers: {
          'Content-Type': 'application/json',
          'Content-Encoding': 'gzip',
          Vary: 'Accept-Encoding',
          ...headers,
        },
        body: encoded.gzip,
        isBase64Encoded: true,
      };
    }
  } else if (Buffer.byteLength(rendered.body) <= MAX_RESPONSE_BYTES) {
    return json(200, rendered.body, { ...headers, Vary: 'Accept-Encoding' });
  }
  throw apiError(
    406,
    'ResponseTooLarge',
    `the answer is ${(Buffer.byteLength(rendered.body) / 1e6).toFixed(1)} MB, more than a Lambda response can hold: ` +
      'send Accept-Encoding: gzip, or ask for pages with ?limit=',
  );
}
