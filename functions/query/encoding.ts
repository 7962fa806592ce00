/**
 * Content coding for the merged-view routes: negotiated here and compressed once per view and coding
 * (the caller keeps the bytes), instead of @middy/http-content-encoding, which compresses every response
 * again (brotli at quality 11: seconds per request on a large view).
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export type Coding = 'br' | 'gzip' | 'identity';

/**
 * Brotli quality 4 costs no more than gzip level 6 on our JSON and compresses about as well or better
 * (bench/view.bench.ts measures both in one run).
 */
export const BROTLI_QUALITY = 4;
export const GZIP_LEVEL = 6;

/** Preference among equally weighted codings: the smaller output first. */
const COMPRESSED: readonly Coding[] = ['br', 'gzip'];

/**
 * RFC 9110 §12.5.3 Accept-Encoding: q-values (q=0: not acceptable), `*` for any coding not named. Of the
 * acceptable codings the highest weight wins, br before gzip on a tie; identity when none is acceptable
 * or when identity is named with a higher weight. No header: identity. A client that refuses identity
 * too still gets identity (the RFC allows it; a 406 helps no one here).
 */
export function negotiateCoding(header: string | undefined): Coding {
  if (header === undefined || header.trim() === '') return 'identity';
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [rawName = '', ...params] = part.split(';');
    const name = rawName.trim().toLowerCase();
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim().toLowerCase());
      if (key === 'q' && value !== undefined) {
        const parsed = Number(value);
        q = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0;
      }
    }
    weights.set(name === 'x-gzip' ? 'gzip' : name, Math.max(q, weights.get(name) ?? 0));
  }
  const star = weights.get('*');
  const weight = (coding: Coding): number => weights.get(coding) ?? star ?? 0;
  let best: Coding = 'identity';
  let bestWeight = 0;
  for (const coding of COMPRESSED) {
    const w = weight(coding);
    if (w > bestWeight) {
      best = coding;
      bestWeight = w;
    }
  }
  // Identity is the fallback; a client that names it with a higher weight than any coding gets it.
  const identity = weights.get('identity');
  if (identity !== undefined && identity > bestWeight) return 'identity';
  return best;
}

export function compress(body: string | Buffer, coding: Exclude<Coding, 'identity'>): Buffer {
  const input = typeof body === 'string' ? Buffer.from(body) : body;
  if (coding === 'gzip') return gzipSync(input, { level: GZIP_LEVEL });
  return brotliCompressSync(input, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: input.length,
    },
  });
}

/** Bytes a body takes in the Lambda response: binary bodies travel base64-encoded. */
export function responseBytes(body: string | Buffer): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  return Math.ceil(body.length / 3) * 4;
}
