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
      ? zstdDecompressSync(packed, { chunkSize: chunkFor(zstdContentSize(packed)) })
      : codec === 'br'
        ? brotliDecompressSync(packed)
        : gunzipWhole(packed);
  // Mostly ASCII (hostnames, addresses, ports): then latin1 is the same text, copied, not UTF-8 decoded.
  return JSON.parse(isAscii(inflated) ? inflated.toString('latin1') : inflated.toString('utf8'));
}

function gunzipWhole(packed: Uint8Array): Buffer {
  // The gzip trailer ends with the inflated size (mod 2^32): one output buffer of that size spares
  // zlib collecting 16 KiB pieces and copying them into one (+1 so it does not allocate a spare).
  // A wrong size is refused by zlib's own check of the trailer.
  return gunzipSync(packed, { chunkSize: chunkFor(packed.length >= 18 ? trailerSize(packed) : 0) });
}

/** One output buffer for a known size (+1 so zlib does not allocate a spare); zlib refuses under 64. */
function chunkFor(size: number): number {
  return size > 0 && size < MAX_EXACT ? Math.max(size + 1, 64) : DEFAULT_CHUNK;
}

const ZSTD_MAGIC = 0xfd2fb528;

/**
 * Frame_Content_Size from a zstd frame header (RFC 8878 §3.1.1.1), which node:zlib's one-shot
 * compression writes; 0 when absent. It only sizes the output buffer: a frame whose stated size is
 * wrong is refused by the decoder itself, as a wrong gzip trailer is by zlib.
 */
export function zstdContentSize(packed: Uint8Array): number {
  if (packed.length < 6) return 0;
  const view = new DataView(packed.buffer, packed.byteOffset, packed.length);
  if (view.getUint32(0, true) !== ZSTD_MAGIC) return 0;
  const descriptor = view.getUint8(4);
  const singleSegment = (descriptor & 0x20) !== 0;
  const sizeFlag = descriptor >> 6;
  const sizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
  // Then the window descriptor (unless single-segment) and the dictionary id (0, 1, 2 or 4 bytes).
  const at = 5 + (singleSegment ? 0 : 1) + ((1 << (descriptor & 3)) >> 1);
  if (sizeBytes === 0 || packed.length < at + sizeBytes) return 0;
  if (sizeBytes === 1) return view.getUint8(at);
  if (sizeBytes === 2) return view.getUint16(at, true) + 256;
  if (sizeBytes === 4) return view.getUint32(at, true);
  // Eight bytes: past MAX_EXACT whenever the high word is set.
  return view.getUint32(at + 4, true) === 0 ? view.getUint32(at, true) : 0;
}

/** ISIZE, the last four bytes of a gzip member, little-endian. */
function trailerSize(packed: Uint8Array): number {
  const n = packed.length;
  return new DataView(packed.buffer, packed.byteOffset + n - 4, 4).getUint32(0, true);
}
