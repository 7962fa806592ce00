/**
 * What only the DynamoDB store can show (the rules both stores share are in store-contract.test.ts):
 * chunking past the item limit, the bytes and requests each path costs, TTL and GC markers, atomic
 * replacement under concurrent readers, and a view that survives an unreadable snapshot.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Service } from '#lib/types.ts';
import { decodeEntries, revisionItems, toMeta, toStoredView } from '#store/dynamodb/history.ts';
import { DynamoRegistryStore } from '#store/dynamodb/index.ts';
import { currentViewKey, metaKey } from '#store/dynamodb/keys.ts';
import { MergedViewCache } from '../../functions/query/merged-view.ts';
import { scanAll, storedChunks, type TestTable, withTestTables } from '../helpers/dynamodb.ts';

let table: TestTable;
let store: DynamoRegistryStore;

withTestTables((created) => {
  table = created;
  store = new DynamoRegistryStore(table.documents, table.name);
});

const services = (count: number, tag: string, withEndpoints = 0): Service[] =>
  Array.from({ length: count }, (_, i) => ({
    hostname: `svc-${i}.default.svc.cluster.local`,
    address: `10.0.${(i >> 8) & 255}.${i & 255}`,
    ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
    labels: { generation: tag },
    ...(withEndpoints > 0
      ? {
          endpoints: Array.from({ length: withEndpoints }, (_, e) => ({
            address: `10.1.${e}.${i & 255}`,
            port: 8080,
            // Random pod ids, as real clusters have: they keep the compression honest.
            labels: { app: `svc-${i}`, pod: `svc-${i}-${randomBytes(9).toString('hex')}` },
          })),
        }
      : {}),
  }));

const uuidOf = (id: string | undefined) => id?.split('.')[0] ?? assert.fail('no snapshot id');

/** The DynamoDB requests (and their consumed-capacity-free count) one call makes. */
async function requestsOf<T>(call: () => Promise<T>): Promise<{ result: T; requests: number }> {
  const before = table.requests();
  const result = await call();
  return { result, requests: table.requests() - before };
}

