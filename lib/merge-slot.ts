/**
 * The sighting rules of the merge, shared by the full walk (aggregate.ts) and the incremental one
 * (incremental-merge.ts) so that both build exactly the same objects: a clustered hostname's slot is
 * created by its first sighting, and every later sighting adds its VIP and service accounts or
 * reports conflicts against what the slot kept.
 *
 * Allocation-frugal: a later sighting costs one map lookup and a few comparisons; objects are only
 * built for first sightings, conflicts and new service accounts.
 */
import type { Conflict, MergedService, Port, Service } from './types.ts';

export interface Slot {
  merged: MergedService;
  vips: Record<string, string>;
  keptRegistry: string;
  ports: readonly Port[] | undefined;
  resolution: string | undefined;
  /** The kept sighting's own list, to skip identical later lists without building a set. */
  firstAccounts: readonly string[] | undefined;
  /** Built only once a later sighting brings accounts that may be new. */
  accounts: Set<string> | undefined;
  /** Who recorded each VIP; only kept for clusterIds that several registries share. */
  vipOwners: Map<string, string> | undefined;
}

/**
 * The id of an unclustered entry: its registry, its hostname and, from a registry's second entry with
 * that hostname on, its ordinal. Validated hostnames hold no "/" or "#", so no id of one kind can
 * equal an id of the other (a clustered hostname's id is the hostname itself).
 */
export function unclusteredServiceId(registry: string, hostname: string, ordinal: number): string {
  return ordinal === 1 ? `${registry}/${hostname}` : `${registry}/${hostname}#${ordinal}`;
}

export function firstSighting(
  service: Service,
  registry: string,
  clusterId: string,
  address: string,
  trackOwners: boolean,
): Slot {
  const merged = withoutEndpoints(service, registry, service.hostname);
  // A null prototype so that any clusterId, even "__proto__", is an ordinary key.
  const vips: Record<string, string> = Object.create(null);
  vips[clusterId] = address;
  merged.clusterVIPs = vips;
  const accounts = service.serviceAccounts;
  if (accounts !== undefined && hasDuplicates(accounts)) merged.serviceAccounts = [...new Set(accounts)];
  return {
    merged,
    vips,
    keptRegistry: registry,
    ports: service.ports,
    resolution: service.resolution,
    firstAccounts: accounts,
    accounts: undefined,
    vipOwners: trackOwners ? new Map([[clusterId, registry]]) : undefined,
  };
}

/**
 * `trackOwners` only saves work: when no other registry shares the clusterId, the registry that
 * recorded its VIP can only be the one seen now, so the result is the same either way.
 */
export function laterSighting(
  slot: Slot,
  service: Service,
  registry: string,
  clusterId: string,
  address: string,
  trackOwners: boolean,
  conflicts: Conflict[],
): void {
  const hostname = service.hostname;
  const known = slot.vips[clusterId];
  if (known === undefined) {
    slot.vips[clusterId] = address;
    if (trackOwners) {
      slot.vipOwners ??= new Map();
      slot.vipOwners.set(clusterId, registry);
    }
  } else if (known !== address) {
    // A clusterId used by one registry only can only have been recorded by that registry.
    const owner = trackOwners ? (slot.vipOwners?.get(clusterId) ?? registry) : registry;
    conflicts.push({
      hostname,
      field: 'clusterVIPs',
      kept: { registry: owner, value: { [clusterId]: known } },
      ignored: { registry, value: { [clusterId]: address } },
    });
  }
  const accounts = service.serviceAccounts;
  if (accounts !== undefined && !sameList(accounts, slot.firstAccounts)) unionAccounts(slot, accounts);
  if (service.ports !== slot.ports && !samePortSet(slot.ports, service.ports)) {
    conflicts.push({
      hostname,
      field: 'ports',
      kept: { registry: slot.keptRegistry, value: slot.ports },
      ignored: { registry, value: service.ports },
    });
  }
  if (service.resolution !== slot.resolution) {
    conflicts.push({
      hostname,
      field: 'resolution',
      kept: { registry: slot.keptRegistry, value: slot.resolution },
      ignored: { registry, value: service.resolution },
    });
  }
}

export function withoutEndpoints(service: Service, registry: string, id: string): MergedService {
  const { endpoints: _endpoints, ...rest } = service;
  const merged = rest as MergedService;
  merged.registry = registry;
  merged.id = id;
  return merged;
}

function unionAccounts(slot: Slot, accounts: readonly string[]): void {
  let known = slot.accounts;
  if (known === undefined) {
    // Copy before the first push: the kept list may be the (possibly frozen) input array.
    const own = slot.merged.serviceAccounts ? [...slot.merged.serviceAccounts] : [];
    slot.merged.serviceAccounts = own;
    known = new Set(own);
    slot.accounts = known;
  }
  const own = slot.merged.serviceAccounts as string[];
  for (const account of accounts) {
    if (!known.has(account)) {
      known.add(account);
      own.push(account);
    }
  }
}

/** The clusterIds of more than one registry (errored ones included: over-counting only costs work). */
export function clusterIdsUsedTwice(registries: Iterable<{ clusterId?: string | undefined }>): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const { clusterId } of registries) {
    if (!clusterId) continue;
    if (seen.has(clusterId)) twice.add(clusterId);
    else seen.add(clusterId);
  }
  return twice;
}

function hasDuplicates(list: readonly string[]): boolean {
  return list.length > 1 && new Set(list).size !== list.length;
}

function sameList(a: readonly string[], b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Ports compare as a set of name/port/protocol; a missing list is the empty set. */
export function samePortSet(a: readonly Port[] | undefined, b: readonly Port[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length === right.length) {
    let inOrder = true;
    for (let i = 0; i < left.length && inOrder; i++) inOrder = samePort(left[i] as Port, right[i] as Port);
    if (inOrder) return true;
  }
  const leftKeys = new Set(left.map(portKey));
  const rightKeys = new Set(right.map(portKey));
  if (leftKeys.size !== rightKeys.size) return false;
  for (const key of rightKeys) if (!leftKeys.has(key)) return false;
  return true;
}

function samePort(a: Port, b: Port): boolean {
  return a.port === b.port && a.name === b.name && a.protocol === b.protocol;
}

function portKey(port: Port): string {
  // The name's length makes the key unambiguous whatever characters the name and protocol hold.
  const name = port.name ?? '';
  return `${port.port}:${name.length}:${name}${port.protocol ?? ''}`;
}
