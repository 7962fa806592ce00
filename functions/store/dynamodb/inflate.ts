/**
 * Compressed JSON as the store writes it (snapshot chunks: zstd; brotli or gzip from before), back to a
 * value: a cold read decodes megabytes of it, so the two steps that cost beyond the decoder and
 * JSON.parse are left out (10 × 5,000 services: 14 MB of text, about 10 ms less; the same bytes and
 * text in memory).
 */
import { isAscii } from 'node:buffer';
import { brotliDecompressSync, gunzipSync, zstdDecompressSync } from 'node:zlib';
import type { ChunkCodec } from './keys.ts';

/** zlib's default output chunk (16 KiB) when the trailer's size is of no use. */
const DEFAULT_CHUNK = 16 * 1024;
/** Past this, the size in the trailer is not trusted to size one buffer (inflated JSON of a view is MBs). */
const MAX_EXACT = 256 * 1024 * 1024;

export function inflateJson(packed: Uint8Array, codec: ChunkCodec): unknown {
  const inflated =
    codec === 'zstd'
      ? zstdDecompressSync(packed)
      : codec === 'br'
        ? brotliDecompressSync(packed)
        : gunzipWhole(packed);
  // Mostly ASCII (hostnames, addresses, ports): then latin1 is the same text, copied, not UTF-8 decoded.
  return JSON.parse(isAscii(inflated) ? inflated.toString('latin1') : inflated.toString('utf8'));
}

function gunzipWhole(packed: Uint8Array): Buffer {
  // The gzip trailer ends with the inflated size (mod 2^32): one output buffer of that size spares
  // zlib collecting 16 KiB pieces and copying them into one (+1 so it does not allocate a spare).
  const size = packed.length >= 18 ? trailerSize(packed) : 0;
  // zlib refuses chunks under 64 bytes. A wrong size is refused by zlib's own check of the trailer.
  const chunkSize = size > 0 && size < MAX_EXACT ? Math.max(size + 1, 64) : DEFAULT_CHUNK;
  return gunzipSync(packed, { chunkSize });
}

/** ISIZE, the last four bytes of a gzip member, little-endian. */
function trailerSize(packed: Uint8Array): number {
  const n = packed.length;
  return new DataView(packed.buffer, packed.byteOffset + n - 4, 4).getUint32(0, true);
}
