/**
 * The one table's key layout, every access pattern named in one place (the single-table style of
 * ElectroDB's examples). Everything else in the adapter builds keys through these functions.
 *
 * | Item              | pk                  | sk                     | Access pattern                              |
 * |-------------------|---------------------|------------------------|---------------------------------------------|
 * | meta              | `META`              | `META`                 | warm-read gate: GetItem, ≤ 1 KB (1 RCU)     |
 * | current view      | `VIEW`              | `CURRENT`              | viewState(): GetItem                        |
 * | superseded view   | `VIEW`              | `REV#<n, 15 digits>`   | viewState(n): GetItem; TTL `expiresAt`      |
 * | registry          | `REGISTRY`          | `R#<name>`             | getRegistry: GetItem; listRegistries: Query |
 * | snapshot chunk    | `SNAPSHOT#<uuid>`   | `S#<i>` / `E#<i>`      | loadSnapshots: BatchGetItem by known keys   |
 * | GC marker         | `GC`                | `<due ISO>#<id>`       | sweep: Query `sk < now`                     |
 *
 * A snapshot id is `<uuid>.<service chunks>.<endpoint chunks>`: readers derive every chunk key from it
 * without a query, and the partition is per snapshot, so removing one snapshot can never touch another
 * (a re-created registry's data included).
 */

export interface Key {
  pk: string;
  sk: string;
}

export const REGISTRY_PARTITION = 'REGISTRY';
export const GC_PARTITION = 'GC';

export const metaKey = (): Key => ({ pk: 'META', sk: 'META' });
export const currentViewKey = (): Key => ({ pk: 'VIEW', sk: 'CURRENT' });
export const revisionKey = (revision: number): Key => ({
  pk: 'VIEW',
  sk: `REV#${String(revision).padStart(15, '0')}`,
});
export const registryKey = (name: string): Key => ({ pk: REGISTRY_PARTITION, sk: `R#${name}` });

export type ChunkPart = 'S' | 'E';

/** How a snapshot's chunk sets are compressed: zstd; brotli or gzip for snapshots earlier versions wrote. */
export type ChunkCodec = 'zstd' | 'br' | 'gzip';

export interface SnapshotLayout {
  uuid: string;
  serviceChunks: number;
  endpointChunks: number;
  codec: ChunkCodec;
}

const SUFFIX: Record<ChunkCodec, string> = { zstd: '.zst', br: '.br', gzip: '' };

/** `uuid.S.E.zst`; `.br` and no suffix (`uuid.S.E`) are the brotli and gzip snapshots of earlier versions. */
export const snapshotId = (layout: SnapshotLayout): string =>
  `${layout.uuid}.${layout.serviceChunks}.${layout.endpointChunks}${SUFFIX[layout.codec]}`;

const SNAPSHOT_ID = /^([0-9a-f-]{36})\.(\d{1,4})\.(\d{1,4})(\.br|\.zst)?$/;

/** The layout an id encodes; null for an id this store did not make. */
export function parseSnapshotId(id: string): SnapshotLayout | null {
  const match = SNAPSHOT_ID.exec(id);
  if (!match) return null;
  return {
    uuid: match[1] as string,
    serviceChunks: Number(match[2]),
    endpointChunks: Number(match[3]),
    codec: match[4] === '.zst' ? 'zstd' : match[4] === '.br' ? 'br' : 'gzip',
  };
}

export const chunkKey = (uuid: string, part: ChunkPart, index: number): Key => ({
  pk: `SNAPSHOT#${uuid}`,
  sk: `${part}#${String(index).padStart(4, '0')}`,
});

export function chunkKeys(layout: SnapshotLayout, parts: readonly ChunkPart[] = ['S', 'E']): Key[] {
  const keys: Key[] = [];
  if (parts.includes('S')) {
    for (let i = 0; i < layout.serviceChunks; i++) keys.push(chunkKey(layout.uuid, 'S', i));
  }
  if (parts.includes('E')) {
    for (let i = 0; i < layout.endpointChunks; i++) keys.push(chunkKey(layout.uuid, 'E', i));
  }
  return keys;
}

/** Markers sort by when their snapshot may be removed, so the sweep reads only the due ones. */
export const gcMarkerKey = (dueAt: number, id: string): Key => ({
  pk: GC_PARTITION,
  sk: `${new Date(dueAt).toISOString()}#${id}`,
});

/** The exclusive upper bound of the markers due at `now` ('$' sorts right after '#'). */
export const gcDueBound = (now: number): string => `${new Date(now).toISOString()}$`;
