// bench-flags: --expose-gc --single-threaded-gc
/**
 * The query routes' rows of issue 12, in-process against the memory store, each printed as a ratio to a
 * baseline measured in the same run (best of several runs):
 *  - warm GET /services with gzip / br vs the same request uncompressed, 20k services (target <= 1.5x;
 *    cached pages of ~20 µs a request, so the mean of calls taken in turn, not the best of samples);
 *  - GET /services warm read after a status-only change vs a full build (target <= 0.05x);
 *  - GET /services/{hostname} after a change vs a full build (target <= 0.05x), after a status-only
 *    change and after one of 100 registries pushed;
 *  - brotli at the chosen quality vs gzip (cost and size), the reason for the quality;
 *  - heap held by the query functions' caches at 100 registries x 2,000 services.
 * "A full build" is what every request cost before the cache: aggregateServices plus JSON.stringify.
 * Timings are CPU time (best of several, the heap collected before each), so a shared machine's other
 * work does not land in them.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { aggregateServices } from '#lib/aggregate.ts';
import type { Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { BROTLI_QUALITY, GZIP_LEVEL } from '../functions/query/encoding.ts';
import { httpEvent, lambdaContext } from '../test/helpers/http-event.ts';
import { benchService, bestOfAsync, heapUsed, meanInterleaved, row } from './fixtures.ts';

process.env.READER_TOKEN = 'reader-token-for-the-bench-0123456789';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.TABLE_NAME ??= 'bench';
const { makeHandler: servicesHandler } = await import('../functions/query/get-services.ts');
const { makeHandler: serviceHandler } = await import('../functions/query/get-service.ts');

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const token = process.env.READER_TOKEN;

function services(registry: number, count: number, hostnames: number, salt = 0): Service[] {
  const out: Service[] = [];
  for (let i = 0; i < count; i++) {
    const h = (i * 7 + registry * 13) % hostnames;
    // The salt moves the address, so a re-push changes the services it touches.
    out.push({
      ...benchService(h, registry),
      address: `10.${registry & 255}.${(h >> 8) & 255}.${(h + salt) & 255}`,
    });
  }
  return out;
}

const best = (work: () => unknown) => bestOfAsync(RUNS, async () => work());

async function get(
  handler: ReturnType<typeof servicesHandler>,
  path: string,
  headers: Record<string, string> = {},
  pathParameters?: Record<string, string>,
) {
  const route = pathParameters ? '/services/{hostname}' : path;
  const result = await handler(
    httpEvent({ route, path, token, headers, ...(pathParameters ? { pathParameters } : {}) }),
    lambdaContext(),
  );
  if (typeof result !== 'object' || result.statusCode !== 200)
    throw new Error(`status ${JSON.stringify(result).slice(0, 200)}`);
  return result;
}

// Row 1: 20k unclustered services in 10 registries.
{
  const store = new MemoryRegistryStore();
  for (let r = 0; r < 10; r++) {
    await store.putRegistry(`r${r}`, {});
    await store.putSnapshot(`r${r}`, services(r, 2_000, 2_000));
  }
  const handler = servicesHandler({ store });
  await get(handler, '/services');
  await get(handler, '/services', { 'accept-encoding': 'gzip' });
  await get(handler, '/services', { 'accept-encoding': 'br' });
  // Each is a cached page (tens of µs a request): called in turn, one call at a time.
  const [identity, gzip, br] = (await meanInterleaved(5_000, [
    () => get(handler, '/services'),
    () => get(handler, '/services', { 'accept-encoding': 'gzip' }),
    () => get(handler, '/services', { 'accept-encoding': 'br' }),
  ])) as [number, number, number];
  row('warm GET /services gzip vs identity, 20k services', gzip / identity, 1.5);
  row('warm GET /services br vs identity, 20k services', br / identity, 1.5);
  row('warm GET /services br (*, br, gzip clients) vs identity', br / identity);

  const body = Buffer.from(((await get(handler, '/services')).body as string) ?? '');
  let gz = Buffer.alloc(0);
  let bz = Buffer.alloc(0);
  const gzipMs = await best(() => {
    gz = gzipSync(body, { level: GZIP_LEVEL });
  });
  const brMs = await best(() => {
    bz = brotliCompressSync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
  });
  row(`brotli q${BROTLI_QUALITY} vs gzip ${GZIP_LEVEL}: compression time (once per view)`, brMs / gzipMs, 1);
  row(`brotli q${BROTLI_QUALITY} vs gzip ${GZIP_LEVEL}: compressed size`, bz.length / gz.length);
  console.log(`  (20k services: ${body.length} bytes identity, ${gz.length} gzip, ${bz.length} br)`);
}

// Rows 2 and 3: 100 clustered registries x 2,000 services from 4,000 hostnames.
{
  const store = new MemoryRegistryStore();
  const inputs: { registry: { name: string; clusterId: string }; services: Service[] }[] = [];
  for (let r = 0; r < 100; r++) {
    await store.putRegistry(`cluster-${r}`, { clusterId: `cluster-${r}` });
    const list = services(r, 2_000, 4_000);
    await store.putSnapshot(`cluster-${r}`, list);
    inputs.push({ registry: { name: `cluster-${r}`, clusterId: `cluster-${r}` }, services: list });
  }
  const fullBuild = await best(() => JSON.stringify({ revision: 1, ...aggregateServices(inputs) }));

  // Each route is a function of its own in AWS: each cache's heap is measured alone.
  const heapBefore = heapUsed();
  const handler = servicesHandler({ store });
  await get(handler, '/services');
  const servicesHeap = heapUsed() - heapBefore;
  const one = serviceHandler({ store });
  const hostname = 'svc-7.ns-7.svc.cluster.local';
  const hostPath = `/services/${hostname}`;
  await get(one, hostPath, {}, { hostname });
  const serviceHeap = heapUsed() - heapBefore - servicesHeap;

  const incarnation = (await store.getRegistry('cluster-5'))?.incarnation ?? '';
  let flip = false;
  const statusChange = async () => {
    flip = !flip;
    await store.recordRefresh('cluster-5', {
      incarnation,
      checkedAt: new Date().toISOString(),
      ...(flip ? { error: 'timeout' } : {}),
    });
  };
  // A status-only change then the read; the change itself is outside the timing.
  const timedAfter = (change: () => Promise<unknown>, read: () => Promise<unknown>) =>
    bestOfAsync(RUNS, read, change);
  const afterStatus = await timedAfter(statusChange, () => get(handler, '/services'));
  row(
    'warm GET /services after a status-only change vs a full build (100 x 2,000)',
    afterStatus / fullBuild,
    0.05,
  );
  const hostAfterStatus = await timedAfter(statusChange, () => get(one, hostPath, {}, { hostname }));
  row(
    'GET /services/{hostname} after a status-only change vs a full build',
    hostAfterStatus / fullBuild,
    0.05,
  );
  // A push that moves ten of the registry's 2,000 services (a typical deploy), not all of them.
  let salt = 0;
  const base = services(5, 2_000, 4_000);
  const push = async () => {
    salt++;
    const moved = services(5, 10, 4_000, salt);
    await store.putSnapshot('cluster-5', [...moved, ...base.slice(10)]);
  };
  const hostAfterPush = await timedAfter(push, () => get(one, hostPath, {}, { hostname }));
  row(
    'GET /services/{hostname} after 1 of 100 registries pushed vs a full build',
    hostAfterPush / fullBuild,
    0.05,
  );
  const readAfterPush = await timedAfter(push, () => get(handler, '/services'));
  row(
    'warm GET /services after 1 of 100 registries pushed (10 moved) vs a full build',
    readAfterPush / fullBuild,
  );
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  console.log(
    `  (full build ${fullBuild.toFixed(1)} ms CPU; heap at 100 x 2,000: GET /services' cache ~${mib(servicesHeap)} MiB, ` +
      `GET /services/{hostname}'s ~${mib(serviceHeap)} MiB)`,
  );
}
