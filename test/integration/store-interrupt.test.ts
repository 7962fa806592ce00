/**
 * Snapshot writes interrupted by real failures, not by calling internals: an SDK middleware makes the
 * database "go away" at a chosen request (a connection reset, as when the process dies or the network
 * drops). Whatever point the write reached — between its chunks and its pointer flip, in the middle of
 * its chunks, right after the flip — readers see the old snapshot or the new one, complete, and the
 * chunks nobody points at are removed: at once when the database is reachable for the cleanup, else
 * by the sweep once their grace period (never flipped) or retention (superseded) has passed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { DynamoRegistryStore } from '#store/dynamodb/index.ts';
import { StoreUnavailableError } from '#store/errors.ts';
import { MergedViewCache } from '../../functions/query/merged-view.ts';
import { scanAll, storedChunks, type TestTable, withTestTables } from '../helpers/dynamodb.ts';

let table: TestTable;

/**
 * Which request fails: `once` loses just that request (the SDK does not retry it: the fault is
 * injected before the retry layer); `lose-answer` lets it through to the database and loses the
 * answer (the write happened, the client cannot know); `die` also fails every request after it,
 * until `heal()`.
 */
type Operation = 'put-chunks' | 'flip' | 'delete-chunks' | 'other';
type Fault = (operation: Operation, index: number) => 'once' | 'die' | 'lose-answer' | undefined;
let fault: Fault | undefined;
let dead = false;
let seen: Operation[] = [];

withTestTables((created) => {
  table = created;
  fault = undefined;
  dead = false;
  seen = [];
  table.client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const target = request.headers?.['x-amz-target'] ?? '';
      const raw = request.body;
      const body =
        typeof raw === 'string' ? raw : raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : '';
      const operation: Operation = target.endsWith('.TransactWriteItems')
        ? 'flip'
        : target.endsWith('.BatchWriteItem')
          ? body.includes('"PutRequest"')
            ? 'put-chunks'
            : 'delete-chunks'
          : 'other';
      seen.push(operation);
      const verdict = dead ? 'die' : fault?.(operation, seen.filter((op) => op === operation).length);
      if (verdict === 'die') dead = true;
      const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      // The request reaches the database and is applied; only its answer is lost on the way back.
      if (verdict === 'lose-answer') {
        await next(args);
        throw reset();
      }
      if (verdict !== undefined) throw reset();
      return next(args);
    },
    { step: 'build', name: 'injectFault' },
  );
});

const heal = () => {
  dead = false;
  fault = undefined;
};

const services = (count: number, tag: string): Service[] =>
  Array.from({ length: count }, (_, i) => ({
    hostname: `svc-${i}.default.svc.cluster.local`,
    address: `10.0.${(i >> 8) & 255}.${i & 255}`,
    // Random filler, as real pod ids are: it keeps gzip from shrinking the snapshot to one chunk.
    labels: { generation: tag, filler: randomBytes(24).toString('hex') },
  }));

/** Stored snapshots (by uuid) and their chunk counts. */
async function chunkIds(): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const [uuid, keys] of await storedChunks(table)) ids.set(uuid, keys.length);
  return ids;
}

const gcMarkers = async () => (await scanAll(table)).filter((item) => item.pk === 'GC');

/** The sweep as the housekeeping function runs it, once the grace period of unflipped writes is over. */
const GRACE_SECONDS = 60;
const RETENTION_SECONDS = 3600;
const sweepAfter = (store: DynamoRegistryStore, seconds: number) =>
  store.sweep(new Date(Date.now() + (seconds + 1) * 1000));

/** What a reader gets: the generation tags of the served services (all one tag when whole). */
async function served(
  store: DynamoRegistryStore,
): Promise<{ tags: string[]; count: number; generation: number }> {
  const body = JSON.parse((await new MergedViewCache(store).current()).json);
  return {
    tags: [...new Set<string>(body.services.map((s: Service) => s.labels?.generation ?? '?'))],
    count: body.services.length,
    generation: body.registries[0]?.generation ?? 0,
  };
}

