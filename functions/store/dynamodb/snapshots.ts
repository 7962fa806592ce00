/**
 * Snapshots: immutable, compressed (zstd; brotli or gzip before), cut into chunks that each fit one
 * item, in a partition of their own.
 * Services without their endpoints and the endpoints are two chunk sets, so the services view reads
 * and inflates only the first.
 *
 * The write protocol: (1) one BatchWrite puts a pending GC marker with the chunks; (2) the flip
 * transaction (index.ts) points the registry at the snapshot, deletes the pending marker (condition:
 * it still exists, so a write that outlived the grace period cannot flip to chunks the sweep removed)
 * and puts a GC marker for the snapshot it supersedes, due at the end of the retention. A write that
 * never flips leaves its pending marker, and the sweep removes its chunks after the grace period; so no
 * chunk outlives both its retention and its marker. Whether a flip whose answer was lost was applied is
 * told by its pending marker: gone means applied.
 */
import { randomUUID } from 'node:crypto';
import { constants, zstdCompressSync } from 'node:zlib';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '#http/logger.ts';
import type { Endpoint, Service } from '#lib/types.ts';
import { inflateJson } from './inflate.ts';
import {
  type ChunkPart,
  chunkKey,
  chunkKeys,
  GC_PARTITION,
  gcDueBound,
  gcMarkerKey,
  type Key,
  parseSnapshotId,
  type SnapshotLayout,
  snapshotId,
} from './keys.ts';
import type { TransactItem } from './registries.ts';
import {
  batchGet,
  batchWrite,
  deleteRequest,
  guard,
  type Item,
  itemKey,
  keyString,
  putRequest,
  queryPartition,
  type Table,
} from './sdk.ts';

/** Room for the key and attribute names within DynamoDB's 400 KB item limit. */
export const CHUNK_BYTES = 350 * 1024;

export interface EncodedSnapshot {
  layout: SnapshotLayout;
  services: Uint8Array[];
  endpoints: Uint8Array[];
  /** Bytes stored, both chunk sets. */
  storedBytes: number;
}

function cut(packed: Uint8Array, chunkBytes: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < packed.length; offset += chunkBytes) {
    chunks.push(packed.subarray(offset, Math.min(offset + chunkBytes, packed.length)));
  }
  return chunks;
}

/**
 * zstd at level 1 (node:zlib has it from Node 22.15): against the brotli quality 3 used before, on the
 * bench's 5,000 services with 3 endpoints each, 23% fewer bytes in a third of the time, and on more
 * varied services and endpoints 4–13% fewer in a third of the time; it decodes in half to two thirds
 * of the time. Brotli 3 had replaced gzip 6 (22% fewer bytes, half the time). zstd's levels 2–4 were
 * no smaller here, and slower.
 */
function compress(text: string): Uint8Array {
  return zstdCompressSync(text, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });
}

export function encodeSnapshot(services: readonly Service[], chunkBytes = CHUNK_BYTES): EncodedSnapshot {
  const bare = services.map(({ endpoints: _endpoints, ...service }) => service);
  const endpoints = services.map((service) => service.endpoints ?? null);
  const packedServices = compress(JSON.stringify(bare));
  const packedEndpoints = endpoints.some((list) => list !== null)
    ? compress(JSON.stringify(endpoints))
    : new Uint8Array();
  const serviceChunks = cut(packedServices, chunkBytes);
  const endpointChunks = cut(packedEndpoints, chunkBytes);
  return {
    layout: {
      uuid: randomUUID(),
      serviceChunks: serviceChunks.length,
      endpointChunks: endpointChunks.length,
      codec: 'zstd',
    },
    services: serviceChunks,
    endpoints: endpointChunks,
    storedBytes: packedServices.length + packedEndpoints.length,
  };
}

export interface WrittenSnapshot {
  id: string;
  pendingMarker: Key;
}

/** Step 1: the pending marker and the chunks (one request when they fit one BatchWrite, 25 items). */
export async function writeSnapshot(
  table: Table,
  encoded: EncodedSnapshot,
  options: { now: number; graceMs: number },
): Promise<WrittenSnapshot> {
  const id = snapshotId(encoded.layout);
  const pendingMarker = gcMarkerKey(options.now + options.graceMs, id);
  const chunk = (part: ChunkPart, data: Uint8Array, index: number) =>
    putRequest({ ...chunkKey(encoded.layout.uuid, part, index), data });
  // The marker goes first so that it is in the first batch: later batches are sent only after it is in.
  await batchWrite(table, [
    putRequest({ ...pendingMarker, snapshotId: id, kind: 'pending' }),
    ...encoded.services.map((data, i) => chunk('S', data, i)),
    ...encoded.endpoints.map((data, i) => chunk('E', data, i)),
  ]);
  return { id, pendingMarker };
}

