/**
 * Request parameters and responses shared by the merged-view routes: the stale filter, integers in the
 * query string, the page cursor, and an encoded, conditional answer with the view's ETag.
 */
import { apiError, badRequest } from '#http/errors.ts';
import type { HttpEvent, HttpResult } from '#http/handler.ts';
import { RevisionExpiredError, RevisionNotFoundError } from '#store/errors.ts';
import { notModified } from './conditional.ts';
import { type Coding, negotiateCoding } from './encoding.ts';
import type { Variant, View } from './view.ts';

export function variantParam(event: HttpEvent): Variant {
  const stale = event.queryStringParameters?.stale ?? 'include';
  if (stale !== 'include' && stale !== 'exclude') {
    throw badRequest('stale must be "include" (the default) or "exclude"', 'InvalidQuery');
  }
  return stale === 'exclude' ? 'fresh' : 'all';
}

/** A non-negative integer query parameter (digits only), or undefined when absent. */
export function integerParam(
  event: HttpEvent,
  name: string,
  bounds: { min?: number; max?: number } = {},
): number | undefined {
  const raw = event.queryStringParameters?.[name];
  if (raw === undefined) return undefined;
  const min = bounds.min ?? 0;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  const value = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = bounds.max === undefined ? `at least ${min}` : `from ${min} to ${max}`;
    throw badRequest(`${name} must be an integer ${range}`, 'InvalidQuery');
  }
  return value;
}

export interface Cursor {
  epoch: string;
  revision: number;
  offset: number;
  variant: Variant;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(raw: string): Cursor {
  const invalid = () => badRequest('cursor is not one this API handed out', 'InvalidCursor');
  if (raw.length > 512 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const c = parsed as Partial<Cursor> | null;
  if (
    !c ||
    typeof c.epoch !== 'string' ||
    !Number.isSafeInteger(c.revision) ||
    !Number.isSafeInteger(c.offset) ||
    (c.offset as number) < 0 ||
    (c.variant !== 'all' && c.variant !== 'fresh')
  ) {
    throw invalid();
  }
  return c as Cursor;
}

export function revisionGone(message: string): Error {
  return apiError(410, 'RevisionExpired', message);
}

export function revisionNotReached(message: string): Error {
  return apiError(410, 'RevisionNotReached', message);
}

export function codingOf(event: HttpEvent): Coding {
  return negotiateCoding(event.headers['accept-encoding']);
}

/** A body (an encoded page, or a small JSON value) with the validators and the coding it went with. */
export function encodedResponse(
  event: HttpEvent,
  etag: string,
  page: { body: string | Buffer; coding: Coding },
): HttpResult {
  const headers: Record<string, string> = {
    ETag: etag,
    'Cache-Control': 'no-cache',
    Vary: 'Accept-Encoding',
  };
  if (notModified(event, etag)) return { statusCode: 304, headers };
  headers['Content-Type'] = 'application/json';
  if (page.coding === 'identity') return { statusCode: 200, headers, body: String(page.body) };
  headers['Content-Encoding'] = page.coding;
  const body = typeof page.body === 'string' ? page.body : page.body.toString('base64');
  return { statusCode: 200, headers, body, isBase64Encoded: true };
}

/** A page of a view, answered with its own ETag (the view's, plus offset and limit for later pages). */
export function pageResponse(
  event: HttpEvent,
  view: View,
  offset: number,
  limit: number | undefined,
): HttpResult {
  const etag = view.pageEtag(offset, limit);
  if (notModified(event, etag)) {
    return { statusCode: 304, headers: { ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' } };
  }
  const page = view.page({
    offset,
    ...(limit !== undefined ? { limit } : {}),
    coding: codingOf(event),
    cursor: (next) =>
      encodeCursor({ epoch: view.epoch, revision: view.revision, offset: next, variant: view.variant }),
  });
  return encodedResponse(event, etag, page);
}

/** Store history errors as the 410s clients act on (re-read GET /services). */
export async function orGone<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof RevisionExpiredError) throw revisionGone(error.message);
    if (error instanceof RevisionNotFoundError) throw revisionNotReached(error.message);
    throw error;
  }
}
