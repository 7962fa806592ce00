/** The merge-library functions the query routes build on, in one place. */
export { conflictChanges, groupConflicts } from '#lib/conflict-groups.ts';
export { applyChanges, diffRegistries, diffServices } from '#lib/delta.ts';
export { IncrementalMerge } from '#lib/incremental-merge.ts';
