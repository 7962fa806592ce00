/**
 * The discovery routes at 10 clustered registries x 5,000 services x 3 endpoints (every registry serves
 * the same 5,000 hostnames, as clusters of one mesh do), in-process over the memory store:
 * - warm GET /services/{hostname}/endpoints handler time vs warm GET /services/{hostname} (target <= 2x),
 * - the endpoint index build vs aggregateServices of the same snapshots.
 * Ratios measured in one run (best of several), so the figures mean the same on any machine.
 */

import { aggregateServices } from '#lib/aggregate.ts';
import { buildEndpointIndex } from '#lib/endpoints.ts';
import type { RegistrySnapshot, Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { httpEvent, lambdaContext } from '../test/helpers/http-event.ts';
import { meshService } from './fixtures.ts';

process.env.READER_TOKEN = 'bench-reader';
process.env.ADMIN_TOKEN = 'bench-admin';
process.env.TABLE_NAME ??= 'bench-unused';
// The request log line would dominate a handler that answers in microseconds.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const REGISTRIES = 10;
const SERVICES = 5_000;
const ENDPOINTS = 3;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const REQUESTS = 2_000;
const TARGET = 2;

function hostname(h: number): string {
  return `svc-${h}.ns-${h % 50}.svc.cluster.local`;
}

function snapshotOf(r: number): Service[] {
  return Array.from({ length: SERVICES }, (_, h) => meshService(h, r, ENDPOINTS));
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

async function bestAsync(runs: number, work: () => Promise<void>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await work();
    min = Math.min(min, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return min;
}

// ---------------------------------------------------------------------------------------------------
// Index build vs aggregateServices, on the same decoded snapshots.

const snapshots: RegistrySnapshot[] = [];
for (let r = 0; r < REGISTRIES; r++) {
  snapshots.push({ registry: { name: `cluster-${r}`, clusterId: `cluster-${r}` }, services: snapshotOf(r) });
}
let sink = 0;
const aggregateMs = best(RUNS, () => {
  sink += aggregateServices(snapshots).services.length;
});
const indexMs = best(RUNS, () => {
  sink += buildEndpointIndex(snapshots).hasHostname(hostname(0)) ? 1 : 0;
});
const fullIndexMs = best(RUNS, () => {
  const index = buildEndpointIndex(snapshots);
  for (let h = 0; h < SERVICES; h++) sink += index.endpointsOf(hostname(h))?.length ?? 0;
});
const addressIndexMs = best(RUNS, () => {
  sink += buildEndpointIndex(snapshots).proxyServiceInstances('172.16.0.0').length;
});
const total = REGISTRIES * SERVICES * ENDPOINTS;
console.log(
  `endpoint index of ${REGISTRIES} registries x ${SERVICES} services x ${ENDPOINTS} endpoints (${total} endpoints): ` +
    `aggregateServices ${aggregateMs.toFixed(1)} ms`,
);
console.log(
  `  ratio index build (hostname map)/aggregateServices = ${(indexMs / aggregateMs).toFixed(2)}x (${indexMs.toFixed(1)} ms)`,
);
console.log(
  `  ratio index build + every hostname's endpoints/aggregateServices = ${(fullIndexMs / aggregateMs).toFixed(2)}x (${fullIndexMs.toFixed(1)} ms)`,
);
console.log(
  `  ratio address index (GET /workloads)/aggregateServices = ${(addressIndexMs / aggregateMs).toFixed(2)}x (${addressIndexMs.toFixed(1)} ms)`,
);

// ---------------------------------------------------------------------------------------------------
// Warm handlers over the memory store.

const store = new MemoryRegistryStore();
for (let r = 0; r < REGISTRIES; r++) {
  await store.putRegistry(`cluster-${r}`, { clusterId: `cluster-${r}` });
  await store.putSnapshot(`cluster-${r}`, snapshots[r]?.services ?? []);
}
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const endpoints = (await import('../functions/query/get-endpoints.ts')).makeHandler({
  store,
}) as unknown as Handler;
const serviceModule: Record<string, unknown> = await import('../functions/query/get-service.ts');
const service =
  typeof serviceModule.makeHandler === 'function'
    ? ((serviceModule.makeHandler as (deps: { store: MemoryRegistryStore }) => Handler)({ store }) as Handler)
    : undefined;

const context = lambdaContext('bench');
const request = (route: string, path: string, h: number) =>
  httpEvent({ route, path, pathParameters: { hostname: hostname(h) }, token: 'bench-reader' });
const endpointsOf = (h: number) =>
  request('/services/{hostname}/endpoints', `/services/${hostname(h)}/endpoints`, h);
const serviceOf = (h: number) => request('/services/{hostname}', `/services/${hostname(h)}`, h);

async function run(handler: Handler, eventOf: (h: number) => unknown, offset: number): Promise<void> {
  for (let i = 0; i < REQUESTS; i++) {
    const result = (await handler(eventOf((offset + i * 7) % SERVICES), context)) as { statusCode: number };
    if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}`);
  }
}

// Warm: the first request builds the view; each measured run asks other hostnames first (a warm
// instance that has not answered this hostname yet), then the same ones again (answers kept).
await run(endpoints, endpointsOf, 0);
let firstAsk = 0;
const endpointsFirstMs = await bestAsync(1, async () => {
  await run(endpoints, endpointsOf, 1 + firstAsk++);
});
const endpointsMs = await bestAsync(RUNS, () => run(endpoints, endpointsOf, 0));
console.log(
  `warm GET /services/{hostname}/endpoints (${REGISTRIES * ENDPOINTS} endpoints a hostname): ` +
    `${((endpointsMs * 1000) / REQUESTS).toFixed(1)} us a request; ` +
    `first ask of a hostname ${((endpointsFirstMs * 1000) / REQUESTS).toFixed(1)} us`,
);
if (service) {
  await run(service, serviceOf, 0);
  const serviceMs = await bestAsync(RUNS, () => run(service, serviceOf, 0));
  const ratio = endpointsMs / serviceMs;
  console.log(
    `  warm GET /services/{hostname}: ${((serviceMs * 1000) / REQUESTS).toFixed(1)} us a request; ` +
      `ratio endpoints/service = ${ratio.toFixed(2)}x (target <= ${TARGET}x) ${ratio <= TARGET ? 'OK' : 'OVER TARGET'}; ` +
      `first ask/service = ${(endpointsFirstMs / serviceMs).toFixed(2)}x`,
  );
} else {
  console.log(
    '  warm GET /services/{hostname}: get-service.ts has no makeHandler({store}) yet, ratio not measured',
  );
}
if (sink === 0) console.log('nothing measured');