describe('snapshots on DynamoDB', () => {
  test('far over the 400 KB item limit are chunked and read back whole', async () => {
    await store.putRegistry('big', { clusterId: 'c1' });
    const big = services(5_000, 'g1', 8);
    const written = await store.putSnapshot('big', big);
    const record = await store.getRegistry('big');
    const id = record?.snapshot?.id ?? assert.fail('no snapshot');
    const chunks = (await storedChunks(table)).get(uuidOf(id)) ?? [];
    const loaded = await store.loadSnapshots([id], { endpoints: true });
    const json = Buffer.byteLength(JSON.stringify(big));
    console.log(
      `# 5,000 services × 8 endpoints: ${(json / 1e6).toFixed(2)} MB JSON in ${chunks.length} chunks`,
    );
    assert.equal(written.serviceCount, 5_000);
    assert.ok(json > 400 * 1024 * 4);
    assert.ok(chunks.length > 1, 'expected several chunks');
    assert.deepEqual(loaded.get(id), big);
  });

  for (const [codec, suffix, compress] of [
    ['gzip', '', (text: string) => gzipSync(text)],
    ['brotli', '.br', (text: string) => brotliCompressSync(text)],
  ] as const) {
    test(`a snapshot an earlier version stored as ${codec} (id suffix "${suffix}") reads back whole`, async () => {
      // Prepare: a zstd snapshot's chunks, replaced by one chunk each as that version wrote them
      await store.putRegistry('old', { clusterId: 'c1' });
      const stored = services(300, 'g1', 2);
      await store.putSnapshot('old', stored);
      const id = (await store.getRegistry('old'))?.snapshot?.id ?? assert.fail('no snapshot');
      assert.match(id, /\.zst$/);
      const uuid = uuidOf(id);
      for (const [sk, value] of [
        ['S#0000', stored.map(({ endpoints: _endpoints, ...service }) => service)],
        ['E#0000', stored.map((service) => service.endpoints ?? null)],
      ] as const) {
        await table.documents.send(
          new PutCommand({
            TableName: table.name,
            Item: { pk: `SNAPSHOT#${uuid}`, sk, data: compress(JSON.stringify(value)) },
          }),
        );
      }
      const oldId = `${uuid}.1.1${suffix}`;

      // Act
      const loaded = await store.loadSnapshots([oldId], { endpoints: true });
      const bare = await store.loadSnapshots([oldId]);

      // Assess
      assert.deepEqual(loaded.get(oldId), stored);
      assert.equal(bare.get(oldId)?.length, 300);
    });
  }

  test('without endpoints, a load reads at most half the bytes of the whole snapshot', async () => {
    await store.putRegistry('big', { clusterId: 'c1' });
    await store.putSnapshot('big', services(5_000, 'g1', 8));
    const id = (await store.getRegistry('big'))?.snapshot?.id ?? assert.fail('no snapshot');
    const bytes = new Map<string, number>();
    for (const item of await scanAll(table)) {
      if (String(item.pk) !== `SNAPSHOT#${uuidOf(id)}`) continue;
      const part = String(item.sk).slice(0, 1);
      bytes.set(part, (bytes.get(part) ?? 0) + (item.data as Uint8Array).length);
    }
    const servicesOnly = bytes.get('S') ?? 0;
    const whole = servicesOnly + (bytes.get('E') ?? 0);
    const bare = await store.loadSnapshots([id]);
    console.log(
      `# services view reads ${servicesOnly} of ${whole} stored bytes (${((100 * servicesOnly) / whole).toFixed(0)}%)`,
    );
    assert.ok(servicesOnly <= whole / 2);
    assert.equal(bare.get(id)?.length, 5_000);
    assert.ok(bare.get(id)?.every((service) => service.endpoints === undefined));
  });

  test('an ingest whose chunks fit one batch costs 3 requests: BatchGet, BatchWrite, TransactWrite', async () => {
    await store.putRegistry('a', {});
    const { requests } = await requestsOf(() => store.putSnapshot('a', services(5_000, 'g1')));
    assert.equal(requests, 3);
  });

  test('started from startSnapshotWrite (the ingest-token check), an ingest costs no read of its own', async () => {
    await store.putRegistry('a', {}, { ingestTokenDigest: 'd1' });
    const start = await store.startSnapshotWrite('a');
    const { requests } = await requestsOf(() =>
      store.putSnapshot('a', services(5_000, 'g1'), { start, ingestTokenDigest: 'd1' }),
    );
    assert.equal(requests, 2);
  });

  test('a token rotated between the check and the flip: the flip is refused and its chunks removed', async () => {
    const small = new DynamoRegistryStore(table.documents, table.name, { chunkBytes: 256 });
    await small.putRegistry('a', {}, { ingestTokenDigest: 'd1' });
    await small.putSnapshot('a', services(50, 'g1'));
    const current = uuidOf((await small.getRegistry('a'))?.snapshot?.id);
    const start = await small.startSnapshotWrite('a');
    await small.setIngestTokenDigest('a', 'd2');
    await assert.rejects(
      small.putSnapshot('a', services(200, 'g2'), { start, ingestTokenDigest: 'd1' }),
      (error: Error) => error.name === 'IngestTokenChangedError',
    );
    assert.equal(uuidOf((await small.getRegistry('a'))?.snapshot?.id), current);
    assert.deepEqual([...(await storedChunks(table)).keys()], [current]);
    assert.deepEqual(
      (await scanAll(table)).filter((item) => item.pk === 'GC'),
      [],
      'no pending marker left',
    );
  });

  test('a superseded snapshot keeps its chunks for the retention and leaves a GC marker', async () => {
    const small = new DynamoRegistryStore(table.documents, table.name, { chunkBytes: 256 });
    await small.putRegistry('a', {});
    await small.putSnapshot('a', services(200, 'g1'));
    const old = uuidOf((await small.getRegistry('a'))?.snapshot?.id);
    await small.putSnapshot('a', services(100, 'g2'));
    const current = uuidOf((await small.getRegistry('a'))?.snapshot?.id);
    const markers = (await scanAll(table)).filter((item) => item.pk === 'GC');
    const before = await storedChunks(table);
    await small.sweep(new Date(Date.now() + 3_601_000));
    const after = await storedChunks(table);
    assert.deepEqual(
      markers.map((marker) => [String(marker.snapshotId).split('.')[0], marker.kind]),
      [[old, 'superseded']],
    );
    assert.deepEqual([...before.keys()].sort(), [old, current].sort());
    assert.deepEqual([...after.keys()], [current]);
  });

  test('are removed with their registry once the retention has passed', async () => {
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(10, 'g1'));
    await store.deleteRegistry('a');
    const retained = await storedChunks(table);
    await store.sweep(new Date(Date.now() + 3_601_000));
    assert.equal(retained.size, 1);
    assert.deepEqual(await storedChunks(table), new Map());
    assert.deepEqual(
      (await scanAll(table)).filter((item) => item.pk === 'GC'),
      [],
      'no marker left',
    );
  });

  test('concurrent pushes with the same explicit generation: one wins, the others leave no chunks behind', async () => {
    await store.putRegistry('a', {});
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) => store.putSnapshot('a', services(20, `p${i}`), { generation: 7 })),
    );
    const current = uuidOf((await store.getRegistry('a'))?.snapshot?.id);
    assert.deepEqual(
      outcomes
        .map((outcome) => (outcome.status === 'fulfilled' ? 'stored' : (outcome.reason as Error).name))
        .sort(),
      ['StaleGenerationError', 'StaleGenerationError', 'StaleGenerationError', 'stored'],
    );
    assert.deepEqual([...(await storedChunks(table)).keys()], [current]);
    assert.deepEqual(
      (await scanAll(table)).filter((item) => item.pk === 'GC'),
      [],
    );
  });

  test('are replaced atomically: concurrent readers see one generation at a time', async () => {
    const small = new DynamoRegistryStore(table.documents, table.name, { chunkBytes: 2048 });
    await small.putRegistry('a', { clusterId: 'c1' });
    await small.putSnapshot('a', services(300, 'g0'));
    let writing = true;
    const writer = (async () => {
      for (let g = 1; g <= 15; g++) await small.putSnapshot('a', services(300, `g${g}`));
      writing = false;
    })();
    let reads = 0;
    const readers = Array.from({ length: 3 }, async () => {
      const view = new MergedViewCache(small);
      while (writing) {
        const body = JSON.parse((await view.current()).json);
        const tags = new Set(body.services.map((s: Service) => s.labels?.generation));
        assert.equal(tags.size, 1, `mixed generations in one read: ${[...tags].join(', ')}`);
        assert.equal(body.services.length, 300);
        assert.deepEqual(body.errors, []);
        reads++;
      }
    });
    await Promise.all([writer, ...readers]);
    console.log(`# ${reads} reads during 15 replacements, each from a single generation, none failed`);
    assert.ok(reads > 0);
  });

  test('an unreadable snapshot is reported in errors and the other registries are served', async () => {
    await store.putRegistry('broken', { clusterId: 'c1' });
    await store.putRegistry('fine', { clusterId: 'c2' });
    await store.putSnapshot('broken', services(3, 'lost'));
    await store.putSnapshot('fine', services(2, 'kept'));
    const lost = uuidOf((await store.getRegistry('broken'))?.snapshot?.id);
    await table.documents.send(
      new DeleteCommand({ TableName: table.name, Key: { pk: `SNAPSHOT#${lost}`, sk: 'S#0000' } }),
    );
    const body = JSON.parse((await new MergedViewCache(store).current()).json);
    assert.deepEqual(
      body.services.map((s: Service) => s.labels?.generation),
      ['kept', 'kept'],
    );
    assert.deepEqual(
      body.errors.map((e: { registry: string }) => e.registry),
      ['broken'],
    );
  });
});

