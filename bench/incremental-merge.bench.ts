// bench-flags: --expose-gc --single-threaded-gc
/**
 * The incremental merge on the issue-12 fleet after one registry re-pushed (all new objects, as a
 * fresh read of its snapshot gives), against a full `aggregateServices` of the same snapshots.
 * Target for a push that changes a few services: ≤ 0.1×, the first re-merge after a cold build too.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import { IncrementalMerge } from '#lib/incremental-merge.ts';
import type { RegistrySnapshot, Service } from '#lib/types.ts';
import { bestOf, bestOfAsync, FLEET, issueFleet, RUNS, row } from './fixtures.ts';

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

/** Each call goes from one of two lists to the other, so each is a re-push of the registry. */
function alternating(lists: readonly RegistrySnapshot[][]): () => void {
  const merge = new IncrementalMerge();
  merge.update(snapshots);
  let turn = 0;
  return () => {
    sink += merge.update(lists[turn++ % lists.length] as RegistrySnapshot[]).services.length;
  };
}

const full = () => {
  sink += aggregateServices(snapshots).services.length;
};
/** One case at a time, against a full build measured alongside it; its state is dropped after. */
function ratio(work: () => void): number {
  const [fullMs, workMs] = bestOf(RUNS, [full, work]) as [number, number];
  return workMs / fullMs;
}

const fleet = `1 of ${FLEET.registries} × ${FLEET.perRegistry.toLocaleString('en')} re-pushed`;
row(
  `incremental re-merge after ${fleet}, 20 services changed, vs full build`,
  ratio(alternating([repush(1, 100), repush(2, 100)])),
  0.1,
);
row(
  `incremental re-merge after ${fleet}, 1 service changed, vs full build`,
  ratio(alternating([repush(1, Number.MAX_SAFE_INTEGER), repush(2, Number.MAX_SAFE_INTEGER)])),
  0.1,
);
row(
  `incremental re-merge after ${fleet}, all 2,000 changed, vs full build`,
  ratio(alternating([repush(1, 1), repush(2, 1)])),
);
// The first re-merge after a cold build also finds where the registries list the changed hostnames,
// which the build does not record (it is on every cold read's path).
let built = new IncrementalMerge();
const onePushed = repush(1, Number.MAX_SAFE_INTEGER);
const firstMs = await bestOfAsync(
  RUNS,
  async () => {
    sink += built.update(onePushed).services.length;
  },
  async () => {
    built = new IncrementalMerge();
    built.update(snapshots);
  },
);
const [fullMs] = bestOf(RUNS, [full]) as [number];
row(
  `incremental re-merge after ${fleet}, 1 service changed, the first after a cold build, vs full build`,
  firstMs / fullMs,
  0.1,
);
const sameArrays = snapshots.map((snapshot) => ({ ...snapshot, registry: { ...snapshot.registry } }));
row(
  'incremental update with no snapshot changed vs full build',
  ratio(alternating([sameArrays, snapshots])),
  0.05,
);
row(
  'incremental first update (cold) vs full build',
  ratio(() => {
    sink += new IncrementalMerge().update(snapshots).services.length;
  }),
);
if (sink === 0) console.log('no services merged');
