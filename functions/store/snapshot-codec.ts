/**
 * Snapshots are stored gzipped and cut into chunks that each fit in one DynamoDB item (400 KB including
 * attribute names), so a 3 MB snapshot is a handful of immutable items written before the pointer flip.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Service } from '#lib/types.ts';

export const CHUNK_BYTES = 350 * 1024;

export interface EncodedSnapshot {
  chunks: Uint8Array[];
  jsonBytes: number;
  storedBytes: number;
}

export function encodeSnapshot(services: readonly Service[], chunkBytes = CHUNK_BYTES): EncodedSnapshot {
  const json = Buffer.from(JSON.stringify(services));
  const packed = gzipSync(json);
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < packed.length; offset += chunkBytes) {
    chunks.push(packed.subarray(offset, Math.min(offset + chunkBytes, packed.length)));
  }
  if (chunks.length === 0) chunks.push(packed);
  return { chunks, jsonBytes: json.length, storedBytes: packed.length };
}

export function decodeSnapshot(chunks: readonly Uint8Array[]): Service[] {
  const packed = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
  return JSON.parse(gunzipSync(packed).toString('utf8')) as Service[];
}