describe('history on DynamoDB', () => {
  test('the table deletes superseded revisions by TTL on expiresAt', async () => {
    const ttl = await table.client.send(new DescribeTimeToLiveCommand({ TableName: table.name }));
    assert.deepEqual(
      [ttl.TimeToLiveDescription?.AttributeName, ttl.TimeToLiveDescription?.TimeToLiveStatus],
      ['expiresAt', 'ENABLED'],
    );
  });

  test('a superseded revision expires at the end of the retention after it was superseded', async () => {
    // A day ahead: DynamoDB Local runs TTL deletion, and an expiresAt in the past would vanish under us.
    const start = Math.ceil(Date.now() / 86_400_000) * 86_400_000 + 86_400_000;
    let clock = start;
    const timed = new DynamoRegistryStore(table.documents, table.name, {
      historyRetentionSeconds: 120,
      now: () => new Date(clock),
    });
    await timed.putRegistry('a', {});
    clock += 5_000;
    await timed.putRegistry('b', {});
    const revisions = (await scanAll(table)).filter((item) => String(item.sk).startsWith('REV#'));
    const first = revisions.find((item) => item.revision === 1);
    assert.deepEqual(
      [first?.supersededAt, first?.expiresAt],
      [new Date(start + 5_000).toISOString(), (start + 125_000) / 1000],
    );
  });
});

