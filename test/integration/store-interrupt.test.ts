/**
 * Snapshot writes interrupted by real failures, not by calling internals: an SDK middleware makes the
 * database "go away" at a chosen request (a connection reset, as when the process dies or the network
 * drops). Whatever point the write reached — between its chunks and its pointer flip, in the middle of
 * its chunks, right after the flip — readers see the old snapshot or the new one, complete, and the
 * chunks nobody points at are removed: at once when the database is reachable for the cleanup, else
 * by the sweep of a later write.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { DynamoRegistryStore } from '#store/dynamodb-store.ts';
import { StoreUnavailableError } from '#store/errors.ts';
import { MergedViewCache } from '../../functions/query/merged-view.ts';
import { chunkKeys, type TestTable, withTestTables } from '../helpers/dynamodb.ts';

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

async function chunkIds(registry: string): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const key of await chunkKeys(table, registry)) {
    const id = key.slice(0, key.lastIndexOf('#'));
    ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  return ids;
}

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
    const before = await chunkIds('a');
    // Only the flip is lost (a connection reset); the cleanup that follows gets through.
    fault = (operation) => (operation === 'flip' ? 'once' : undefined);
    await expectUnavailable(store.putSnapshot('a', services(SIZE, 'g2')));
    heal();
    assert.deepEqual(await served(store), { tags: ['g1'], count: SIZE, generation: 1 });
    assert.deepEqual(await chunkIds('a'), before, 'the interrupted write left chunks behind');
    console.log(
      `# flip lost: ${[...before.values()][0]} chunks of the old snapshot kept, the new chunks removed at once`,
    );
  });

  test('the flip is applied but its answer is lost: the snapshot it installed stays readable', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, { chunkBytes: CHUNK_BYTES });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    fault = (operation) => (operation === 'flip' ? 'lose-answer' : undefined);
    const outcome = await store.putSnapshot('a', services(SIZE, 'g2'), 2).then(
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

  test('dies between the chunks and the flip, database gone: old snapshot served; the next write sweeps the orphans', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceMs: 0,
    });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    fault = (operation) => (operation === 'flip' ? 'die' : undefined);
    await expectUnavailable(store.putSnapshot('a', services(SIZE, 'g2')));
    heal();
    const afterCrash = await chunkIds('a');
    assert.equal(afterCrash.size, 2, 'the old snapshot and the orphaned new one');
    assert.deepEqual(await served(store), { tags: ['g1'], count: SIZE, generation: 1 });
    await store.putSnapshot('a', services(SIZE, 'g3'));
    const afterSweep = await chunkIds('a');
    assert.equal(afterSweep.size, 1, 'only the current snapshot is left');
    assert.deepEqual(await served(store), { tags: ['g3'], count: SIZE, generation: 2 });
    console.log(
      `# database gone before the flip: ${[...afterCrash.values()].join(' + ')} chunks after the crash, ` +
        `${[...afterSweep.values()].join('')} after the next write`,
    );
  });

  test('dies in the middle of the chunk batches: nothing visible; the next write sweeps the partial chunks', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceMs: 0,
    });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    const chunksPerSnapshot = [...(await chunkIds('a')).values()][0] ?? 0;
    assert.ok(chunksPerSnapshot > 25, `${chunksPerSnapshot} chunks: more than one batch`);
    seen = [];
    fault = (operation, index) => (operation === 'put-chunks' && index === 2 ? 'die' : undefined);
    await expectUnavailable(store.putSnapshot('a', services(SIZE, 'g2')));
    heal();
    const partial = await chunkIds('a');
    assert.equal(partial.size, 2);
    assert.deepEqual(await served(store), { tags: ['g1'], count: SIZE, generation: 1 });
    await store.putSnapshot('a', services(SIZE, 'g3'));
    assert.equal((await chunkIds('a')).size, 1);
    assert.deepEqual(await served(store), { tags: ['g3'], count: SIZE, generation: 2 });
    console.log(
      `# died after 1 of ${Math.ceil(chunksPerSnapshot / 25)} chunk batches: ${[...partial.values()].join(' + ')} chunks, then swept`,
    );
  });

  test('dies right after the flip, before the sweep: the new snapshot is served whole; the old one is swept later', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceMs: 0,
    });
    await store.putRegistry('a', {});
    await store.putSnapshot('a', services(SIZE, 'g1'));
    // The flip goes through; the database dies at the first request after it (the sweep's query).
    let flipped = false;
    fault = (operation) => {
      if (flipped) return 'die';
      if (operation === 'flip') flipped = true;
      return undefined;
    };
    // The write itself is complete: whether it reports success depends on the cleanup being best-effort.
    const outcome = await store.putSnapshot('a', services(SIZE, 'g2')).then(
      (write) => `answered ${JSON.stringify(write)}`,
      (error: unknown) => `failed with ${(error as Error).name}`,
    );
    heal();
    assert.deepEqual(await served(store), { tags: ['g2'], count: SIZE, generation: 2 });
    assert.equal((await chunkIds('a')).size, 2, 'the superseded snapshot is still there');
    await store.putSnapshot('a', services(SIZE, 'g3'));
    assert.equal((await chunkIds('a')).size, 1);
    console.log(
      `# died after the flip: the write ${outcome}; g2 served whole, the old chunks swept by the next write`,
    );
  });

  test('readers during a write that dies mid-way always see one whole snapshot', async () => {
    const store = new DynamoRegistryStore(table.documents, table.name, {
      chunkBytes: CHUNK_BYTES,
      orphanGraceMs: 0,
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