async function expectUnavailable(write: Promise<unknown>): Promise<void> {
  await assert.rejects(write, (error: unknown) => error instanceof StoreUnavailableError);
}

// Small chunks: a snapshot is dozens of items, written in several batches of 25.
const CHUNK_BYTES = 256;
const SIZE = 400;

describe('snapshot writes interrupted by a failing database', () => {
  test('dies between the chunks and the flip, cleanup possible: old snapshot served, new chunks removed at once', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, { chunkBytes: CHUNK_BYTES });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    const before = await chunkIds();
    // Only the flip is lost (a connection reset); the cleanup that follows gets through.
    fault = (operation) => (operation === 'flip' ? 'once' : undefined);
    await expectUnavailable(store.putSnapshot('a', services(SIZE, 'g2')));
    heal();
    assert.deepEqual(await served(store), { tags: ['g1'], count: SIZE, generation: 1 });
    assert.deepEqual(await chunkIds(), before, 'the interrupted write left chunks behind');
    assert.deepEqual(await gcMarkers(), [], 'nor its pending marker');
    console.log(
      `# flip lost: ${[...before.values()][0]} chunks of the old snapshot kept, the new chunks removed at once`,
    );
  });

  test('the flip is applied but its answer is lost: the snapshot it installed stays readable', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, { chunkBytes: CHUNK_BYTES });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    fault = (operation) => (operation === 'flip' ? 'lose-answer' : undefined);
    const outcome = await store.putSnapshot('a', services(SIZE, 'g2'), { generation: 2 }).then(
      (write) => `answered ${JSON.stringify(write)}`,
      (error: unknown) => `failed with ${(error as Error).name}`,
    );
    heal();
    // Whichever snapshot the pointer names must be whole: the write may not delete what it installed.
    const now = await served(store);
    assert.equal(now.count, SIZE, `after the lost answer (${outcome}): ${JSON.stringify(now)}`);
    assert.deepEqual(now.tags, [`g${now.generation}`]);
    console.log(`# flip applied, answer lost: the write ${outcome}; g${now.generation} served whole`);
  });

  test('dies between the chunks and the flip, database gone: old snapshot served; the sweep removes the orphans after the grace period', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceSeconds: GRACE_SECONDS,
    });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    fault = (operation) => (operation === 'flip' ? 'die' : undefined);
    await expectUnavailable(store.putSnapshot('a', services(SIZE, 'g2')));
    heal();
    const afterCrash = await chunkIds();
    assert.equal(afterCrash.size, 2, 'the old snapshot and the orphaned new one');
    assert.deepEqual(await served(store), { tags: ['g1'], count: SIZE, generation: 1 });
    await sweepAfter(store, 0);
    assert.equal((await chunkIds()).size, 2, 'within the grace period the write may still be in flight');
    await sweepAfter(store, GRACE_SECONDS);
    const afterSweep = await chunkIds();
    assert.equal(afterSweep.size, 1, 'only the current snapshot is left');
    assert.deepEqual(await gcMarkers(), []);
    await store.putSnapshot('a', services(SIZE, 'g3'));
    assert.deepEqual(await served(store), { tags: ['g3'], count: SIZE, generation: 2 });
    console.log(
      `# database gone before the flip: ${[...afterCrash.values()].join(' + ')} chunks after the crash, ` +
        `${[...afterSweep.values()].join('')} after the sweep`,
    );
  });

  test('dies in the middle of the chunk batches: nothing visible; the sweep removes the partial chunks after the grace period', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceSeconds: GRACE_SECONDS,
    });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    const chunksPerSnapshot = [...(await chunkIds()).values()][0] ?? 0;
    assert.ok(chunksPerSnapshot > 25, `${chunksPerSnapshot} chunks: more than one batch`);
    seen = [];
    fault = (operation, index) => (operation === 'put-chunks' && index === 2 ? 'die' : undefined);
    await expectUnavailable(store.putSnapshot('a', services(SIZE, 'g2')));
    heal();
    const partial = await chunkIds();
    assert.equal(partial.size, 2);
    assert.deepEqual(await served(store), { tags: ['g1'], count: SIZE, generation: 1 });
    await sweepAfter(store, GRACE_SECONDS);
    assert.equal((await chunkIds()).size, 1);
    assert.deepEqual(await gcMarkers(), []);
    await store.putSnapshot('a', services(SIZE, 'g3'));
    assert.deepEqual(await served(store), { tags: ['g3'], count: SIZE, generation: 2 });
    console.log(
      `# died after 1 of ${Math.ceil(chunksPerSnapshot / 25)} chunk batches: ${[...partial.values()].join(' + ')} chunks, then swept`,
    );
  });

  test('dies right after the flip: the new snapshot is served whole; the old one is kept for the retention, then swept', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceSeconds: GRACE_SECONDS,
    });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    // The flip goes through; the database dies at the first request after it.
    let flipped = false;
    fault = (operation) => {
      if (flipped) return 'die';
      if (operation === 'flip') flipped = true;
      return undefined;
    };
    // The flip is the write's last request: nothing after it can fail the write.
    const outcome = await store.putSnapshot('a', services(SIZE, 'g2')).then(
      (write) => `answered ${JSON.stringify(write)}`,
      (error: unknown) => `failed with ${(error as Error).name}`,
    );
    heal();
    assert.equal(outcome, 'answered {"registry":"a","generation":2,"serviceCount":400}');
    assert.deepEqual(await served(store), { tags: ['g2'], count: SIZE, generation: 2 });
    await sweepAfter(store, GRACE_SECONDS);
    assert.equal((await chunkIds()).size, 2, 'the superseded snapshot is kept for the history');
    await sweepAfter(store, RETENTION_SECONDS);
    assert.equal((await chunkIds()).size, 1);
    assert.deepEqual(await served(store), { tags: ['g2'], count: SIZE, generation: 2 });
    console.log(
      `# died after the flip: the write ${outcome}; g2 served whole, the old chunks swept after the retention`,
    );
  });

  test('readers during a write that dies mid-way always see one whole snapshot', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceSeconds: GRACE_SECONDS,
    });
    const reader = new DynamoRegistryStore(table.documents, table.name);
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g0'));
    let reads = 0;
    let writes = 0;
    for (let round = 1; round <= 6; round++) {
      // Alternate: die at a chunk batch, at the flip; or not at all.
      fault =
        round % 3 === 1
          ? (operation, index) => (operation === 'put-chunks' && index === 2 ? 'die' : undefined)
          : round % 3 === 2
            ? (operation) => (operation === 'flip' ? 'die' : undefined)
            : undefined;
      seen = [];
      const write = store.putSnapshot('a', services(SIZE, `g${round}`)).then(
        () => writes++,
        () => {},
      );
      const view = new MergedViewCache(reader);
      // Reads that fail (the database is "gone" for everybody) are skipped; successful ones must be whole.
      for (let i = 0; i < 5; i++) {
        const body = await view.current().then(
          (v) => JSON.parse(v.json),
          () => undefined,
        );
        if (body === undefined) continue;
        const tags = new Set(body.services.map((s: Service) => s.labels?.generation));
        assert.equal(tags.size, 1, `round ${round}: mixed generations ${[...tags].join(', ')}`);
        assert.equal(body.services.length, SIZE);
        reads++;
      }
      await write;
      heal();
    }
    const last = await served(store);
    assert.equal(last.count, SIZE);
    assert.equal(last.tags.length, 1);
    console.log(
      `# 6 writes (${writes} completed, ${6 - writes} died mid-way), ${reads} reads, each of one whole snapshot`,
    );
  });
});
