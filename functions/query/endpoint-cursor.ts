/**
 * Paging of GET /services/{hostname}/endpoints: `limit` and an opaque `cursor` pinned to the revision
 * of the first page, so that every page of one walk comes from the same view, even when registries
 * change between requests (within the history retention).
 */
import { createHash } from 'node:crypto';
import { badRequest } from '#http/errors.ts';
import type { QueryParams } from './endpoint-http.ts';

export const MAX_PAGE_LIMIT = 10_000;

export interface Cursor {
  epoch: string;
  revision: number;
  offset: number;
  /** A digest of the question (hostname, filters, stale), so a cursor only continues its own walk. */
  question: string;
}

export interface Paging {
  limit?: number;
  cursor?: Cursor;
}

const WIRE_KEYS = new Set(['e', 'r', 'o', 'q']);

/**
 * The wire form checked by hand (no schema library at this function's cold start): exactly these
 * keys, an epoch of 1–64 characters, safe integers r ≥ 0 and o ≥ 1, a 16-character question digest.
 */
function wireCursor(value: unknown): Cursor | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if (Object.keys(value).some((key) => !WIRE_KEYS.has(key))) return undefined;
  const { e, r, o, q } = value as Record<string, unknown>;
  if (typeof e !== 'string' || e.length < 1 || e.length > 64) return undefined;
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 0) return undefined;
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 1) return undefined;
  if (typeof q !== 'string' || q.length !== 16) return undefined;
  return { epoch: e, revision: r, offset: o, question: q };
}

export function pagingParams(params: QueryParams): Paging {
  const paging: Paging = {};
  if (params.limit !== undefined) {
    const limit = /^[0-9]{1,6}$/.test(params.limit) ? Number(params.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) {
      throw badRequest(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`, 'InvalidQuery');
    }
    paging.limit = limit;
  }
  if (params.cursor !== undefined) paging.cursor = decodeCursor(params.cursor);
  return paging;
}

export function encodeCursor(cursor: Cursor): string {
  const wire = { e: cursor.epoch, r: cursor.revision, o: cursor.offset, q: cursor.question };
  return Buffer.from(JSON.stringify(wire)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  const invalid = () =>
    badRequest('cursor is not one this API gave out (pass nextCursor as it is)', 'InvalidCursor');
  if (raw.length === 0 || raw.length > 512 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const cursor = wireCursor(decoded);
  if (cursor === undefined) throw invalid();
  return cursor;
}

export function questionDigest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}