/** Step 2's part of the flip transaction. */
export function flipItems(
  table: Table,
  written: WrittenSnapshot,
  superseded: string | undefined,
  options: { now: number; retentionMs: number },
): TransactItem[] {
  return [
    {
      Delete: {
        TableName: table.name,
        Key: written.pendingMarker,
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    ...(superseded ? [supersededMarker(table, superseded, options)] : []),
  ];
}

/** Starts the retention of a snapshot no registry points at any more. */
export function supersededMarker(
  table: Table,
  id: string,
  options: { now: number; retentionMs: number },
): TransactItem {
  return {
    Put: {
      TableName: table.name,
      Item: { ...gcMarkerKey(options.now + options.retentionMs, id), snapshotId: id, kind: 'superseded' },
    },
  };
}

/** After a flip with an unknown outcome: its pending marker is gone exactly when it was applied. */
export async function wasFlipped(table: Table, written: WrittenSnapshot): Promise<boolean> {
  const result = await guard(
    table.client.send(
      new GetCommand({ TableName: table.name, Key: written.pendingMarker, ConsistentRead: true }),
    ),
  );
  return result.Item === undefined;
}

/** Removes a snapshot that was certainly not flipped: its chunks, then its marker. */
export async function discardSnapshot(table: Table, written: WrittenSnapshot): Promise<void> {
  const layout = parseSnapshotId(written.id);
  if (!layout) return;
  await batchWrite(table, chunkKeys(layout).map(deleteRequest));
  await batchWrite(table, [deleteRequest(written.pendingMarker)]);
}

export async function loadSnapshots(
  table: Table,
  ids: readonly string[],
  options: { endpoints: boolean },
): Promise<Map<string, Service[]>> {
  const parts: ChunkPart[] = options.endpoints ? ['S', 'E'] : ['S'];
  const layouts = new Map<string, SnapshotLayout>();
  const keys: Key[] = [];
  for (const id of new Set(ids)) {
    const layout = parseSnapshotId(id);
    if (!layout) {
      logger.warn('snapshot id not readable, left out of the view', { snapshotId: id });
      continue;
    }
    layouts.set(id, layout);
    keys.push(...chunkKeys(layout, parts));
  }
  // Chunks are immutable: an eventually consistent read returns the chunk or nothing, and only the
  // missing ones (written a moment ago) are read again consistently, at twice the cost.
  const data = new Map<string, Uint8Array>();
  const collect = (items: Item[]) => {
    for (const item of items) data.set(itemKey(item), item.data as Uint8Array);
  };
  collect(await batchGet(table, keys, { consistent: false }));
  const missing = keys.filter((key) => !data.has(keyString(key)));
  if (missing.length > 0) collect(await batchGet(table, missing, { consistent: true }));

  const snapshots = new Map<string, Service[]>();
  for (const [id, layout] of layouts) {
    try {
      const join = (part: ChunkPart, count: number): Uint8Array | null => {
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < count; i++) {
          const chunk = data.get(keyString(chunkKey(layout.uuid, part, i)));
          if (chunk === undefined) return null;
          chunks.push(chunk);
        }
        return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks);
      };
      const packedServices = join('S', layout.serviceChunks);
      const packedEndpoints = options.endpoints ? join('E', layout.endpointChunks) : new Uint8Array();
      if (packedServices === null || packedEndpoints === null) {
        logger.warn('snapshot chunks missing, left out of the view', { snapshotId: id });
        continue;
      }
      const services = inflateJson(packedServices, layout.codec) as Service[];
      if (options.endpoints && layout.endpointChunks > 0) {
        const endpoints = inflateJson(packedEndpoints, layout.codec) as (Endpoint[] | null)[];
        services.forEach((service, i) => {
          const list = endpoints[i];
          if (list) service.endpoints = list;
        });
      }
      snapshots.set(id, services);
    } catch (error) {
      logger.warn('snapshot not decodable, left out of the view', { snapshotId: id, error: String(error) });
    }
  }
  return snapshots;
}

/** Removes the chunks of every snapshot whose marker is due, then the markers; returns how many. */
export async function sweepSnapshots(table: Table, now: number): Promise<number> {
  let removed = 0;
  let markers: Item[] = [];
  const flush = async () => {
    const chunks: Item[] = [];
    for (const marker of markers) {
      const layout = parseSnapshotId(String(marker.snapshotId));
      if (layout) chunks.push(...chunkKeys(layout).map(deleteRequest));
    }
    // Chunks first: an interrupted sweep leaves the marker, and the next sweep finishes the job.
    await batchWrite(table, chunks);
    await batchWrite(
      table,
      markers.map((marker) => deleteRequest({ pk: String(marker.pk), sk: String(marker.sk) })),
    );
    removed += markers.length;
    markers = [];
  };
  for await (const marker of queryPartition(table, GC_PARTITION, { skBefore: gcDueBound(now) })) {
    markers.push(marker);
    if (markers.length >= 25) await flush();
  }
  if (markers.length > 0) await flush();
  return removed;
}
