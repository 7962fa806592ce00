/**
 * Istio's aggregate `GetService` straight from the registries' snapshots, without merging the view:
 * registries in order, the first one without a clusterId that lists the hostname answers with its
 * first entry; only when none does, the entry merged from the clustered registries' sightings (every
 * sighting in registration order, then list order, through the merge's own sighting rules).
 *
 * It gives exactly the entry the merged view holds for that hostname (the same object content, keys in
 * the same order), so GET /services/{hostname} after a push costs a map lookup per registry instead of
 * a re-merge of the pushed registry. Each snapshot's hostname index is built once per services array
 * (snapshots are immutable) and dropped with it.
 */
import { positionsOf } from './incremental-merge.ts';
import {
  firstSighting,
  laterSighting,
  type Slot,
  unclusteredServiceId,
  withoutEndpoints,
} from './merge-slot.ts';
import type { Conflict, MergedService, RegistrySnapshot, Service } from './types.ts';

const indexes = new WeakMap<readonly Service[], Map<string, number | number[]>>();

function positionsIn(list: readonly Service[]): Map<string, number | number[]> {
  let positions = indexes.get(list);
  if (positions === undefined) {
    positions = positionsOf(list);
    indexes.set(list, positions);
  }
  return positions;
}

export function getService(
  snapshots: readonly RegistrySnapshot[],
  hostname: string,
): MergedService | undefined {
  let slot: Slot | undefined;
  // Conflicts are the view's business, not this answer's: the sighting rules report them here.
  const ignored: Conflict[] = [];
  for (const snapshot of snapshots) {
    const list = snapshot.services;
    if (snapshot.error !== undefined || list === undefined) continue;
    const where = positionsIn(list).get(hostname);
    if (where === undefined) continue;
    const registry = snapshot.registry.name;
    const clusterId = snapshot.registry.clusterId;
    const indices = typeof where === 'number' ? [where] : where;
    if (!clusterId) {
      const first = list[indices[0] as number] as Service;
      return withoutEndpoints(first, registry, unclusteredServiceId(registry, hostname, 1));
    }
    for (const index of indices) {
      const service = list[index] as Service;
      const address = service.address ?? '';
      // Who recorded a VIP only matters to conflicts, so owners are not tracked.
      if (slot === undefined) slot = firstSighting(service, registry, clusterId, address, false);
      else laterSighting(slot, service, registry, clusterId, address, false, ignored);
    }
  }
  return slot?.merged;
}
