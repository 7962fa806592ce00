/**
 * The merge-library functions the query routes build on, in one place.
 * TEMPORARY: stand-ins until the `merge` branch lands lib/incremental-merge.ts, lib/delta.ts and
 * lib/conflict-groups.ts (and ids inside aggregateServices); then this file re-exports those.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import type {
  ConflictGroup,
  RegistryStatusChange,
  RegistryStatusEntry,
  ServiceChange,
} from '#lib/api-types.ts';
import { canonicalJson } from '#lib/canonical-json.ts';
import type { Aggregate, Conflict, MergedService, RegistrySnapshot } from '#lib/types.ts';

export class IncrementalMerge {
  update(snapshots: readonly RegistrySnapshot[]): Aggregate {
    return aggregateServices(snapshots);
  }
}

function serviceId(service: MergedService): string {
  return service.id;
}

export function diffServices(from: readonly MergedService[], to: readonly MergedService[]): ServiceChange[] {
  const before = new Map(from.map((s) => [serviceId(s), s]));
  const changes: ServiceChange[] = [];
  const seen = new Set<string>();
  for (const service of to) {
    const id = serviceId(service);
    seen.add(id);
    const old = before.get(id);
    if (!old)
      changes.push({ id, hostname: service.hostname, registry: service.registry, change: 'added', service });
    else if (canonicalJson(old) !== canonicalJson(service))
      changes.push({
        id,
        hostname: service.hostname,
        registry: service.registry,
        change: 'updated',
        service,
      });
  }
  for (const [id, old] of before) {
    if (!seen.has(id))
      changes.push({ id, hostname: old.hostname, registry: old.registry, change: 'removed' });
  }
  return changes;
}

export function applyChanges(
  from: readonly MergedService[],
  changes: readonly ServiceChange[],
): MergedService[] {
  const map = new Map(from.map((s) => [serviceId(s), s]));
  for (const change of changes) {
    if (change.change === 'removed') map.delete(change.id);
    else if (change.service) map.set(change.id, change.service);
  }
  return [...map.values()];
}

export function diffRegistries(
  from: readonly RegistryStatusEntry[],
  to: readonly RegistryStatusEntry[],
): RegistryStatusChange[] {
  const before = new Map(from.map((r) => [r.name, r]));
  const names = new Set(to.map((r) => r.name));
  const out: RegistryStatusChange[] = [];
  for (const entry of to) {
    const old = before.get(entry.name);
    if (!old || canonicalJson(old) !== canonicalJson(entry)) out.push(entry);
  }
  for (const entry of from) if (!names.has(entry.name)) out.push({ name: entry.name, removed: true });
  return out;
}

export function groupConflicts(conflicts: readonly Conflict[], hostname?: string): ConflictGroup[] {
  const groups = new Map<string, ConflictGroup>();
  for (const conflict of conflicts) {
    if (hostname !== undefined && conflict.hostname !== hostname) continue;
    const key = `${conflict.hostname}\u0000${conflict.field}\u0000${canonicalJson(conflict.kept)}`;
    const group = groups.get(key);
    if (group) group.ignored.push(conflict.ignored);
    else
      groups.set(key, {
        hostname: conflict.hostname,
        field: conflict.field,
        kept: conflict.kept,
        ignored: [conflict.ignored],
      });
  }
  return [...groups.values()];
}

export function conflictChanges(
  before: readonly Conflict[],
  after: readonly Conflict[],
): { added: Conflict[]; removed: Conflict[] } {
  const key = (c: Conflict) => canonicalJson(c);
  const a = new Set(before.map(key));
  const b = new Set(after.map(key));
  return { added: after.filter((c) => !a.has(key(c))), removed: before.filter((c) => !b.has(key(c))) };
}
