/**
 * Aggregate 100 clustered registries x 2,000 services drawn from 4,000 hostnames, and print the time as a
 * ratio to JSON.parse of the same input (best of several runs). Target: <= 0.4x.
 * A ratio, not a time, so the figure means the same on a fast or a slow machine.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import type { RegistrySnapshot, Service } from '#lib/types.ts';

const REGISTRIES = 100;
const SERVICES_PER_REGISTRY = 2_000;
const HOSTNAMES = 4_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TARGET = 0.4;

function buildInput(): RegistrySnapshot[] {
  // A fixed-seed LCG: the same input on every run, so ratios compare across commits.
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const snapshots: RegistrySnapshot[] = [];
  for (let r = 0; r < REGISTRIES; r++) {
    const services: Service[] = [];
    const picked = new Set<number>();
    while (picked.size < SERVICES_PER_REGISTRY) picked.add(Math.floor(random() * HOSTNAMES));
    for (const h of picked) {
      services.push({
        hostname: `svc-${h}.ns-${h % 50}.svc.cluster.local`,
        address: `10.${r}.${(h >> 8) & 255}.${h & 255}`,
        namespace: `ns-${h % 50}`,
        ports: [
          { name: 'http', port: 80, protocol: 'HTTP' },
          { name: 'grpc', port: 9090, protocol: 'GRPC' },
        ],
        serviceAccounts: [`spiffe://cluster.local/ns/ns-${h % 50}/sa/svc-${h}`],
        resolution: 'ClientSideLB',
        labels: { app: `svc-${h}`, version: 'v1' },
      });
    }
    snapshots.push({ registry: { name: `cluster-${r}`, clusterId: `cluster-${r}` }, services });
  }
  return snapshots;
}

function best(runs: number, work: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    work();
    min = Math.min(min, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return min;
}

const json = JSON.stringify(buildInput());
let parsed: RegistrySnapshot[] = JSON.parse(json);
let sink = 0;
const parseMs = best(RUNS, () => {
  parsed = JSON.parse(json);
});
const aggregateMs = best(RUNS, () => {
  sink += aggregateServices(parsed).services.length;
});
// The floor: a bare loop that only looks up each hostname and sets its VIP.
const floorMs = best(RUNS, () => {
  const vips = new Map<string, Record<string, string>>();
  for (const { registry, services } of parsed) {
    for (const service of services ?? []) {
      let entry = vips.get(service.hostname);
      if (entry === undefined) {
        entry = {};
        vips.set(service.hostname, entry);
      }
      entry[registry.clusterId ?? ''] = service.address ?? '';
    }
  }
  sink += vips.size;
});
const ratio = aggregateMs / parseMs;
console.log(
  `aggregate ${REGISTRIES} registries x ${SERVICES_PER_REGISTRY} services (${HOSTNAMES} hostnames, ` +
    `${(json.length / 1e6).toFixed(1)} MB JSON): ${aggregateMs.toFixed(1)} ms; JSON.parse ${parseMs.toFixed(1)} ms`,
);
console.log(
  `ratio aggregate/JSON.parse = ${ratio.toFixed(3)}x (target <= ${TARGET}x) ${ratio <= TARGET ? 'OK' : 'OVER TARGET'}`,
);
console.log(
  `floor (lookup + set VIP only) = ${(floorMs / parseMs).toFixed(3)}x; aggregate/floor = ${(aggregateMs / floorMs).toFixed(2)}x`,
);
if (sink === 0) console.log('no services merged');
