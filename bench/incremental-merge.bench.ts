/**
 * The incremental merge on the issue-12 fleet after one registry re-pushed (all new objects, as a
 * fresh read of its snapshot gives), against a full `aggregateServices` of the same snapshots.
 * Target for a push that changes a few services: ≤ 0.1×.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import { IncrementalMerge } from '#lib/incremental-merge.ts';
import type { RegistrySnapshot, Service } from '#lib/types.ts';
import { best, FLEET, issueFleet, RUNS, row } from './fixtures.ts';

const { snapshots } = issueFleet();
const PUSHED = 50;
let sink = 0;

/** A fresh copy of the pushed registry's services with the VIP of every `step`-th one moved. */
function repush(generation: number, step: number): RegistrySnapshot[] {
  const original = snapshots[PUSHED] as RegistrySnapshot;
  const services: Service[] = JSON.parse(JSON.stringify(original.services));
  for (let i = 0; i < services.length; i += step) {
    const service = services[i] as Service;
    service.address = `172.${generation % 256}.${(i >> 8) & 255}.${i & 255}`;
  }
  return snapshots.with(PUSHED, { ...original, services });
}

const fullMs = best(RUNS, () => {
  sink += aggregateServices(snapshots).services.length;
});

/** The best time of an update that goes from one of two lists to the other. */
function remergeMs(step: number): number {
  const pushes = [repush(1, step), repush(2, step)];
  const merge = new IncrementalMerge();
  merge.update(snapshots);
  let turn = 0;
  return best(RUNS * 4, () => {
    sink += merge.update(pushes[turn++ % 2] as RegistrySnapshot[]).services.length;
  });
}

const size = `${FLEET.registries} × ${FLEET.perRegistry.toLocaleString('en')}`;
row(
  `incremental re-merge after 1 of ${size} re-pushed, 20 services changed, vs full build`,
  remergeMs(100) / fullMs,
  0.1,
);
row(
  `incremental re-merge after 1 of ${size} re-pushed, 1 service changed, vs full build`,
  remergeMs(1e9) / fullMs,
  0.1,
);
row(
  `incremental re-merge after 1 of ${size} re-pushed, all 2,000 changed, vs full build`,
  remergeMs(1) / fullMs,
);

const same = snapshots.map((snapshot) => ({ ...snapshot, registry: { ...snapshot.registry } }));
const warm = new IncrementalMerge();
warm.update(snapshots);
let flip = 0;
const unchangedMs = best(RUNS * 4, () => {
  sink += warm.update(flip++ % 2 === 0 ? same : snapshots).services.length;
});
row('incremental update with no snapshot changed vs full build', unchangedMs / fullMs, 0.05);

const coldMs = best(RUNS, () => {
  sink += new IncrementalMerge().update(snapshots).services.length;
});
row('incremental first update (cold) vs full build', coldMs / fullMs);
if (sink === 0) console.log('no services merged');
