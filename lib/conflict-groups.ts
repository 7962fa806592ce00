/**
 * Conflicts as `GET /conflicts` and `POST /preview` show them. The merge reports one conflict per
 * ignored sighting and field; a group gathers those of one hostname and field that were ignored in
 * favour of the same kept value. For ports and resolution that is one group per hostname and field
 * (the kept registry's value); for clusterVIPs, one per cluster id, since each has its own kept VIP.
 */
import { canonicalJson } from './canonical-json.ts';
import type { Conflict } from './types.ts';

export interface ConflictGroup {
  hostname: string;
  field: string;
  kept: { registry: string; value: unknown };
  /** In the order the merge met them, which is registration order. */
  ignored: { registry: string; value: unknown }[];
}

/** Groups in the order of their first conflict. */
export function groupConflicts(conflicts: readonly Conflict[]): ConflictGroup[] {
  const groups = new Map<string, ConflictGroup>();
  for (const conflict of conflicts) {
    const key = JSON.stringify([
      conflict.hostname,
      conflict.field,
      conflict.kept.registry,
      canonicalJson(conflict.kept.value) ?? null,
    ]);
    let group = groups.get(key);
    if (group === undefined) {
      group = { hostname: conflict.hostname, field: conflict.field, kept: conflict.kept, ignored: [] };
      groups.set(key, group);
    }
    group.ignored.push(conflict.ignored);
  }
  return [...groups.values()];
}

/**
 * The conflicts `to` has and `from` has not (in `to` order), and the other way round (in `from`
 * order), counting equal conflicts as many times as they occur.
 */
export function conflictChanges(
  from: readonly Conflict[],
  to: readonly Conflict[],
): { added: Conflict[]; removed: Conflict[] } {
  const fromKeys = from.map(canonicalJson);
  const toKeys = to.map(canonicalJson);
  return { added: unmatched(to, toKeys, fromKeys), removed: unmatched(from, fromKeys, toKeys) };
}

function unmatched(
  list: readonly Conflict[],
  keys: readonly string[],
  others: readonly string[],
): Conflict[] {
  const available = new Map<string, number>();
  for (const key of others) available.set(key, (available.get(key) ?? 0) + 1);
  const left: Conflict[] = [];
  for (const [index, conflict] of list.entries()) {
    const key = keys[index] as string;
    const count = available.get(key) ?? 0;
    if (count > 0) available.set(key, count - 1);
    else left.push(conflict);
  }
  return left;
}
