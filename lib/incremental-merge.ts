/**
 * The merge kept up to date across revisions: `update(snapshots)` returns exactly what
 * `aggregateServices(snapshots)` returns (same services in the same order with the same ids, VIPs,
 * service accounts, the same conflicts in the same order, the same errors) but only re-applies the
 * registries whose snapshot changed.
 *
 * Why this is enough: the walk is in registration order, so a clustered hostname's slot (its merged
 * entry and the conflicts of its later sightings) is a function of that hostname's sightings alone,
 * taken in registration order. A registry's change can only alter the slots of hostnames it lists
 * (before or after the change), and of those, only the ones whose sightings in it differ. Those
 * slots are rebuilt from scratch from every registry that lists the hostname, with the same sighting
 * rules as the full walk (merge-slot.ts); every other slot, entry and conflict is reused as it was.
 * The output is then put back together in registration order from per-registry segments: the
 * entries a registry keeps (its unclustered entries, or the slots it sighted first) and the
 * conflicts of its sightings, each in list order.
 *
 * Snapshots are taken as immutable: a registry's contribution is keyed by the identity of its
 * `services` array (and its clusterId and error), so an unchanged array costs nothing. A changed
 * array is compared with the previous one hostname by hostname, so a re-pushed registry whose
 * content barely changed costs a pass over its own list, not a merge of all the others.
 * Returned objects are shared between successive results, and never mutated once returned: treat
 * them as read-only. Unchanged entries keep their identity, which makes `diffServices` cheap.
 *
 * Registries are matched by name. The relative order of the registries kept from one update to the
 * next may only change by a removal and a later re-creation; any other reorder, or two registries
 * with one name, is handled by starting over (correct, just not incremental).
 */
import { aggregateServices, appendUnclustered } from './aggregate.ts';
import { jsonIdentical } from './json-equal.ts';
import { clusterIdsUsedTwice, firstSighting, laterSighting, type Slot } from './merge-slot.ts';
import type {
  Aggregate,
  Conflict,
  MergedService,
  RegistryError,
  RegistrySnapshot,
  Service,
} from './types.ts';

/** What a registry contributes, and where its clustered hostnames are in its list. */
interface RegistryState {
  name: string;
  /** Position in the current update's list. */
  order: number;
  services: readonly Service[] | undefined;
  /** '' for none, as in the full walk. */
  clusterId: string;
  error: string | undefined;
  /** Unclustered registries: their entries, in list order. */
  entries: MergedService[];
  /**
   * Clustered registries: each hostname's index (or indices) in the list, in first-appearance order.
   * Undefined until first needed (positionsIn): the first build does not use them, and recording
   * 50,000 of them cost a cold read about a third of its merge.
   */
  positions: Map<string, number | number[]> | undefined;
  /** Hostnames looked for in the list by a scan while `positions` was not recorded (whereIn). */
  scans: number;
  /** Clustered registries: per hostname, the conflicts of each of its sightings; only non-empty ones. */
  conflicts: Map<string, Conflict[][]>;
  /** The slots this registry sighted first, in list order; rebuilt when cleared. */
  keptSegment: Host[] | undefined;
  /** The conflicts of this registry's sightings, in list order; rebuilt when cleared. */
  conflictSegment: Conflict[] | undefined;
}

/** A clustered hostname: who lists it (in registration order), who sighted it first, its entry. */
interface Host {
  holders: RegistryState[];
  owner: RegistryState | undefined;
  merged: MergedService | undefined;
}

const NO_CONFLICTS: Conflict[] = [];
Object.freeze(NO_CONFLICTS);

export class IncrementalMerge {
  #registries = new Map<string, RegistryState>();
  #ordered: RegistryState[] = [];
  #hosts = new Map<string, Host>();

