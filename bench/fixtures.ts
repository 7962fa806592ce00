/**
 * What the bench files share: fixed-seed fleets of registries (the same input on every run, so
 * ratios compare across commits), best-of-N timing, and the row format. Every figure is a ratio of
 * two timings taken in the same run (CPU time, best of several samples), so it means the same on a
 * fast or a slow (or shared) machine.
 */
import type { RegistrySnapshot, Service } from '#lib/types.ts';

export const RUNS = Number(process.env.BENCH_RUNS ?? 15);

/** `name: ratio× (target ≤ x×) ok|MISS`; rows without a target are context for the others. */
export function row(name: string, ratio: number, target?: number): void {
  const figure = `${ratio < 0.01 ? ratio.toFixed(4) : ratio.toFixed(3)}×`;
  if (target === undefined) console.log(`${name}: ${figure} (no target)`);
  else console.log(`${name}: ${figure} (target ≤ ${target}×) ${ratio <= target ? 'ok' : 'MISS'}`);
}

/** `name: n (target ≤ t) ok|MISS` for a count (requests, reads), not a ratio. */
export function countRow(name: string, count: number, target: number): void {
  console.log(`${name}: ${count} (target ≤ ${target}) ${count <= target ? 'ok' : 'MISS'}`);
}

/**
 * CPU time of the whole process (the garbage collector's helper threads included), in ms: on a
 * shared machine the time spent waiting for a core does not count, which would otherwise be most of
 * a wall-clock figure and differ from one timing to the next.
 */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e3;
}

/** Short work is repeated until a sample is this long, so the clock's granularity does not count. */
const MIN_SAMPLE_MS = 50;

/** With `--expose-gc` (see run.ts), each sample starts on a collected heap, not another's garbage. */
const collect = (globalThis as { gc?: () => void }).gc;

function sample(work: () => void): number {
  collect?.();
  const start = cpuMs();
  let calls = 0;
  let elapsed = 0;
  do {
    work();
    calls++;
    elapsed = cpuMs() - start;
  } while (elapsed < MIN_SAMPLE_MS);
  return elapsed / calls;
}

/**
 * The fastest of `runs` samples of each piece of work, in ms of CPU time per call, the pieces taken
 * in turn so that a slower spell of the machine falls on all of them alike.
 */
export function bestOf(runs: number, works: readonly (() => void)[]): number[] {
  const mins = works.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < runs; i++) {
    for (const [k, work] of works.entries()) mins[k] = Math.min(mins[k] as number, sample(work));
  }
  return mins;
}

/**
 * The fastest of `runs` CPU-time samples of async work (a handler over the memory store, whose awaits
 * never wait on I/O), in ms per call. With `prepare`, each sample is one call after it (untimed, the
 * heap collected after it, so a push's garbage is not collected inside the read that follows it);
 * without, a sample repeats the call as `sample` does.
 */
export async function bestOfAsync(
  runs: number,
  work: () => Promise<unknown>,
  prepare?: () => Promise<unknown>,
): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    await prepare?.();
    collect?.();
    const start = cpuMs();
    let calls = 0;
    let elapsed = 0;
    do {
      await work();
      calls++;
      elapsed = cpuMs() - start;
    } while (prepare === undefined && elapsed < MIN_SAMPLE_MS);
    min = Math.min(min, elapsed / calls);
  }
  return min;
}

/**
 * For work of a few µs a call, where the best of samples still moves by a third from one spell of the
 * machine to the next: the mean CPU time per call of each piece, the pieces called in turn one call at
 * a time, so that any spell, collection or compilation falls on all of them alike.
 */
export async function meanInterleaved(
  calls: number,
  works: readonly (() => Promise<unknown>)[],
): Promise<number[]> {
  const sums = works.map(() => 0);
  for (let i = 0; i < calls; i++) {
    for (const [k, work] of works.entries()) {
      const start = cpuMs();
      await work();
      sums[k] = (sums[k] as number) + cpuMs() - start;
    }
  }
  return sums.map((sum) => sum / calls);
}

/** Heap in use after a full collection (needs `--expose-gc`; otherwise as it is), in bytes. */
export function heapUsed(): number {
  collect?.();
  return process.memoryUsage().heapUsed;
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
 * Service `h` of registry `r` in a mesh whose clusters all serve the same hostnames: two ports,
 * an account, labels and `endpoints` endpoints (the last one unhealthy), valid for the snapshot schema.
 */
export function meshService(h: number, r: number, endpoints: number): Service {
  const { resolution: _, ...service } = benchService(h, r);
  const account = `spiffe://cluster.local/ns/ns-${h % 50}/sa/svc-${h}`;
  return {
    ...service,
    labels: { app: `svc-${h}` },
    endpoints: Array.from({ length: endpoints }, (_, e) => ({
      address: `172.${16 + (r % 16)}.${((h * endpoints + e) >> 8) & 255}.${(h * endpoints + e) & 255}`,
      port: 8080,
      portName: 'http',
      labels: { app: `svc-${h}`, version: `v${e}` },
      locality: `region-${r}/zone-${e}`,
      serviceAccount: account,
      ...(e === endpoints - 1 && endpoints > 1 ? { healthy: false } : {}),
    })),
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
