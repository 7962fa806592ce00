/**
 * The merge at the heart of the product: Istio's aggregate controller `Services()` walk, without its
 * mutation of registry data (see ../shared/seed/README.md for where and why we differ).
 *
 * Pure and allocation-frugal: every later sighting of a clustered hostname costs one map lookup and a
 * few comparisons; objects are only built for first sightings, conflicts and new service accounts
 * (the rules themselves are in merge-slot.ts, shared with the incremental merge).
 *
 * Every merged service carries an `id`, unique within the view and stable across revisions: a
 * clustered hostname's id is the hostname (whichever registry is kept); an unclustered entry's is
 * `<registry>/<hostname>`, and `<registry>/<hostname>#2`, `#3`... for that registry's later entries
 * with the same hostname.
 */
import {
  clusterIdsUsedTwice,
  firstSighting,
  laterSighting,
  type Slot,
  unclusteredServiceId,
  withoutEndpoints,
} from './merge-slot.ts';
import type {
  Aggregate,
  Conflict,
  MergedService,
  RegistryError,
  RegistrySnapshot,
  Service,
} from './types.ts';

export { samePortSet } from './merge-slot.ts';
export type * from './types.ts';

export function aggregateServices(snapshots: readonly RegistrySnapshot[]): Aggregate {
  const services: MergedService[] = [];
  const errors: RegistryError[] = [];
  const conflicts: Conflict[] = [];
  const slots = new Map<string, Slot>();
  const sharedClusterIds = clusterIdsUsedTwice(snapshots.map((snapshot) => snapshot.registry));

  for (const snapshot of snapshots) {
    const registry = snapshot.registry.name;
    if (snapshot.error !== undefined) {
      errors.push({ registry, message: snapshot.error });
      continue;
    }
    const list = snapshot.services;
    if (list === undefined) continue;
    const clusterId = snapshot.registry.clusterId;
    if (!clusterId) {
      appendUnclustered(list, registry, services);
      continue;
    }
    const trackOwners = sharedClusterIds.has(clusterId);
    for (let i = 0; i < list.length; i++) {
      const service = list[i] as Service;
      const address = service.address ?? '';
      const slot = slots.get(service.hostname);
      if (slot === undefined) {
        const created = firstSighting(service, registry, clusterId, address, trackOwners);
        slots.set(service.hostname, created);
        services.push(created.merged);
        continue;
      }
      laterSighting(slot, service, registry, clusterId, address, trackOwners, conflicts);
    }
  }
  return { services, errors, conflicts };
}

/** An unclustered registry's entries: every service as it is, with its registry and its id. */
export function appendUnclustered(list: readonly Service[], registry: string, into: MergedService[]): void {
  // Most registries list each hostname once; the ordinals are only counted past the first.
  const seen = new Set<string>();
  let ordinals: Map<string, number> | undefined;
  for (const service of list) {
    const hostname = service.hostname;
    let ordinal = 1;
    if (seen.has(hostname)) {
      ordinals ??= new Map();
      ordinal = (ordinals.get(hostname) ?? 1) + 1;
      ordinals.set(hostname, ordinal);
    } else {
      seen.add(hostname);
    }
    into.push(withoutEndpoints(service, registry, unclusteredServiceId(registry, hostname, ordinal)));
  }
}