  update(snapshots: readonly RegistrySnapshot[]): Aggregate {
    const names = snapshots.map((snapshot) => snapshot.registry.name);
    if (new Set(names).size !== names.length) {
      // Ids and contributions are per registry name: two registries with one name are merged in full.
      this.#reset();
      return aggregateServices(snapshots);
    }
    if (!this.#keepsRelativeOrder(names)) this.#reset();
    if (this.#registries.size === 0) return this.#build(snapshots);

    const affected = new Set<string>();
    const ordered: RegistryState[] = [];
    const changed: [RegistryState, RegistrySnapshot][] = [];
    for (const [order, snapshot] of snapshots.entries()) {
      let state = this.#registries.get(snapshot.registry.name);
      if (state === undefined) {
        state = emptyState(snapshot.registry.name);
        this.#registries.set(state.name, state);
      }
      state.order = order;
      ordered.push(state);
      if (!sameContribution(state, snapshot)) changed.push([state, snapshot]);
    }
    // Orders are all set before any holder list is touched, so sorted inserts see the new positions.
    const kept = new Set(ordered);
    for (const state of this.#ordered) {
      if (kept.has(state)) continue;
      this.#registries.delete(state.name);
      this.#apply(state, undefined, affected);
    }
    for (const [state, snapshot] of changed) this.#apply(state, snapshot, affected);
    this.#ordered = ordered;

    const shared = clusterIdsUsedTwice(snapshots.map((snapshot) => snapshot.registry));
    for (const hostname of affected) this.#rebuildSlot(hostname, shared);
    return this.#assemble();
  }

  /**
   * The first update (or the first after starting over): the full walk in one pass, as
   * aggregateServices makes it, recording each registry's contribution, segments and per-sighting
   * conflicts as it goes, rather than re-applying every registry and rebuilding every slot.
   */
  #build(snapshots: readonly RegistrySnapshot[]): Aggregate {
    const services: MergedService[] = [];
    const errors: RegistryError[] = [];
    const conflicts: Conflict[] = [];
    const shared = clusterIdsUsedTwice(snapshots.map((snapshot) => snapshot.registry));
    const slots = new Map<string, [Host, Slot]>();
    const ordered: RegistryState[] = [];
    for (const [order, snapshot] of snapshots.entries()) {
      const state = emptyState(snapshot.registry.name);
      state.order = order;
      state.services = snapshot.services;
      state.clusterId = snapshot.registry.clusterId ?? '';
      state.error = snapshot.error;
      this.#registries.set(state.name, state);
      ordered.push(state);
      if (state.error !== undefined) {
        errors.push({ registry: state.name, message: state.error });
        continue;
      }
      const list = state.services;
      if (list === undefined) continue;
      if (state.clusterId === '') {
        appendUnclustered(list, state.name, state.entries);
        for (const entry of state.entries) services.push(entry);
        continue;
      }
      const kept: Host[] = [];
      const own: Conflict[] = [];
      sightAll(state, list, shared.has(state.clusterId), slots, { kept, own, services });
      state.keptSegment = kept;
      state.conflictSegment = own;
      for (const conflict of own) conflicts.push(conflict);
    }
    for (const [hostname, [host]] of slots) this.#hosts.set(hostname, host);
    this.#ordered = ordered;
    return { services, errors, conflicts };
  }

  #reset(): void {
    this.#registries.clear();
    this.#ordered = [];
    this.#hosts.clear();
  }

