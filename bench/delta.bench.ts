// bench-flags: --expose-gc --single-threaded-gc
/**
 * `diffServices` of two 20k-service views that differ in one service, against a full build of the
 * view. The pair as the query function holds it (successive incremental results, sharing every
 * unchanged object; target ≤ 0.05×), and two JSON copies that share nothing (every entry compared).
 */
import { aggregateServices } from '#lib/aggregate.ts';
import { diffServices } from '#lib/delta.ts';
import { IncrementalMerge } from '#lib/incremental-merge.ts';
import type { MergedService, RegistrySnapshot, Service } from '#lib/types.ts';
import { benchService, bestOf, RUNS, row } from './fixtures.ts';

const REGISTRIES = 10;
const PER_REGISTRY = 2_000;
const snapshots: RegistrySnapshot[] = JSON.parse(
  JSON.stringify(
    Array.from({ length: REGISTRIES }, (_, r) => ({
      registry: { name: `cluster-${r}`, clusterId: `cluster-${r}` },
      services: Array.from({ length: PER_REGISTRY }, (_, i) => benchService(r * PER_REGISTRY + i, r)),
    })),
  ),
);
const pushed = snapshots[3] as RegistrySnapshot;
const services: Service[] = JSON.parse(JSON.stringify(pushed.services));
(services[700] as Service).address = '172.16.0.1';
const changed = snapshots.with(3, { ...pushed, services });

let sink = 0;
const merge = new IncrementalMerge();
const from = merge.update(snapshots).services;
const to = merge.update(changed).services;
if (from.length !== REGISTRIES * PER_REGISTRY || diffServices(from, to).length !== 1)
  throw new Error('the bench views are not 20k services one change apart');
const plainFrom: MergedService[] = JSON.parse(JSON.stringify(from));
const plainTo: MergedService[] = JSON.parse(JSON.stringify(to));

const [fullMs, sharedMs, plainMs] = bestOf(RUNS, [
  () => {
    sink += aggregateServices(snapshots).services.length;
  },
  () => {
    sink += diffServices(from, to).length;
  },
  () => {
    sink += diffServices(plainFrom, plainTo).length;
  },
]) as [number, number, number];

row(
  'diffServices of two 20k views one service apart (incremental results) vs full build',
  sharedMs / fullMs,
  0.05,
);
row(
  'diffServices of two 20k views one service apart (JSON copies, nothing shared) vs full build',
  plainMs / fullMs,
);
if (sink === 0) console.log('nothing diffed');
