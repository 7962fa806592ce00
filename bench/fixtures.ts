/**
 * What the bench files share: fixed-seed fleets of registries (the same input on every run, so
 * ratios compare across commits), best-of-N timing, and the row format. Every figure is a ratio of
 * two timings taken in the same run, so it means the same on a fast or a slow (or shared) machine.
 */
import type { RegistrySnapshot, Service } from '#lib/types.ts';

export const RUNS = Number(process.env.BENCH_RUNS ?? 15);

/** `name: ratio× (target ≤ x×) ok|MISS`; rows without a target are context for the others. */
export function row(name: string, ratio: number, target?: number): void {
  const figure = `${ratio < 0.01 ? ratio.toFixed(4) : ratio.toFixed(3)}×`;
  if (target === undefined) console.log(`${name}: ${figure} (no target)`);
  else console.log(`${name}: ${figure} (target ≤ ${target}×) ${ratio <= target ? 'ok' : 'MISS'}`);
}

/** The fastest of `runs` runs, in milliseconds: the figure least disturbed by other processes. */
export function best(runs: number, work: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    work();
    min = Math.min(min, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return min;
}

/** A fixed-seed LCG in [0, 1). */
export function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

export function benchService(h: number, r: number): Service {
  return {
    hostname: `svc-${h}.ns-${h % 50}.svc.cluster.local`,
    address: `10.${r % 256}.${(h >> 8) & 255}.${h & 255}`,
    namespace: `ns-${h % 50}`,
    ports: [
      { name: 'http', port: 80, protocol: 'HTTP' },
      { name: 'grpc', port: 9090, protocol: 'GRPC' },
    ],
    serviceAccounts: [`spiffe://cluster.local/ns/ns-${h % 50}/sa/svc-${h}`],
    resolution: 'ClientSideLB',
    labels: { app: `svc-${h}`, version: 'v1' },
  };
}

/**
 * `registries` clustered registries of `perRegistry` services each, drawn from `hostnames`
 * hostnames (so a hostname is listed by about registries × perRegistry / hostnames registries).
 */
export function clusteredFleet(
  registries: number,
  perRegistry: number,
  hostnames: number,
): RegistrySnapshot[] {
  const random = lcg(42);
  const snapshots: RegistrySnapshot[] = [];
  for (let r = 0; r < registries; r++) {
    const picked = new Set<number>();
    while (picked.size < perRegistry) picked.add(Math.floor(random() * hostnames));
    const services = [...picked].map((h) => benchService(h, r));
    snapshots.push({ registry: { name: `cluster-${r}`, clusterId: `cluster-${r}` }, services });
  }
  return snapshots;
}

/** The fleet of issue 12, as JSON and as parsed once: 100 registries × 2,000 of 4,000 hostnames. */
export const FLEET = { registries: 100, perRegistry: 2_000, hostnames: 4_000 };
let fleet: { json: string; snapshots: RegistrySnapshot[] } | undefined;
export function issueFleet(): { json: string; snapshots: RegistrySnapshot[] } {
  if (fleet === undefined) {
    const json = JSON.stringify(clusteredFleet(FLEET.registries, FLEET.perRegistry, FLEET.hostnames));
    fleet = { json, snapshots: JSON.parse(json) };
  }
  return fleet;
}