  /** Whether the registries present before and now appear in the same relative order. */
  #keepsRelativeOrder(names: readonly string[]): boolean {
    let previous = -1;
    for (const name of names) {
      const state = this.#registries.get(name);
      if (state === undefined) continue;
      if (state.order <= previous) return false;
      previous = state.order;
    }
    return true;
  }

  /**
   * Replaces a registry's contribution with the snapshot's (nothing, for a removed registry), keeps
   * the holder lists in step, and adds to `affected` every hostname whose slot may differ.
   */
  #apply(state: RegistryState, snapshot: RegistrySnapshot | undefined, affected: Set<string>): void {
    const before = positionsIn(state);
    const beforeList = state.services;
    const beforeClusterId = state.clusterId;

    state.services = snapshot?.services;
    state.clusterId = snapshot?.registry.clusterId ?? '';
    state.error = snapshot?.error;
    state.entries = [];
    state.keptSegment = undefined;
    state.conflictSegment = undefined;
    const list = snapshot === undefined || state.error !== undefined ? undefined : state.services;
    const after = list !== undefined && state.clusterId !== '' ? positionsOf(list) : new Map();
    if (list !== undefined && state.clusterId === '') appendUnclustered(list, state.name, state.entries);
    state.positions = after;

    const sameCluster = beforeClusterId === state.clusterId;
    for (const [hostname, where] of before) {
      const now = after.get(hostname);
      if (now === undefined) {
        affected.add(hostname);
        state.conflicts.delete(hostname);
        this.#removeHolder(hostname, state);
      } else if (!sameCluster || !sameSightings(beforeList, where, state.services, now)) {
        affected.add(hostname);
      }
    }
    for (const hostname of after.keys()) {
      if (before.has(hostname)) continue;
      affected.add(hostname);
      this.#addHolder(hostname, state);
    }
  }

  #addHolder(hostname: string, state: RegistryState): void {
    let host = this.#hosts.get(hostname);
    if (host === undefined) {
      host = { holders: [], owner: undefined, merged: undefined };
      this.#hosts.set(hostname, host);
    }
    const holders = host.holders;
    let at = holders.length;
    while (at > 0 && (holders[at - 1] as RegistryState).order > state.order) at--;
    if (at === holders.length) holders.push(state);
    else holders.splice(at, 0, state);
  }

  #removeHolder(hostname: string, state: RegistryState): void {
    const holders = this.#hosts.get(hostname)?.holders;
    const at = holders?.indexOf(state) ?? -1;
    if (at >= 0) holders?.splice(at, 1);
  }

  /** The full walk's steps for one hostname, over the registries that list it, in their order. */
  #rebuildSlot(hostname: string, shared: ReadonlySet<string>): void {
    const host = this.#hosts.get(hostname);
    if (host === undefined) return;
    let slot: Slot | undefined;
    let owner: RegistryState | undefined;
    const scratch: Conflict[] = [];
    for (const holder of host.holders) {
      const list = holder.services as readonly Service[];
      const where = whereIn(holder, hostname);
      const trackOwners = shared.has(holder.clusterId);
      // Most registries list a hostname once: no index array is built for them.
      const count = typeof where === 'number' ? 1 : where.length;
      let perSighting: Conflict[][] | undefined;
      for (let ordinal = 0; ordinal < count; ordinal++) {
        const index = typeof where === 'number' ? where : (where[ordinal] as number);
        const service = list[index] as Service;
        const address = service.address ?? '';
        if (slot === undefined) {
          slot = firstSighting(service, holder.name, holder.clusterId, address, trackOwners);
          owner = holder;
          continue;
        }
        const start = scratch.length;
        laterSighting(slot, service, holder.name, holder.clusterId, address, trackOwners, scratch);
        if (scratch.length === start) continue;
        perSighting ??= new Array<Conflict[]>(count).fill(NO_CONFLICTS);
        perSighting[ordinal] = scratch.slice(start);
      }
      if (perSighting !== undefined) {
        holder.conflicts.set(hostname, perSighting);
        holder.conflictSegment = undefined;
      } else if (holder.conflicts.size > 0 && holder.conflicts.delete(hostname)) {
        holder.conflictSegment = undefined;
      }
    }
    if (host.owner !== owner) {
      if (host.owner !== undefined) host.owner.keptSegment = undefined;
      if (owner !== undefined) owner.keptSegment = undefined;
      host.owner = owner;
    }
    if (slot === undefined) this.#hosts.delete(hostname);
    else host.merged = slot.merged;
  }

  #assemble(): Aggregate {
    const services: MergedService[] = [];
    const errors: RegistryError[] = [];
    const conflicts: Conflict[] = [];
    for (const state of this.#ordered) {
      if (state.error !== undefined) {
        errors.push({ registry: state.name, message: state.error });
        continue;
      }
      for (const entry of state.entries) services.push(entry);
      if (state.clusterId === '' || state.services === undefined || state.services.length === 0) continue;
      state.keptSegment ??= this.#keptSegmentOf(state);
      for (const host of state.keptSegment) services.push(host.merged as MergedService);
      state.conflictSegment ??= conflictSegmentOf(state);
      for (const conflict of state.conflictSegment) conflicts.push(conflict);
    }
    return { services, errors, conflicts };
  }

  #keptSegmentOf(state: RegistryState): Host[] {
    const segment: Host[] = [];
    for (const hostname of positionsIn(state).keys()) {
      const host = this.#hosts.get(hostname);
      if (host?.owner === state) segment.push(host);
    }
    return segment;
  }
}

/**
 * #build's walk of one clustered registry: each sighting through the merge's rules, with its
 * holder and its conflicts recorded (its position only when first needed). A function of its own, called per registry, so
 * that the JIT optimises it with every registry's feedback instead of deoptimising one long loop.
 */
function sightAll(
  state: RegistryState,
  list: readonly Service[],
  trackOwners: boolean,
  slots: Map<string, [Host, Slot]>,
  into: { kept: Host[]; own: Conflict[]; services: MergedService[] },
): void {
  const { kept, own, services } = into;
  state.positions = undefined;
  // A hostname's later sightings in this same list (rare): their ordinals, for per-sighting conflicts.
  let repeats: Map<string, number> | undefined;
  for (let index = 0; index < list.length; index++) {
    const service = list[index] as Service;
    const hostname = service.hostname;
    const address = service.address ?? '';
    const found = slots.get(hostname);
    if (found === undefined) {
      const slot = firstSighting(service, state.name, state.clusterId, address, trackOwners);
      const host: Host = { holders: [state], owner: state, merged: slot.merged };
      slots.set(hostname, [host, slot]);
      kept.push(host);
      services.push(slot.merged);
      continue;
    }
    const [host, slot] = found;
    // Registries are walked in order, so this list sighted the hostname before exactly when it is the last holder.
    let ordinal = 0;
    if (host.holders[host.holders.length - 1] !== state) host.holders.push(state);
    else {
      repeats ??= new Map();
      ordinal = (repeats.get(hostname) ?? 0) + 1;
      repeats.set(hostname, ordinal);
    }
    const start = own.length;
    laterSighting(slot, service, state.name, state.clusterId, address, trackOwners, own);
    if (own.length === start) continue;
    // Per sighting, as #rebuildSlot records them: the hostname's earlier sightings here had none.
    let perSighting = state.conflicts.get(hostname);
    if (perSighting === undefined) {
      perSighting = [];
      state.conflicts.set(hostname, perSighting);
    }
    while (perSighting.length < ordinal) perSighting.push(NO_CONFLICTS);
    perSighting.push(own.slice(start));
  }
}

