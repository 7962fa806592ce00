/**
 * What the three discovery routes share at the HTTP edge: their common query parameters, and answering
 * a serialised body with its ETag (304 on If-None-Match), compressed when it is large.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
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
 * Lambda refuses a response over 6 MB (6,291,456 bytes, a compressed body counted after base64); this
 * leaves room for the status, the headers and the JSON envelope around the body.
 */
export const MAX_BODY_BYTES = 6_000_000;
/** Fast settings: a 10 MB answer compresses in tens of milliseconds and still shrinks about 20-fold. */
const GZIP_LEVEL = 4;
const BROTLI_QUALITY = 4;
/**
 * From this size we gzip here and keep the result with the body: the shared stack would compress every
 * request anew, and with brotli's default quality that takes seconds for a few MB.
 */
export const COMPRESS_HERE_BYTES = 64 * 1024;

export type Coding = 'br' | 'gzip' | 'identity';

/** A serialised answer, with its compressed bytes (base64) when it was worth compressing here. */
export type EncodedPage = Rendered & { encoded?: { coding: Exclude<Coding, 'identity'>; base64: string } };

/** The client's first choice of br and gzip, in the order the shared stack negotiated; else identity. */
export function preferredCoding(context: Context): Coding {
  const accepted = (context as Context & { preferredEncodings?: string[] }).preferredEncodings ?? [];
  for (const coding of accepted)
    if (coding === 'br' || coding === 'gzip' || coding === 'identity') return coding;
  return 'identity';
}

/** The body compressed, as base64 (how a Lambda response carries bytes). */
export function compressed(body: string, coding: Exclude<Coding, 'identity'>): string {
  const bytes =
    coding === 'gzip'
      ? gzipSync(body, { level: GZIP_LEVEL })
      : brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } });
  return bytes.toString('base64');
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

/** A small answer (workloads, service accounts); compressed here, once, when it is large after all. */
export function answer(event: HttpEvent, context: Context, rendered: Rendered): HttpResult {
  const page = rendered as EncodedPage & { byCoding?: Map<Coding, string> };
  const large = page.body.length >= COMPRESS_HERE_BYTES;
  const coding = preferredCoding(context);
  if (large && coding !== 'identity') {
    page.byCoding ??= new Map();
    const base64 = page.byCoding.get(coding) ?? compressed(page.body, coding);
    page.byCoding.set(coding, base64);
    if (base64.length <= MAX_BODY_BYTES)
      return encodedAnswer(event, { ...page, encoded: { coding, base64 } });
  } else if (!large || Buffer.byteLength(page.body) <= MAX_BODY_BYTES) {
    return encodedAnswer(event, { body: page.body, etag: page.etag });
  }
  throw apiError(
    406,
    'ResponseTooLarge',
    `the answer is ${(Buffer.byteLength(page.body) / 1e6).toFixed(1)} MB, more than a Lambda response holds`,
  );
}
