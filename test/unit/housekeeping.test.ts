import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { makeHandler } from '../../functions/housekeeping/housekeeping.ts';

const START = Date.parse('2026-06-01T12:00:00.000Z');

test('housekeeping marks overdue registries stale and sweeps history past the retention', async () => {
  let clock = START;
  const store = new MemoryRegistryStore({ historyRetentionSeconds: 60, now: () => new Date(clock) });
  await store.putRegistry('a', { maxAgeSeconds: 30 });
  await store.putSnapshot('a', [{ hostname: 'a.example.com' }]);
  await store.putSnapshot('a', [{ hostname: 'b.example.com' }]);
  clock += 61_000;
  const summary = await makeHandler({ store, now: () => new Date(clock) })();
  assert.deepEqual(summary, { freshnessChanged: ['a'], removedSnapshots: 1, removedRevisions: 3 });
  assert.equal((await store.viewState()).registries[0]?.stale, true);
});