function emptyState(name: string): RegistryState {
  return {
    name,
    order: -1,
    services: undefined,
    clusterId: '',
    error: undefined,
    entries: [],
    positions: new Map(),
    scans: 0,
    conflicts: new Map(),
    keptSegment: undefined,
    conflictSegment: undefined,
  };
}

function sameContribution(state: RegistryState, snapshot: RegistrySnapshot): boolean {
  // A new registry's empty state contributes nothing, like a healthy snapshot without services.
  return (
    state.services === snapshot.services &&
    state.error === snapshot.error &&
    state.clusterId === (snapshot.registry.clusterId ?? '')
  );
}

/**
 * Scans of a list, for a registry whose positions are not recorded, before they are: a scan compares
 * hostnames (their hashes are known, so most compare at once), about a tenth of what recording one
 * position costs. The first re-merge after a cold build, which looks for one hostname in each of its
 * holders, then records no positions but the changed registry's.
 */
const SCANS_BEFORE_RECORDING = 8;

/** Where a holder lists a hostname: an index, or the indices when it lists it more than once. */
function whereIn(state: RegistryState, hostname: string): number | number[] {
  if (state.positions !== undefined || state.scans >= SCANS_BEFORE_RECORDING) {
    return positionsIn(state).get(hostname) as number | number[];
  }
  state.scans++;
  const list = state.services as readonly Service[];
  let found: number | number[] | undefined;
  for (let index = 0; index < list.length; index++) {
    if ((list[index] as Service).hostname === hostname) found = withIndex(found, index);
  }
  return found ?? -1;
}

/** A clustered registry's positions, recorded on first use from its list. */
function positionsIn(state: RegistryState): Map<string, number | number[]> {
  if (state.positions === undefined) {
    const list = state.error === undefined && state.clusterId !== '' ? state.services : undefined;
    state.positions = list === undefined ? new Map() : positionsOf(list);
  }
  return state.positions;
}

/** Each hostname's index in the list; an array only for hostnames listed more than once. */
export function positionsOf(list: readonly Service[]): Map<string, number | number[]> {
  const positions = new Map<string, number | number[]>();
  for (let index = 0; index < list.length; index++) {
    const hostname = (list[index] as Service).hostname;
    positions.set(hostname, withIndex(positions.get(hostname), index));
  }
  return positions;
}

/** A hostname's indices with one more: a number for the first, an array from the second on. */
function withIndex(known: number | number[] | undefined, index: number): number | number[] {
  if (known === undefined) return index;
  if (typeof known === 'number') return [known, index];
  known.push(index);
  return known;
}

/** Whether a hostname's sightings in two versions of a list feed the merge the same data. */
function sameSightings(
  beforeList: readonly Service[] | undefined,
  before: number | number[],
  afterList: readonly Service[] | undefined,
  after: number | number[],
): boolean {
  if (beforeList === undefined || afterList === undefined) return false;
  if (typeof before === 'number' || typeof after === 'number') {
    return (
      typeof before === 'number' &&
      typeof after === 'number' &&
      sameMergeInput(beforeList[before] as Service, afterList[after] as Service)
    );
  }
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) {
    if (!sameMergeInput(beforeList[before[i] as number] as Service, afterList[after[i] as number] as Service))
      return false;
  }
  return true;
}

/**
 * Equal in everything the merge reads, keys in the same order so the entries serialise alike;
 * endpoints are left out of merged entries, so they do not count.
 */
function sameMergeInput(a: Service, b: Service): boolean {
  if (a === b) return true;
  const left = Object.keys(a).filter((key) => key !== 'endpoints');
  const right = Object.keys(b).filter((key) => key !== 'endpoints');
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) {
    const key = left[i] as keyof Service;
    if (right[i] !== key || !jsonIdentical(a[key], b[key])) return false;
  }
  return true;
}

function conflictSegmentOf(state: RegistryState): Conflict[] {
  const atIndex: [number, Conflict[]][] = [];
  for (const [hostname, perSighting] of state.conflicts) {
    const where = positionsIn(state).get(hostname) as number | number[];
    const indices = typeof where === 'number' ? [where] : where;
    for (const [ordinal, found] of perSighting.entries()) {
      if (found.length > 0) atIndex.push([indices[ordinal] as number, found]);
    }
  }
  atIndex.sort((a, b) => a[0] - b[0]);
  return atIndex.flatMap(([, found]) => found);
}
