// bench-flags: --expose-gc --max-semi-space-size=51
/**
 * The handlers on the DynamoDB store (DynamoDB Local), against hand-written floors in the same run,
 * with the requests, capacity and bytes they read (issue 12):
 *  - warm GET /services, nothing changed, 100 registries with Kubernetes sources (a CA bundle, a token
 *    reference, namespaces, an ingest-token digest): 1 read of one item ≤ 4 KB, ≤ 1.5× a bare GetItem;
 *  - cold GET /services, 10 registries × 5,000 services with endpoints: ≤ 1.3× a floor (Query of the
 *    registries + BatchGet of the service chunks + decompressing them, as stored, + JSON.parse), bytes
 *    read ≤ 0.5× the full snapshots' (service and endpoint chunks);
 *  - PUT /registries/{name}/snapshot of 5,000 services: ≤ 2× a floor (gzip of the body as received +
 *    BatchWrite of its chunks + one TransactWrite), ≤ 3 DynamoDB requests on the request path.
 * Wall-clock (the work waits on DynamoDB Local): best of several samples taken in turn, or for the
 * warm requests the median of many, one of each at a time.
 */
// First: the environment the handler modules read when they load.
import './handler-env.ts';
import { randomBytes } from 'node:crypto';
import { brotliDecompressSync, gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { parseJson } from '#http/body.ts';
import { startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import { IncrementalMerge } from '#lib/incremental-merge.ts';
import { registryBodySchemaFor } from '#lib/registry-schema.ts';
import { parseWith, snapshotBodySchema } from '#lib/schemas.ts';
import { secretRulesFor } from '#lib/source-schema.ts';
import { encodeEntries } from '#store/dynamodb/history.ts';
import {
  chunkKey,
  chunkKeys,
  currentViewKey,
  metaKey,
  parseSnapshotId,
  REGISTRY_PARTITION,
  registryKey,
} from '#store/dynamodb/keys.ts';
import { batchGet, batchWrite, putRequest } from '#store/dynamodb/sdk.ts';
import { CHUNK_BYTES } from '#store/dynamodb/snapshots.ts';
import type { RegistrySettings } from '#store/port.ts';
import { MergedParts } from '../functions/query/view.ts';
import { httpEvent, lambdaContext } from '../test/helpers/http-event.ts';
import {
  bestWall,
  type MeteredTable,
  medianInterleaved,
  meteredTable,
  type Reading,
} from './dynamodb-meter.ts';
import { countRow, meshService, row } from './fixtures.ts';

const { makeHandler: servicesHandler } = await import('../functions/query/get-services.ts');
const { makeHandler: snapshotHandler } = await import('../functions/ingest/put-snapshot.ts');
const { newIngestToken } = await import('../functions/http/ingest-token.ts');

const READER = process.env.READER_TOKEN as string;
const ADMIN = process.env.ADMIN_TOKEN as string;
/**
 * Samples of each cold read and push (best of): they are a tenth of a second or less each, and the
 * push, with more than twice the floor's CPU time, is the one a busy spell of the machine slows most.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** Calls of each warm read (median of): a few milliseconds each. */
const WARM_CALLS = 700;
type Handler = (event: unknown, context: unknown) => Promise<{ statusCode?: number; body?: string }>;

async function ok(handler: Handler, event: unknown): Promise<void> {
  const result = await handler(event, lambdaContext());
  if (result.statusCode !== 200)
    throw new Error(`status ${result.statusCode}: ${result.body?.slice(0, 200)}`);
}

const describe = (reading: Reading) =>
  `${reading.requests} request${reading.requests === 1 ? '' : 's'} (${reading.commands.join(', ')}), ` +
  `${reading.capacity} capacity units, ${Math.round(reading.bytes / 1024)} KiB read`;

/** A kubeconfig-sized CA bundle: base64 of PEM text. */
function caBundle(bytes: number): string {
  const body = randomBytes(bytes)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return Buffer.from(`-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`).toString('base64');
}

const registrySettings = registryBodySchemaFor(secretRulesFor('dev'));
const snapshotSchema = snapshotBodySchema();
function kubernetesRegistry(r: number): RegistrySettings {
  const parsed = parseWith(registrySettings, {
    clusterId: `cluster-${r}`,
    provider: 'Kubernetes',
    network: `net-${r % 4}`,
    description: `cluster ${r} of the bench fleet`,
    source: {
      type: 'kubernetes',
      server: `https://k8s-${r}.internal.example:6443`,
      token: { fromSsm: `/aggregate-registry/dev/sources/cluster-${r}-token` },
      caData: caBundle(4_096),
      namespaces: Array.from({ length: 20 }, (_, n) => `team-${n}`),
    },
    refreshSeconds: 30,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

const local = await startDynamoDbLocal();
try {
  await warmRead(await meteredTable(local));
  await coldRead(await meteredTable(local));
  await ingest(await meteredTable(local));
} finally {
  await local.stop();
}

async function warmRead({ table, store, reading, reset }: MeteredTable): Promise<void> {
  for (let r = 0; r < 100; r++) {
    await store.putRegistry(`cluster-${r}`, kubernetesRegistry(r), {
      ingestTokenDigest: newIngestToken(`cluster-${r}`).digestHex,
    });
    await store.putSnapshot(
      `cluster-${r}`,
      Array.from({ length: 20 }, (_, h) => meshService(h, r, 0)),
    );
  }
  const handler = servicesHandler({ store }) as unknown as Handler;
  const event = () => httpEvent({ route: '/services', path: '/services', token: READER });
  await ok(handler, event());
  reset();
  await ok(handler, event());
  const warm = reading();
  const registryItems = await table.client.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': REGISTRY_PARTITION },
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  const bare = () =>
    table.client.send(new GetCommand({ TableName: table.name, Key: metaKey(), ConsistentRead: true }));
  const [handlerMs, bareMs] = (await medianInterleaved(WARM_CALLS, [() => ok(handler, event()), bare])) as [
    number,
    number,
  ];
  countRow(
    `warm GET /services, nothing changed, 100 Kubernetes registries: DynamoDB requests (${describe(warm)})`,
    warm.requests,
    1,
  );
  countRow(
    'warm GET /services, nothing changed: capacity units (1 = one strongly consistent read ≤ 4 KB)',
    warm.capacity,
    1,
  );
  row(
    'warm GET /services, nothing changed, 100 Kubernetes registries, vs a bare GetItem of the meta item',
    handlerMs / bareMs,
    1.5,
  );
  console.log(
    `  (median ${(handlerMs * 1000).toFixed(0)} µs a request, bare GetItem ${(bareMs * 1000).toFixed(0)} µs; ` +
      `the registry items the read leaves alone: ${registryItems.ConsumedCapacity?.CapacityUnits} capacity units to Query)`,
  );
}

async function coldRead({ table, store, reading, reset }: MeteredTable): Promise<void> {
  const REGISTRIES = 10;
  const SERVICES = 5_000;
  for (let r = 0; r < REGISTRIES; r++) {
    await store.putRegistry(`cluster-${r}`, { clusterId: `cluster-${r}`, provider: 'Kubernetes' });
    await store.putSnapshot(
      `cluster-${r}`,
      Array.from({ length: SERVICES }, (_, h) => meshService(h, r, 3)),
    );
  }
  const event = () => httpEvent({ route: '/services', path: '/services', token: READER });
  const cold = () => ok(servicesHandler({ store }) as unknown as Handler, event());
  // The floor: find the snapshots, read their service chunks, decompress and parse them. Nothing else.
  const floor = async () => {
    const found = await table.client.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': REGISTRY_PARTITION },
        ProjectionExpression: '#snapshot',
        ExpressionAttributeNames: { '#snapshot': 'snapshot' },
        ConsistentRead: true,
      }),
    );
    const layouts = (found.Items ?? []).map((item) => parseSnapshotId(String(item.snapshot?.id)));
    const keys = layouts.flatMap((layout) => (layout ? chunkKeys(layout, ['S']) : []));
    const items = await batchGet(table, keys, { consistent: false });
    const data = new Map(items.map((item) => [`${item.pk}|${item.sk}`, item.data as Uint8Array]));
    let parsed = 0;
    for (const layout of layouts) {
      if (!layout) continue;
      const chunks = chunkKeys(layout, ['S']).map((key) => data.get(`${key.pk}|${key.sk}`) as Uint8Array);
      const packed = Buffer.concat(chunks);
      const inflated =
        layout.codec === 'zstd'
          ? zstdDecompressSync(packed)
          : layout.codec === 'br'
            ? brotliDecompressSync(packed)
            : gunzipSync(packed);
      const text = inflated.toString('utf8');
      parsed += (JSON.parse(text) as unknown[]).length;
    }
    if (parsed !== REGISTRIES * SERVICES) throw new Error(`the floor parsed ${parsed} services`);
  };
  reset();
  await cold();
  const handlerRead = reading();
  const ids = (await store.listRegistries()).map((record) => record.snapshot?.id ?? '');
  reset();
  await batchGet(
    table,
    ids.flatMap((id) => {
      const layout = parseSnapshotId(id);
      return layout ? chunkKeys(layout) : [];
    }),
    { consistent: false },
  );
  const whole = reading();
  const [handlerMs, floorMs] = (await bestWall(RUNS, [cold, floor])) as [number, number];
  row(
    `cold GET /services, ${REGISTRIES} × ${SERVICES.toLocaleString('en')} services with endpoints, vs Query + BatchGet + decompress + parse`,
    handlerMs / floorMs,
    1.3,
  );
  row(
    `cold GET /services, bytes read vs the full snapshots' (${describe(handlerRead)}; whole snapshots ${Math.round(whole.bytes / 1024)} KiB)`,
    handlerRead.bytes / whole.bytes,
    0.5,
  );
  // What the view costs beyond the floor's reads: the merge and the page of the decoded snapshots.
  let buildMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    const loaded = await store.loadSnapshots(ids);
    const inputs = ids.map((id, r) => ({
      registry: { name: `cluster-${r}`, clusterId: `cluster-${r}` },
      services: loaded.get(id) ?? [],
    }));
    const start = performance.now();
    const parts = new MergedParts(
      new IncrementalMerge().update(inputs),
      new Set(inputs.map((i) => i.registry.name)),
    );
    parts.joined();
    buildMs = Math.min(buildMs, performance.now() - start);
  }
  row(
    'cold GET /services: merging and serialising the decoded snapshots alone vs the floor',
    buildMs / floorMs,
  );
  console.log(`  (cold read ${handlerMs.toFixed(0)} ms, floor ${floorMs.toFixed(0)} ms)`);
}

async function ingest({ table, store, reading, reset }: MeteredTable): Promise<void> {
  const SERVICES = 5_000;
  const { token, digestHex } = newIngestToken('cluster-0');
  for (let r = 0; r < 10; r++) {
    await store.putRegistry(
      `cluster-${r}`,
      { clusterId: `cluster-${r}` },
      r === 0 ? { ingestTokenDigest: digestHex } : {},
    );
  }
  const body = JSON.stringify({ services: Array.from({ length: SERVICES }, (_, h) => meshService(h, 0, 3)) });
  const handler = snapshotHandler({ store }) as unknown as Handler;
  const event = (bearer: string) =>
    httpEvent({
      method: 'PUT',
      route: '/registries/{name}/snapshot',
      path: '/registries/cluster-0/snapshot',
      pathParameters: { name: 'cluster-0' },
      token: bearer,
      body,
    });
  await ok(handler, event(ADMIN));
  reset();
  await ok(handler, event(ADMIN));
  const asAdmin = reading();
  reset();
  await ok(handler, event(token));
  const asRegistry = reading();

  const state = await store.viewState();
  const registry = await table.client.send(
    new GetCommand({ TableName: table.name, Key: registryKey('cluster-0'), ConsistentRead: true }),
  );
  let revision = 1_000_000;
  // The floor: the body as received, gzipped, its chunks written, one transaction to point at them.
  const floor = async () => {
    const packed = gzipSync(body);
    const uuid = crypto.randomUUID();
    const chunks = [];
    for (let offset = 0, i = 0; offset < packed.length; offset += CHUNK_BYTES, i++) {
      chunks.push(
        putRequest({ ...chunkKey(uuid, 'S', i), data: packed.subarray(offset, offset + CHUNK_BYTES) }),
      );
    }
    await batchWrite(table, chunks);
    revision++;
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table.name, Item: { ...metaKey(), revision } } },
          {
            Put: {
              TableName: table.name,
              Item: { ...currentViewKey(), revision, entries: encodeEntries(state.registries) },
            },
          },
          { Put: { TableName: table.name, Item: { ...registry.Item, snapshotUuid: uuid } } },
        ],
      }),
    );
  };
  // Where the push's time goes besides the floor's: the body's checks and parse, and the schema.
  const value = parseJson(body);
  const [handlerMs, floorMs, parseMs, schemaMs] = (await bestWall(RUNS, [
    () => ok(handler, event(ADMIN)),
    floor,
    async () => parseJson(body),
    async () => parseWith(snapshotSchema, value),
  ])) as [number, number, number, number];
  row(
    `PUT snapshot of ${SERVICES.toLocaleString('en')} services (${(body.length / 1e6).toFixed(1)} MB) vs gzip + BatchWrite + one TransactWrite`,
    handlerMs / floorMs,
    2,
  );
  countRow(
    `PUT snapshot, DynamoDB requests on the request path, admin token (${describe(asAdmin)})`,
    asAdmin.requests,
    3,
  );
  countRow(
    `PUT snapshot, DynamoDB requests on the request path, the registry's ingest token (${describe(asRegistry)})`,
    asRegistry.requests,
    3,
  );
  row('PUT snapshot: the body checks and JSON.parse alone vs the floor', parseMs / floorMs);
  row('PUT snapshot: the snapshot schema (zod) alone vs the floor', schemaMs / floorMs);
  console.log(`  (push ${handlerMs.toFixed(0)} ms, floor ${floorMs.toFixed(0)} ms)`);
}
