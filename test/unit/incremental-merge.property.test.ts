/**
 * The incremental merge against the full one on random histories: after every update, its result
 * is exactly `aggregateServices` of the same snapshots (deep equality with prototypes, and the same
 * JSON text), and no result it returned earlier has changed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aggregateServices } from '#lib/aggregate.ts';
import { IncrementalMerge } from '#lib/incremental-merge.ts';
import type { RegistrySnapshot, Service } from '#lib/types.ts';
import { fuzzRuns, serviceArb, snapshotPartsArb, snapshotsArb } from '../helpers/merge-arbitraries.ts';

const NUM_RUNS = fuzzRuns();

type Parts = { clusterId?: string; services?: Service[]; error?: string };

/** Errors rarer than healthy snapshots, as in snapshotsArb. */
const partsArb: fc.Arbitrary<Parts> = fc.tuple(snapshotPartsArb, fc.nat(3)).map(([parts, roll]) => {
  const { error, ...rest } = parts;
  return roll === 0 && error !== undefined ? { ...rest, error } : rest;
});

type Step =
  | { kind: 'replace'; pick: number; parts: Parts }
  | { kind: 'editOne'; pick: number; at: number; service: Service }
  | { kind: 'insertOne'; pick: number; at: number; service: Service }
  | { kind: 'dropOne'; pick: number; at: number }
  | { kind: 'clone'; pick: number }
  | { kind: 'tweak'; pick: number; at: number; field: keyof Service; donor: Service }
  | { kind: 'reorderKeys'; pick: number }
  | { kind: 'add'; at: number; parts: Parts }
  | { kind: 'remove'; pick: number }
  | { kind: 'recreate'; pick: number; at: number }
  | { kind: 'toggleError'; pick: number }
  | { kind: 'recluster'; pick: number; clusterId: string }
  | { kind: 'swap'; pick: number; other: number }
  | { kind: 'sameArrays' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), parts: partsArb }),
  fc.record({ kind: fc.constant('editOne' as const), pick: fc.nat(), at: fc.nat(), service: serviceArb }),
  fc.record({ kind: fc.constant('insertOne' as const), pick: fc.nat(), at: fc.nat(), service: serviceArb }),
  fc.record({ kind: fc.constant('dropOne' as const), pick: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('clone' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('tweak' as const),
    pick: fc.nat(),
    at: fc.nat(),
    field: fc.constantFrom<keyof Service>(
      'address',
      'ports',
      'namespace',
      'serviceAccounts',
      'resolution',
      'meshExternal',
      'labels',
      'endpoints',
    ),
    donor: serviceArb,
  }),
  fc.record({ kind: fc.constant('reorderKeys' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), parts: partsArb }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('recreate' as const), pick: fc.nat(), at: fc.nat() }),
  fc.record({ kind: fc.constant('toggleError' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('recluster' as const),
    pick: fc.nat(),
    clusterId: fc.constantFrom('', 'c1', 'c2', 'c3', '__proto__'),
  }),
  fc.record({ kind: fc.constant('swap' as const), pick: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('sameArrays' as const) }),
);

function snapshotOf(name: string, parts: Parts): RegistrySnapshot {
  const { clusterId, ...body } = parts;
  return { registry: clusterId === undefined ? { name } : { name, clusterId }, ...body };
}

function withServices(snapshot: RegistrySnapshot, services: readonly Service[]): RegistrySnapshot {
  return { ...snapshot, services };
}

/** The same data with every object's keys in reverse order (equal content, other JSON text). */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reversedKeys(item)]),
  ) as T;
}

