import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateServices } from '#lib/aggregate.ts';
import { conflictChanges, groupConflicts } from '#lib/conflict-groups.ts';
import type { Conflict } from '#lib/types.ts';
import { clustered, service } from '../helpers/factories.ts';

const HELLO = 'hello.default.svc.cluster.local';
const WORLD = 'world.default.svc.cluster.local';

function resolutionConflict(hostname: string, ignored: string, value: string): Conflict {
  return {
    hostname,
    field: 'resolution',
    kept: { registry: 'cluster-1', value: 'ClientSideLB' },
    ignored: { registry: ignored, value },
  };
}

describe('groupConflicts', () => {
  test('the conflicts of one hostname and field form one group with every ignored value in registration order', () => {
    // Prepare
    const { conflicts } = aggregateServices([
      clustered('cluster-1', [service(HELLO, { resolution: 'ClientSideLB' })]),
      clustered('cluster-2', [service(HELLO, { resolution: 'DNSLB' })]),
      clustered('cluster-3', [service(HELLO, { resolution: 'Passthrough' })]),
    ]);

    // Act
    const groups = groupConflicts(conflicts);

    // Assess
    assert.deepEqual(groups, [
      {
        hostname: HELLO,
        field: 'resolution',
        kept: { registry: 'cluster-1', value: 'ClientSideLB' },
        ignored: [
          { registry: 'cluster-2', value: 'DNSLB' },
          { registry: 'cluster-3', value: 'Passthrough' },
        ],
      },
    ]);
  });

  test('groups come in the order of their first conflict', () => {
    // Prepare
    const conflicts = [
      resolutionConflict(WORLD, 'cluster-2', 'DNSLB'),
      resolutionConflict(HELLO, 'cluster-2', 'DNSLB'),
      resolutionConflict(WORLD, 'cluster-3', 'Passthrough'),
    ];

    // Act
    const groups = groupConflicts(conflicts);

    // Assess
    assert.deepEqual(
      groups.map((group) => [group.hostname, group.ignored.length]),
      [
        [WORLD, 2],
        [HELLO, 1],
      ],
    );
  });

  test('different fields of one hostname are different groups', () => {
    // Prepare
    const { conflicts } = aggregateServices([
      clustered('cluster-1', [service(HELLO, { ports: [{ port: 80 }], resolution: 'A' })]),
      clustered('cluster-2', [service(HELLO, { ports: [{ port: 81 }], resolution: 'B' })]),
    ]);

    // Act
    const groups = groupConflicts(conflicts);

    // Assess
    assert.deepEqual(
      groups.map((group) => group.field),
      ['ports', 'resolution'],
    );
  });

  test('VIP conflicts of two cluster ids are two groups, each with its own kept VIP', () => {
    // Prepare
    const { conflicts } = aggregateServices([
      clustered('east', [service(HELLO, { address: '10.0.0.1' })], { name: 'east-a' }),
      clustered('west', [service(HELLO, { address: '10.1.0.1' })], { name: 'west-a' }),
      clustered('east', [service(HELLO, { address: '10.0.0.2' })], { name: 'east-b' }),
      clustered('west', [service(HELLO, { address: '10.1.0.2' })], { name: 'west-b' }),
      clustered('east', [service(HELLO, { address: '10.0.0.3' })], { name: 'east-c' }),
    ]);

    // Act
    const groups = groupConflicts(conflicts);

    // Assess
    assert.deepEqual(
      groups.map((group) => [group.kept, group.ignored.map((ignored) => ignored.registry)]),
      [
        [{ registry: 'east-a', value: { east: '10.0.0.1' } }, ['east-b', 'east-c']],
        [{ registry: 'west-a', value: { west: '10.1.0.1' } }, ['west-b']],
      ],
    );
  });

  test('no conflicts give no groups', () => {
    // Act
    const groups = groupConflicts([]);

    // Assess
    assert.deepEqual(groups, []);
  });
});

describe('conflictChanges', () => {
  test('conflicts only in the new list are added and conflicts only in the old list are removed', () => {
    // Prepare
    const kept = resolutionConflict(HELLO, 'cluster-2', 'DNSLB');
    const gone = resolutionConflict(HELLO, 'cluster-3', 'Passthrough');
    const fresh = resolutionConflict(WORLD, 'cluster-2', 'DNSLB');

    // Act
    const changes = conflictChanges([kept, gone], [fresh, structuredClone(kept)]);

    // Assess
    assert.deepEqual(changes, { added: [fresh], removed: [gone] });
  });

  test('an equal conflict that occurs once more in the new list is added once', () => {
    // Prepare
    const conflict = resolutionConflict(HELLO, 'cluster-2', 'DNSLB');

    // Act
    const changes = conflictChanges([conflict], [conflict, structuredClone(conflict)]);

    // Assess
    assert.deepEqual(changes, { added: [conflict], removed: [] });
  });

  test('key order inside values does not make conflicts differ', () => {
    // Prepare
    const before: Conflict = {
      hostname: HELLO,
      field: 'ports',
      kept: { registry: 'cluster-1', value: [{ name: 'http', port: 80 }] },
      ignored: { registry: 'cluster-2', value: [{ port: 81, name: 'http' }] },
    };
    const after: Conflict = {
      ignored: { value: [{ name: 'http', port: 81 }], registry: 'cluster-2' },
      kept: { value: [{ port: 80, name: 'http' }], registry: 'cluster-1' },
      field: 'ports',
      hostname: HELLO,
    };

    // Act
    const changes = conflictChanges([before], [after]);

    // Assess
    assert.deepEqual(changes, { added: [], removed: [] });
  });
});
