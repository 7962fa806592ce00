/**
 * GET /services/{hostname}'s fast path against the merged view: `getService` over the snapshots gives
 * exactly the view's entry for every hostname (same JSON text), and a ViewCache that only ever answers
 * through its snapshot lookups agrees with the full view, ETag included, after every step of a random
 * store history (pushes, deletes and re-creations, cluster ids changed, refresh errors, stale
 * registries, unreadable snapshots), for both variants.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aggregateServices } from '#lib/aggregate.ts';
import { getService } from '#lib/get-service.ts';
import type { Service } from '#lib/types.ts';
import { MergedParts, type Variant } from '../../functions/query/view.ts';
import { ViewCache } from '../../functions/query/view-cache.ts';
import { fuzzRuns, serviceArb, snapshotsArb } from '../helpers/merge-arbitraries.ts';
import { UnreadableSnapshots } from '../helpers/unreadable-store.ts';

const NUM_RUNS = fuzzRuns();
/** serviceArb's hostnames, and one no registry lists. */
const HOSTNAMES = ['a.svc', 'b.svc', 'c.svc', 'd.svc', '__proto__', 'constructor', 'absent.svc'];
const NAMES = ['r0', 'r1', 'r2', 'r3'];
const VARIANTS: readonly Variant[] = ['all', 'fresh'];

type Step =
  | { kind: 'put'; name: string; clusterId: string; maxAgeSeconds: number }
  | { kind: 'push'; name: string; services: Service[]; readable: boolean }
  | { kind: 'delete'; name: string }
  | { kind: 'error'; name: string; error: string | undefined }
  | { kind: 'age'; seconds: number }
  | { kind: 'heal' };

const nameArb = fc.constantFrom(...NAMES);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    name: nameArb,
    clusterId: fc.constantFrom('', 'c1', 'c2', '__proto__'),
    maxAgeSeconds: fc.constantFrom(60, 600),
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      name: nameArb,
      services: fc.array(serviceArb, { maxLength: 6 }),
      // An unreadable snapshot only shows before a cache decoded it: right after its push.
      readable: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, fc.constant(false)),
    }),
    weight: 3,
  },
  fc.record({ kind: fc.constant('delete' as const), name: nameArb }),
  fc.record({
    kind: fc.constant('error' as const),
    name: nameArb,
    error: fc.constantFrom('timeout', 'HTTP 503 from source', undefined),
  }),
  fc.record({ kind: fc.constant('age' as const), seconds: fc.constantFrom(30, 120, 900) }),
  fc.record({ kind: fc.constant('heal' as const) }),
);

async function play(store: UnreadableSnapshots, clock: { now: number }, step: Step): Promise<void> {
  const at = () => new Date(clock.now).toISOString();
  switch (step.kind) {
    case 'put': {
      const { clusterId, maxAgeSeconds } = step;
      await store.putRegistry(step.name, { ...(clusterId ? { clusterId } : {}), maxAgeSeconds });
      return;
    }
    case 'push': {
      if (!(await store.getRegistry(step.name))) return;
      await store.putSnapshot(step.name, step.services);
      const id = (await store.getRegistry(step.name))?.snapshot?.id;
      if (!step.readable && id) store.unreadable.add(id);
      return;
    }
    case 'delete':
      await store.deleteRegistry(step.name);
      return;
    case 'error': {
      const record = await store.getRegistry(step.name);
      if (!record) return;
      const outcome = { incarnation: record.incarnation, checkedAt: at() };
      await store.recordRefresh(step.name, step.error ? { ...outcome, error: step.error } : outcome);
      return;
    }
    case 'age':
      clock.now += step.seconds * 1000;
      await store.updateFreshness(new Date(clock.now));
      return;
    case 'heal':
      store.unreadable.clear();
      return;
  }
}

describe('GET /services/{hostname} without the merged view', () => {
  test('getService over the snapshots is exactly the merged view entry of every hostname', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const aggregate = aggregateServices(snapshots);
        const clustered = new Set(snapshots.filter((s) => s.registry.clusterId).map((s) => s.registry.name));
        const parts = new MergedParts(aggregate, clustered);

        for (const hostname of HOSTNAMES) {
          // Act
          const fast = getService(snapshots, hostname);

          // Assess
          const expected = parts.byHostname(hostname);
          assert.deepEqual(fast, expected, hostname);
          assert.equal(JSON.stringify(fast), JSON.stringify(expected), hostname);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('a ViewCache answering from its lookups agrees with the full view after every step of a random history', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 16 }), async (steps) => {
        // Prepare
        const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
        const store = new UnreadableSnapshots({ now: () => new Date(clock.now) });
        const lookups = new ViewCache(store);
        const views = new ViewCache(store);

        for (const step of steps) {
          await play(store, clock, step);
          for (const variant of VARIANTS) {
            // Act
            const fast = await lookups.hostnames(variant);

            // Assess
            const view = await views.current(variant);
            assert.equal(fast.etag, view.etag, `${variant} after ${JSON.stringify(step)}`);
            for (const hostname of HOSTNAMES) {
              const expected = view.service(hostname);
              assert.equal(
                JSON.stringify(fast.service(hostname)),
                JSON.stringify(expected),
                `${variant} ${hostname} after ${JSON.stringify(step)}`,
              );
            }
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