/** The lists of snapshots a step leads through (two for a removal followed by a re-creation). */
function play(list: readonly RegistrySnapshot[], step: Step, fresh: () => string): RegistrySnapshot[][] {
  if (step.kind === 'add')
    return [list.toSpliced(step.at % (list.length + 1), 0, snapshotOf(fresh(), step.parts))];
  if (step.kind === 'sameArrays') {
    // New snapshot and registry objects around the same services arrays, as a store read gives.
    return [list.map((snapshot) => ({ ...snapshot, registry: { ...snapshot.registry } }))];
  }
  if (list.length === 0) return [];
  const index = step.pick % list.length;
  const snapshot = list[index] as RegistrySnapshot;
  const services = snapshot.services ?? [];
  switch (step.kind) {
    case 'replace':
      return [list.with(index, snapshotOf(snapshot.registry.name, step.parts))];
    case 'editOne':
      if (services.length === 0) return [];
      return [
        list.with(index, withServices(snapshot, services.with(step.at % services.length, step.service))),
      ];
    case 'insertOne':
      return [
        list.with(
          index,
          withServices(snapshot, services.toSpliced(step.at % (services.length + 1), 0, step.service)),
        ),
      ];
    case 'dropOne':
      if (services.length === 0) return [];
      return [list.with(index, withServices(snapshot, services.toSpliced(step.at % services.length, 1)))];
    case 'clone':
      return [list.with(index, withServices(snapshot, structuredClone(services)))];
    case 'tweak': {
      // A re-pushed registry: all new objects, one field of one service changed in place.
      if (services.length === 0) return [];
      const copy = structuredClone(services) as Service[];
      const at = step.at % copy.length;
      const target = copy[at] as Service & Record<string, unknown>;
      if (step.donor[step.field] === undefined) delete target[step.field];
      else target[step.field] = step.donor[step.field] as never;
      return [list.with(index, withServices(snapshot, copy))];
    }
    case 'reorderKeys':
      return [list.with(index, withServices(snapshot, services.map(reversedKeys)))];
    case 'remove':
      return [list.toSpliced(index, 1)];
    case 'recreate': {
      const without = list.toSpliced(index, 1);
      return [without, without.toSpliced(step.at % (without.length + 1), 0, snapshot)];
    }
    case 'toggleError': {
      if (snapshot.error === undefined) return [list.with(index, { ...snapshot, error: 'timeout' })];
      const { error: _error, ...healthy } = snapshot;
      return [list.with(index, healthy)];
    }
    case 'recluster': {
      const { clusterId: _clusterId, ...registry } = snapshot.registry;
      const moved = step.clusterId === '' ? registry : { ...registry, clusterId: step.clusterId };
      return [list.with(index, { ...snapshot, registry: moved })];
    }
    case 'swap': {
      const other = step.other % list.length;
      return [list.with(index, list[other] as RegistrySnapshot).with(other, snapshot)];
    }
  }
}

describe('IncrementalMerge properties', () => {
  test('after every update of a random history the result is exactly the full merge of the same snapshots', () => {
    fc.assert(
      fc.property(snapshotsArb, fc.array(stepArb, { maxLength: 12 }), (initial, steps) => {
        // Prepare
        const merge = new IncrementalMerge();
        let created = 0;
        const fresh = () => `n${created++}`;
        const lists = [initial];
        for (const step of steps) lists.push(...play(lists.at(-1) as RegistrySnapshot[], step, fresh));

        for (const list of lists) {
          // Act
          const result = merge.update(list);

          // Assess
          const expected = aggregateServices(list);
          assert.deepEqual(result, expected);
          assert.equal(JSON.stringify(result), JSON.stringify(expected));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('an update never changes a result returned before', () => {
    fc.assert(
      fc.property(snapshotsArb, fc.array(stepArb, { minLength: 1, maxLength: 8 }), (initial, steps) => {
        // Prepare
        const merge = new IncrementalMerge();
        let created = 0;
        const fresh = () => `n${created++}`;
        const returned: [result: unknown, json: string][] = [];
        let list = initial;

        for (const step of [{ kind: 'sameArrays' as const }, ...steps]) {
          for (const next of play(list, step, fresh)) {
            // Act
            const result = merge.update(next);
            returned.push([result, JSON.stringify(result)]);
            list = next;
          }
        }

        // Assess
        for (const [result, json] of returned) assert.equal(JSON.stringify(result), json);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
