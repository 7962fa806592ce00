/**
 * The operational metrics a new merged view emits (CloudWatch EMF through Powertools Metrics):
 * merged services, conflicts, registries per status and the view's build time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metrics } from '#http/metrics.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { ViewCache } from '../../functions/query/view-cache.ts';

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };

test('a new view records merged services, conflicts, registries per status and its build time', async () => {
  // Prepare: two clusters disagreeing on a port, an unclustered registry, and one never pushed.
  const store = new MemoryRegistryStore();
  for (const [name, clusterId] of [
    ['east', 'east'],
    ['west', 'west'],
    ['consul', undefined],
  ] as const) {
    await store.putRegistry(name, clusterId ? { clusterId } : {});
  }
  await store.putRegistry('empty', {});
  await store.putSnapshot('east', [{ hostname: 'web.example.com', ports: [{ port: 80 }] }]);
  await store.putSnapshot('west', [{ hostname: 'web.example.com', ports: [{ port: 8080 }] }]);
  await store.putSnapshot('consul', [{ hostname: 'db.example.com' }, { hostname: 'mq.example.com' }]);
  metrics.clearMetrics();

  // Act
  await new ViewCache(store).current('all');
  const emf = metrics.serializeMetrics() as unknown as Emf;
  metrics.clearMetrics();

  // Assess
  const names = emf._aws.CloudWatchMetrics[0]?.Metrics.map((metric) => metric.Name) ?? [];
  assert.ok(names.includes('ViewBuildTime'), names.join());
  assert.equal(emf.MergedServices, 3);
  assert.equal(emf.Conflicts, 1);
  assert.equal(emf.Registries_ok, 3);
  assert.equal(emf.Registries_empty, 1);
  assert.equal(emf.Registries_error, 0);
  assert.equal(typeof emf.ViewBuildTime, 'number');
});
