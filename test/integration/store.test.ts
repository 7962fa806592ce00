import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { DynamoRegistryStore } from '#store/dynamodb-store.ts';
import { RegistryNotFoundError, StaleGenerationError } from '#store/errors.ts';
import { MergedViewCache } from '../../functions/query/merged-view.ts';
import { chunkKeys, type TestTable, withTestTables } from '../helpers/dynamodb.ts';

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
    endpoints: Array.from({ length: withEndpoints }, (_, e) => ({
      address: `10.1.${e}.${i & 255}`,
      port: 8080,
      // Random pod ids, as real clusters have: they keep gzip honest.
      labels: { app: `svc-${i}`, pod: `svc-${i}-${randomBytes(9).toString('hex')}` },
    })),
  }));

describe('registries', () => {
  test('are listed in the order of first creation, and an update keeps the position', async () => {
    await store.putRegistry('b', {});
    await store.putRegistry('a', { clusterId: 'c1' });
    const update = await store.putRegistry('b', { clusterId: 'c2' });
    const list = await store.listRegistries();
    assert.equal(update.created, false);
    assert.deepEqual(
      list.registries.map((r) => [r.name, r.clusterId]),
      [
        ['b', 'c2'],
        ['a', 'c1'],
      ],
    );
  });

  test('deleted and created again go to the end', async () => {
    await store.putRegistry('a', {});
    await store.putRegistry('b', {});
    assert.equal(await store.deleteRegistry('a'), true);
    await store.putRegistry('a', {});
    const list = await store.listRegistries();
    assert.deepEqual(
      list.registries.map((r) => r.name),
      ['b', 'a'],
    );
  });

  test('every change bumps the revision, and an identical PUT does not', async () => {
    const r0 = (await store.listRegistries()).revision;
    await store.putRegistry('a', { provider: 'Kubernetes' });
    const r1 = (await store.listRegistries()).revision;
    await store.putRegistry('a', { provider: 'Kubernetes' });
    const r2 = (await store.listRegistries()).revision;
    await store.putSnapshot('a', services(1, 'x'));
    const r3 = (await store.listRegistries()).revision;
    assert.ok(r1 > r0);
    assert.equal(r2, r1);
    assert.ok(r3 > r2);
  });

  test('deleting an unknown registry says so', async () => {
    assert.equal(await store.deleteRegistry('nope'), false);
  });
});

describe('snapshots', () => {
  test('get the next generation when the client gives none', async () => {
    await store.putRegistry('a', {});
    const first = await store.putSnapshot('a', services(2, 'g1'));
    const second = await store.putSnapshot('a', services(3, 'g2'));
    assert.deepEqual([first.generation, second.generation], [1, 2]);
    assert.equal(second.serviceCount, 3);
  });

  test('with a generation not newer than the stored one are rejected and change nothing', async () => {
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(2, 'g5'), 5);
    const before = await store.listRegistries();
    await assert.rejects(store.putSnapshot('a', services(1, 'g5b'), 5), StaleGenerationError);
    await assert.rejects(store.putSnapshot('a', services(1, 'g4'), 4), StaleGenerationError);
    const afterwards = await store.listRegistries();
    assert.equal(afterwards.revision, before.revision);
    assert.equal(afterwards.registries[0]?.snapshot?.generation, 5);
    assert.equal((await chunkKeys(table, 'a')).length, before.registries[0]?.snapshot?.chunkCount);
  });

  test('for an unknown registry are rejected', async () => {
    await assert.rejects(store.putSnapshot('ghost', services(1, 'x')), RegistryNotFoundError);
  });

  test('far over the 400 KB item limit are chunked and read back whole', async () => {
    await store.putRegistry('big', { clusterId: 'c1' });
    const big = services(5_000, 'g1', 8);
    const written = await store.putSnapshot('big', big);
    const [record] = (await store.listRegistries()).registries;
    assert.ok(record?.snapshot);
    const loaded = await store.loadSnapshots([record.snapshot]);
    console.log(
      `# 5,000 services: ${(record.snapshot.jsonBytes / 1e6).toFixed(2)} MB JSON, ` +
        `${(record.snapshot.storedBytes / 1e3).toFixed(0)} KB stored in ${record.snapshot.chunkCount} chunks`,
    );
    assert.equal(written.serviceCount, 5_000);
    assert.ok(record.snapshot.jsonBytes > 400 * 1024 * 4);
    assert.ok(record.snapshot.storedBytes > 400 * 1024, 'the compressed snapshot alone exceeds one item');
    assert.ok(record.snapshot.chunkCount > 1, 'expected several chunks');
    assert.deepEqual(loaded.get(record.snapshot.id), big);
  });

  test('superseded chunks are removed once the new snapshot is in place', async () => {
    const small = new DynamoRegistryStore(table.documents, table.name, { chunkBytes: 256 });
    await small.putRegistry('a', {});
    await small.putSnapshot('a', services(200, 'g1'));
    await small.putSnapshot('a', services(100, 'g2'));
    const [record] = (await small.listRegistries()).registries;
    const keys = await chunkKeys(table, 'a');
    assert.ok(record?.snapshot && record.snapshot.chunkCount > 1);
    assert.equal(keys.length, record.snapshot.chunkCount);
    assert.ok(keys.every((key) => key.startsWith(`${record.snapshot?.id}#`)));
  });

  test('are deleted with their registry', async () => {
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(10, 'g1'));
    await store.deleteRegistry('a');
    assert.deepEqual(await chunkKeys(table, 'a'), []);
  });

  test('a write interrupted before its pointer flip leaves the old snapshot served and its orphans swept', async () => {
    const sweeping = new DynamoRegistryStore(table.documents, table.name, { orphanGraceMs: 0 });
    await sweeping.putRegistry('a', {});
    await sweeping.putSnapshot('a', services(3, 'g1'));
    // Interrupt: write the chunks of a new snapshot but never flip (what a crash in between leaves).
    const writeChunks = (
      sweeping as unknown as { writeChunks(n: string, id: string, c: Uint8Array[]): Promise<void> }
    ).writeChunks.bind(sweeping);
    await writeChunks('a', 'orphan-snapshot', [new Uint8Array([1, 2, 3])]);
    const view = new MergedViewCache(sweeping);
    const served = JSON.parse((await view.current()).json);
    assert.deepEqual(
      served.services.map((s: Service) => s.labels?.generation),
      ['g1', 'g1', 'g1'],
    );
    await sweeping.putSnapshot('a', services(1, 'g2'));
    const keys = await chunkKeys(table, 'a');
    assert.ok(!keys.some((key) => key.startsWith('orphan-snapshot#')));
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
        reads++;
      }
    });
    await Promise.all([writer, ...readers]);
    console.log(`# ${reads} reads during 15 replacements, each from a single generation`);
    assert.ok(reads > 0);
  });
});

describe('merged view', () => {
  test('a warm query when nothing changed costs one DynamoDB request', async () => {
    await store.putRegistry('c1', { clusterId: 'cluster-1' });
    await store.putRegistry('c2', { clusterId: 'cluster-2' });
    await store.putSnapshot('c1', services(50, 'a'));
    await store.putSnapshot('c2', services(50, 'b'));
    const view = new MergedViewCache(store);
    const cold = await view.current();
    const before = table.requests();
    const warm = await view.current();
    assert.equal(table.requests() - before, 1);
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
    const before = table.requests();
    const fresh = JSON.parse((await view.current()).json);
    assert.equal(table.requests() - before, 2, 'one Query and one BatchGetItem');
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
