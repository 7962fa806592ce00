import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyChanges, diffRegistries, diffServices } from '#lib/delta.ts';
import type { MergedService } from '#lib/types.ts';

function entry(id: string, fields: Partial<MergedService> = {}): MergedService {
  return { id, hostname: id.split('/').at(-1) ?? id, registry: 'cluster-1', ...fields };
}

describe('diffServices', () => {
  test('two equal views give no changes', () => {
    // Prepare
    const from = [entry('a'), entry('b')];
    const to = structuredClone(from);

    // Act
    const changes = diffServices(from, to);

    // Assess
    assert.deepEqual(changes, []);
  });

  test('an entry whose content differs is updated, with the new entry', () => {
    // Prepare
    const from = [entry('a', { address: '10.0.0.1' }), entry('b')];
    const to = [entry('a', { address: '10.0.0.2' }), from[1] as MergedService];

    // Act
    const changes = diffServices(from, to);

    // Assess
    assert.deepEqual(changes, [
      { id: 'a', hostname: 'a', registry: 'cluster-1', change: 'updated', service: to[0] },
    ]);
  });

  test('key order and prototypes do not make an entry differ', () => {
    // Prepare
    const vips: Record<string, string> = Object.create(null);
    vips['cluster-1'] = '10.0.0.1';
    const from = [{ ...entry('a'), clusterVIPs: vips }];
    const to = [{ clusterVIPs: { 'cluster-1': '10.0.0.1' }, registry: 'cluster-1', hostname: 'a', id: 'a' }];

    // Act
    const changes = diffServices(from, to);

    // Assess
    assert.deepEqual(changes, []);
  });

  test('additions come in the new order and removals after them in the old order', () => {
    // Prepare
    const from = [entry('a'), entry('gone-1'), entry('b'), entry('gone-2')];
    const to = [entry('new-1'), entry('a'), entry('b'), entry('new-2')];

    // Act
    const changes = diffServices(from, to);

    // Assess
    assert.deepEqual(
      changes.map((change) => [change.id, change.change]),
      [
        ['new-1', 'added'],
        ['new-2', 'added'],
        ['gone-1', 'removed'],
        ['gone-2', 'removed'],
      ],
    );
  });

  test('a removal names the hostname and registry of the removed entry and carries no service', () => {
    // Prepare
    const from = [entry('consul/db.consul', { registry: 'consul' })];

    // Act
    const changes = diffServices(from, []);

    // Assess
    assert.deepEqual(changes, [
      { id: 'consul/db.consul', hostname: 'db.consul', registry: 'consul', change: 'removed' },
    ]);
  });

  test('an entry that moved to another position is no change', () => {
    // Prepare
    const from = [entry('a'), entry('b'), entry('c')];
    const to = [entry('c'), entry('a'), entry('b')];

    // Act
    const changes = diffServices(from, to);

    // Assess
    assert.deepEqual(changes, []);
  });
});

describe('applyChanges', () => {
  test('the changes of a diff applied to the old view give the new view by id', () => {
    // Prepare
    const from = [entry('a', { address: '1' }), entry('b'), entry('c')];
    const to = [entry('d'), entry('a', { address: '2' }), entry('c')];

    // Act
    const view = applyChanges(from, diffServices(from, to));

    // Assess
    assert.deepEqual(view, new Map(to.map((merged) => [merged.id, merged])));
  });

  test('an added change without its service is refused', () => {
    // Prepare
    const changes = [{ id: 'a', hostname: 'a', registry: 'r', change: 'added' as const }];

    // Act
    const act = () => applyChanges([], changes);

    // Assess
    assert.throws(act, /the added change of a has no service/);
  });
});

describe('diffRegistries', () => {
  test('registries are added, updated and removed by name, in the new order then the old', () => {
    // Prepare
    const from = [
      { name: 'a', status: 'ok' },
      { name: 'b', status: 'ok' },
      { name: 'c', status: 'ok' },
    ];
    const to = [
      { name: 'd', status: 'ok' },
      { name: 'c', status: 'stale' },
      { name: 'a', status: 'ok' },
    ];

    // Act
    const changes = diffRegistries(from, to);

    // Assess
    assert.deepEqual(changes, [
      { name: 'd', change: 'added', registry: { name: 'd', status: 'ok' } },
      { name: 'c', change: 'updated', registry: { name: 'c', status: 'stale' } },
      { name: 'b', change: 'removed' },
    ]);
  });
});
