/**
 * The merge-library functions the query routes build on, in one place.
 * TEMPORARY (the conflict part): groupConflicts and conflictChanges stand in until the `merge` branch
 * lands lib/conflict-groups.ts; then this file only re-exports.
 */
import type { ConflictGroup } from '#lib/api-types.ts';
import { canonicalJson } from '#lib/canonical-json.ts';
import type { Conflict } from '#lib/types.ts';

export { applyChanges, diffRegistries, diffServices } from '#lib/delta.ts';
export { IncrementalMerge } from '#lib/incremental-merge.ts';

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
