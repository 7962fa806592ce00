import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateServices } from '#lib/aggregate.ts';
import { IncrementalMerge } from '#lib/incremental-merge.ts';
import { clustered, service, unclustered } from '../helpers/factories.ts';

const HELLO = 'hello.default.svc.cluster.local';
const WORLD = 'world.default.svc.cluster.local';

describe('IncrementalMerge', () => {
  test('the first update gives the full merge', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]),
      clustered('cluster-2', [service(HELLO, { address: '10.1.0.1' }), service(WORLD)]),
      unclustered('consul', [service('db.consul')]),
    ];

    // Act
    const result = new IncrementalMerge().update(snapshots);

    // Assess
    assert.deepEqual(result, aggregateServices(snapshots));
  });

  test('a registry listing a hostname twice, built in the first update, can drop it later', () => {
    // Prepare: the first update records cluster-2 once among HELLO's registries, not once per sighting.
    const merge = new IncrementalMerge();
    const one = clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]);
    const twice = clustered('cluster-2', [
      service(HELLO, { address: '10.1.0.1' }),
      service(HELLO, { address: '10.1.0.2' }),
    ]);
    merge.update([one, twice]);
    const without = clustered('cluster-2', [service(WORLD)]);
    const back = clustered('cluster-2', [service(HELLO, { address: '10.1.0.3' })]);

    // Act
    const dropped = merge.update([one, without]);
    const again = merge.update([one, back]);

    // Assess
    assert.deepEqual(dropped, aggregateServices([one, without]));
    assert.deepEqual(again, aggregateServices([one, back]));
  });

  test('a registry that changes leaves the entries of hostnames it does not list as the same objects', () => {
    // Prepare
    const merge = new IncrementalMerge();
    const one = clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]);
    const two = clustered('cluster-2', [service(WORLD, { address: '10.1.0.1' })]);
    const before = merge.update([one, two]);
    const changedTwo = clustered('cluster-2', [service(WORLD, { address: '10.1.0.2' })]);

    // Act
    const after = merge.update([one, changedTwo]);

    // Assess
    assert.equal(after.services[0], before.services[0]);
    assert.notEqual(after.services[1], before.services[1]);
    assert.equal(after.services[1]?.address, '10.1.0.2');
  });

  test('a registry pushed again with the same content as new objects keeps its entries as they were', () => {
    // Prepare
    const merge = new IncrementalMerge();
    const one = clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]);
    const before = merge.update([one]);

    // Act
    const after = merge.update([structuredClone(one)]);

    // Assess
    assert.equal(after.services[0], before.services[0]);
  });

  test('a removed hostname disappears and the next registry listing it becomes the kept one', () => {
    // Prepare
    const merge = new IncrementalMerge();
    const one = clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' }), service(WORLD)]);
    const two = clustered('cluster-2', [service(HELLO, { address: '10.1.0.1' })]);
    merge.update([one, two]);

    // Act
    const after = merge.update([clustered('cluster-1', [service(WORLD)]), two]);

    // Assess
    assert.deepEqual(
      after.services.map((merged) => [merged.id, merged.registry]),
      [
        [WORLD, 'cluster-1'],
        [HELLO, 'cluster-2'],
      ],
    );
  });

  test('two registries with one name are merged like the full merge does', () => {
    // Prepare
    const snapshots = [
      clustered('east', [service(HELLO, { address: '10.0.0.1' })], { name: 'twin' }),
      clustered('west', [service(HELLO, { address: '10.1.0.1' })], { name: 'twin' }),
    ];

    // Act
    const result = new IncrementalMerge().update(snapshots);

    // Assess
    assert.deepEqual(result, aggregateServices(snapshots));
  });
});
