/**
 * The delta of two merged views on random pairs: unrelated views, views a re-pushed registry apart
 * (sharing most objects, as successive incremental results do), and a view and its JSON copy.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aggregateServices } from '#lib/aggregate.ts';
import { canonicalJson } from '#lib/canonical-json.ts';
import { applyChanges, diffServices } from '#lib/delta.ts';
import { IncrementalMerge } from '#lib/incremental-merge.ts';
import type { MergedService, RegistrySnapshot } from '#lib/types.ts';
import { fuzzRuns, snapshotPartsArb, snapshotsArb } from '../helpers/merge-arbitraries.ts';

const NUM_RUNS = fuzzRuns();

/** Two views of random snapshots, or of the same snapshots with one registry replaced. */
type ViewPair = [from: MergedService[], to: MergedService[]];

const viewPairArb: fc.Arbitrary<ViewPair> = fc.oneof(
  fc
    .tuple(snapshotsArb, snapshotsArb)
    .map(([a, b]): ViewPair => [aggregateServices(a).services, aggregateServices(b).services]),
  fc.tuple(snapshotsArb, fc.nat(), snapshotPartsArb).map(([snapshots, pick, parts]): ViewPair => {
    const merge = new IncrementalMerge();
    const from = merge.update(snapshots).services;
    if (snapshots.length === 0) return [from, from];
    const index = pick % snapshots.length;
    const { clusterId, ...body } = parts;
    const name = (snapshots[index] as RegistrySnapshot).registry.name;
    const replaced = { registry: clusterId === undefined ? { name } : { name, clusterId }, ...body };
    return [from, merge.update(snapshots.with(index, replaced)).services];
  }),
);

/** A view as id → canonical JSON, so prototypes and key order do not count. */
function byId(view: Iterable<MergedService>): Map<string, string> {
  return new Map([...view].map((merged) => [merged.id, canonicalJson(merged)]));
}

describe('diffServices properties', () => {
  test('applying the changes to the old view gives the new view by id', () => {
    fc.assert(
      fc.property(viewPairArb, ([from, to]) => {
        // Act
        const view = applyChanges(from, diffServices(from, to));

        // Assess
        assert.deepEqual(byId(view.values()), byId(to));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('there is exactly one change per id whose entry differs', () => {
    fc.assert(
      fc.property(viewPairArb, ([from, to]) => {
        // Prepare
        const before = byId(from);
        const after = byId(to);
        const differing = [...new Set([...before.keys(), ...after.keys()])].filter(
          (id) => before.get(id) !== after.get(id),
        );

        // Act
        const changes = diffServices(from, to);

        // Assess
        assert.deepEqual(changes.map((change) => change.id).sort(), differing.sort());
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('additions and updates come in the new order, then removals in the old order', () => {
    fc.assert(
      fc.property(viewPairArb, ([from, to]) => {
        // Prepare
        const newOrder = to.map((merged) => merged.id);
        const oldOrder = from.map((merged) => merged.id);

        // Act
        const changes = diffServices(from, to);

        // Assess
        const kept = changes.filter((change) => change.change !== 'removed').map((change) => change.id);
        const removed = changes.filter((change) => change.change === 'removed').map((change) => change.id);
        assert.deepEqual(
          kept,
          newOrder.filter((id) => kept.includes(id)),
        );
        assert.deepEqual(
          removed,
          oldOrder.filter((id) => removed.includes(id)),
        );
        assert.deepEqual(
          changes.slice(kept.length).map((change) => change.change),
          removed.map(() => 'removed'),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('a view and its JSON copy differ in nothing', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const view = aggregateServices(snapshots).services;
        const copy: MergedService[] = JSON.parse(JSON.stringify(view));

        // Act
        const changes = diffServices(view, copy);

        // Assess
        assert.deepEqual(changes, []);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
