/**
 * What changed between two merged views, as `GET /changes` and `POST /preview` list it: one entry per
 * id whose merged service differs, and the registries whose view entry differs.
 *
 * Built for views of 20k services that share most of their objects (successive results of the
 * incremental merge do): same references count as equal without a look inside, the common prefix
 * and suffix of the two lists are walked in step, and only the part in between is indexed by id.
 * Content is compared only where references differ (json-equal.ts: key order and prototypes do not
 * count). Ids are taken as unique within each view, as the merge makes them.
 */
import { jsonEqual } from './json-equal.ts';
import type { MergedService } from './types.ts';

export type ChangeKind = 'added' | 'updated' | 'removed';

export type ServiceChange = {
  id: string;
  hostname: string;
  registry: string;
  change: ChangeKind;
  /** The new merged entry; absent for removals. */
  service?: MergedService;
};

export type RegistryChange<T> = { name: string; change: ChangeKind; registry?: T };

/** One change per id that differs: additions and updates in `to` order, then removals in `from` order. */
export function diffServices(from: readonly MergedService[], to: readonly MergedService[]): ServiceChange[] {
  const changes: ServiceChange[] = [];
  const shorter = Math.min(from.length, to.length);
  let head = 0;
  while (head < shorter && (from[head] as MergedService).id === (to[head] as MergedService).id) head++;
  let tail = 0;
  while (
    tail < shorter - head &&
    (from[from.length - 1 - tail] as MergedService).id === (to[to.length - 1 - tail] as MergedService).id
  )
    tail++;

  for (let i = 0; i < head; i++) updated(from[i] as MergedService, to[i] as MergedService, changes);

  const before = new Map<string, MergedService>();
  for (let i = head; i < from.length - tail; i++) {
    const entry = from[i] as MergedService;
    before.set(entry.id, entry);
  }
  const after = new Set<string>();
  for (let i = head; i < to.length - tail; i++) {
    const entry = to[i] as MergedService;
    after.add(entry.id);
    const old = before.get(entry.id);
    if (old === undefined) changes.push(serviceChange(entry, 'added'));
    else updated(old, entry, changes);
  }

  for (let i = to.length - tail; i < to.length; i++) {
    updated(from[i - to.length + from.length] as MergedService, to[i] as MergedService, changes);
  }
  for (const [id, old] of before) {
    if (!after.has(id))
      changes.push({ id, hostname: old.hostname, registry: old.registry, change: 'removed' });
  }
  return changes;
}

function updated(old: MergedService, entry: MergedService, changes: ServiceChange[]): void {
  if (old !== entry && !jsonEqual(old, entry)) changes.push(serviceChange(entry, 'updated'));
}

function serviceChange(entry: MergedService, change: 'added' | 'updated'): ServiceChange {
  return { id: entry.id, hostname: entry.hostname, registry: entry.registry, change, service: entry };
}

/** `from` as a map by id with the changes applied: what a client following the feed holds. */
export function applyChanges(
  from: readonly MergedService[],
  changes: readonly ServiceChange[],
): Map<string, MergedService> {
  const view = new Map<string, MergedService>();
  for (const entry of from) view.set(entry.id, entry);
  for (const change of changes) {
    if (change.change === 'removed') {
      view.delete(change.id);
    } else {
      if (change.service === undefined)
        throw new Error(`the ${change.change} change of ${change.id} has no service`);
      view.set(change.id, change.service);
    }
  }
  return view;
}

/** One change per registry name whose entry differs: in `to` order, then removals in `from` order. */
export function diffRegistries<T extends { name: string }>(
  from: readonly T[],
  to: readonly T[],
): RegistryChange<T>[] {
  const before = new Map<string, T>();
  for (const entry of from) before.set(entry.name, entry);
  const changes: RegistryChange<T>[] = [];
  const names = new Set<string>();
  for (const entry of to) {
    names.add(entry.name);
    const old = before.get(entry.name);
    if (old === undefined) changes.push({ name: entry.name, change: 'added', registry: entry });
    else if (old !== entry && !jsonEqual(old, entry))
      changes.push({ name: entry.name, change: 'updated', registry: entry });
  }
  for (const entry of from) {
    if (!names.has(entry.name)) changes.push({ name: entry.name, change: 'removed' });
  }
  return changes;
}