describe('the merged view on DynamoDB', () => {
  test('a cold query costs two requests; a warm one when nothing changed, one, of the meta item only', async () => {
    await store.putRegistry('c1', { clusterId: 'cluster-1' });
    await store.putRegistry('c2', {
      clusterId: 'cluster-2',
      source: { type: 'http', url: 'https://x.example.com' },
    });
    await store.putSnapshot('c1', services(50, 'a'));
    await store.putSnapshot('c2', services(50, 'b'));
    const view = new MergedViewCache(store);
    const { result: cold, requests: coldRequests } = await requestsOf(() => view.current());
    assert.equal(
      coldRequests,
      2,
      'a cold query: the view item (it carries the revision) and one BatchGetItem',
    );
    assert.equal(JSON.parse(cold.json).revision, (await store.currentRevision()).revision);
    const { result: warm, requests } = await requestsOf(() => view.current());
    assert.equal(requests, 1);
    assert.equal(warm, cold);
  });

  test('after one registry changes, only its new snapshot is fetched', async () => {
    await store.putRegistry('c1', { clusterId: 'cluster-1' });
    await store.putRegistry('c2', { clusterId: 'cluster-2' });
    await store.putSnapshot('c1', services(5, 'a'));
    await store.putSnapshot('c2', services(5, 'b'));
    const view = new MergedViewCache(store);
    await view.current();
    await store.putSnapshot('c2', services(6, 'c'));
    const { result, requests } = await requestsOf(() => view.current());
    const fresh = JSON.parse(result.json);
    assert.equal(requests, 3, 'the meta item, the view item and one BatchGetItem of the new chunks');
    assert.equal(fresh.services.length, 6);
    assert.deepEqual(fresh.services[0].clusterVIPs, { 'cluster-1': '10.0.0.0', 'cluster-2': '10.0.0.0' });
  });

  test('a deleted registry leaves the merged view at once', async () => {
    await store.putRegistry('c1', { clusterId: 'cluster-1' });
    await store.putSnapshot('c1', services(5, 'a'));
    const view = new MergedViewCache(store);
    assert.equal(JSON.parse((await view.current()).json).services.length, 5);
    await store.deleteRegistry('c1');
    assert.equal(JSON.parse((await view.current()).json).services.length, 0);
  });
});

const getItem = async (key: { pk: string; sk: string }) =>
  (await table.documents.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true })))
    .Item;

/**
 * A writer reads the meta item and the current view item with one BatchGet, which DynamoDB does not
 * isolate from transactions: it may see another writer's new meta revision next to the view item from
 * before that writer's transaction. Committing entries computed from that stale view would drop the
 * other writer's accepted change (seen as a lost push in test/e2e/faults.test.ts). The transaction
 * must refuse it.
 */
test("a write computed from a view item older than the meta item is refused, so no other registry's change is lost", async () => {
  // Prepare: two registries; the view item as it was before b's push (what a torn read returns).
  const store = new DynamoRegistryStore(table.documents, table.name);
  await store.putRegistry('a', {});
  await store.putRegistry('b', {});
  await store.putSnapshot('a', [{ hostname: 'a.example.com' }]);
  const staleView = toStoredView(await getItem(currentViewKey()));
  await store.putSnapshot('b', [{ hostname: 'b.example.com' }]);
  const freshMeta = toMeta(await getItem(metaKey()));
  assert.ok(staleView && freshMeta && staleView.revision === freshMeta.revision - 1);

  // Act: commit entries computed from the stale view under the fresh meta revision.
  const entries = decodeEntries(staleView.entries);
  const items = revisionItems(
    { client: table.documents, name: table.name },
    { meta: freshMeta, view: staleView },
    { entries, now: Date.now(), retentionMs: 60_000 },
  );
  const attempt = table.documents.send(new TransactWriteCommand({ TransactItems: items as never }));

  // Assess: refused, and b's snapshot is still in the view.
  await assert.rejects(attempt, (error: Error) => error.name === 'TransactionCanceledException');
  const state = await store.viewState();
  assert.equal(state.registries.find((entry) => entry.name === 'b')?.snapshot?.generation, 1);
});
