/**
 * One contract, two stores: every rule of the RegistryStore port (functions/store/port.ts) asserted
 * against the in-memory twin and against the DynamoDB store on DynamoDB Local, so handler tests that
 * use the memory store test what production does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { DynamoRegistryStore } from '#store/dynamodb/index.ts';
import {
  GenerationLimitError,
  IngestTokenChangedError,
  RegistryNotFoundError,
  RevisionExpiredError,
  RevisionNotFoundError,
  SettingsTooLargeError,
  StaleGenerationError,
} from '#store/errors.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import type { RegistryStore } from '#store/port.ts';
import { withTestTables } from '../helpers/dynamodb.ts';

interface StoreOptions {
  historyRetentionSeconds?: number;
  now?: () => Date;
}

const RETENTION_SECONDS = 600;
// In the future: DynamoDB Local runs TTL deletion, and history stamped in the past would vanish under
// the test.
const START = Math.ceil(Date.now() / 86_400_000) * 86_400_000 + 86_400_000;

const services = (count: number, tag: string, endpoints = 0): Service[] =>
  Array.from({ length: count }, (_, i) => ({
    hostname: `svc-${i}.${tag}.svc.cluster.local`,
    address: `10.0.0.${i}`,
    ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
    ...(endpoints > 0
      ? {
          endpoints: Array.from({ length: endpoints }, (_, e) => ({ address: `10.1.${i}.${e}`, port: 8080 })),
        }
      : {}),
  }));

const source = { type: 'http' as const, url: 'https://registry.example.com/snapshot' };

export function storeContract(name: string, makeStore: (options: StoreOptions) => RegistryStore): void {
  describe(`the ${name} store`, () => {
    let clock = START;
    const advance = (seconds: number) => {
      clock += seconds * 1000;
    };
    const at = () => new Date(clock);
    const fresh = () => {
      clock = START;
      return makeStore({ historyRetentionSeconds: RETENTION_SECONDS, now: at });
    };
    const revisionOf = async (store: RegistryStore) => (await store.currentRevision()).revision;
    const incarnationOf = async (store: RegistryStore, registry: string) =>
      (await store.getRegistry(registry))?.incarnation ?? assert.fail(`no registry ${registry}`);

    describe('registries', () => {
      test('are listed in registration order, and an update keeps its place', async () => {
        const store = fresh();
        await store.putRegistry('b', {});
        await store.putRegistry('a', { clusterId: 'c1' });
        const update = await store.putRegistry('b', { clusterId: 'c2' });
        const listed = await store.listRegistries();
        assert.equal(update.created, false);
        assert.deepEqual(
          listed.map((r) => [r.name, r.clusterId]),
          [
            ['b', 'c2'],
            ['a', 'c1'],
          ],
        );
      });

      test('deleted and created again go to the end with a new incarnation', async () => {
        const store = fresh();
        const first = await store.putRegistry('a', {});
        await store.putRegistry('b', {});
        await store.deleteRegistry('a');
        const again = await store.putRegistry('a', {});
        assert.equal(again.created, true);
        assert.notEqual(again.record.incarnation, first.record.incarnation);
        assert.deepEqual(
          (await store.listRegistries()).map((r) => r.name),
          ['b', 'a'],
        );
      });

      test('an identical PUT changes nothing, not even the revision', async () => {
        const store = fresh();
        await store.putRegistry('a', { provider: 'Kubernetes' });
        const revision = await revisionOf(store);
        const before = await store.getRegistry('a');
        advance(5);
        const again = await store.putRegistry('a', { provider: 'Kubernetes' });
        assert.equal(again.created, false);
        assert.equal(await revisionOf(store), revision);
        assert.deepEqual(await store.getRegistry('a'), before);
      });

      test('a description change is stored and records no revision', async () => {
        const store = fresh();
        await store.putRegistry('a', { clusterId: 'c1' });
        const revision = await revisionOf(store);
        await store.putRegistry('a', { clusterId: 'c1', description: 'the east cluster' });
        assert.equal((await store.getRegistry('a'))?.description, 'the east cluster');
        assert.equal(await revisionOf(store), revision);
      });

      test('a clusterId, provider or network change records a revision each', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        const revisions = [await revisionOf(store)];
        for (const settings of [{ clusterId: 'c1' }, { clusterId: 'c1', provider: 'Kubernetes' }]) {
          await store.putRegistry('a', settings);
          revisions.push(await revisionOf(store));
        }
        await store.putRegistry('a', { clusterId: 'c1', provider: 'Kubernetes', network: 'net-1' });
        revisions.push(await revisionOf(store));
        const [r0, r1, r2, r3] = revisions as [number, number, number, number];
        assert.deepEqual([r1 - r0, r2 - r1, r3 - r2], [1, 1, 1]);
        assert.equal((await store.viewState()).registries[0]?.network, 'net-1');
      });

      test('a delete removes the registry and records a revision; an unknown one answers false', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        const revision = await revisionOf(store);
        assert.equal(await store.deleteRegistry('a'), true);
        assert.equal(await store.deleteRegistry('a'), false);
        assert.equal(await store.getRegistry('a'), null);
        assert.equal(await revisionOf(store), revision + 1);
        assert.deepEqual((await store.viewState()).registries, []);
      });

      test('settings that would not fit one stored item are refused and nothing is stored', async () => {
        const store = fresh();
        const huge = { description: 'x'.repeat(450 * 1024) };
        await assert.rejects(store.putRegistry('a', huge), SettingsTooLargeError);
        assert.equal(await store.getRegistry('a'), null);
        assert.equal(await revisionOf(store), 0);
      });

      test('converted to push-only (no source), a registry forgets its refresh errors', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        const incarnation = await incarnationOf(store, 'a');
        for (let i = 0; i < 2; i++) {
          await store.recordRefresh('a', { incarnation, checkedAt: at().toISOString(), error: 'HTTP 500' });
        }
        const failing = await revisionOf(store);
        await store.putRegistry('a', {});
        const record = await store.getRegistry('a');
        assert.deepEqual(
          [record?.lastError, record?.lastErrorAt, record?.failures],
          [undefined, undefined, undefined],
        );
        assert.equal(await revisionOf(store), failing + 1, 'the error left the view');
      });

      test('the ingest-token digest is kept at creation, rotated, and gone with its registry', async () => {
        const store = fresh();
        await store.putRegistry('a', {}, { ingestTokenDigest: 'd1' });
        const created = await store.getIngestTokenDigest('a');
        const rotated = await store.setIngestTokenDigest('a', 'd2');
        const afterRotation = await store.getIngestTokenDigest('a');
        await store.deleteRegistry('a');
        assert.deepEqual(
          [created, rotated, afterRotation, await store.getIngestTokenDigest('a')],
          ['d1', true, 'd2', null],
        );
        assert.equal(await store.setIngestTokenDigest('a', 'd3'), false);
      });

      test('a settings update keeps the ingest-token digest', async () => {
        const store = fresh();
        await store.putRegistry('a', {}, { ingestTokenDigest: 'd1' });
        await store.putRegistry('a', { clusterId: 'c1' }, { ingestTokenDigest: 'ignored' });
        assert.equal(await store.getIngestTokenDigest('a'), 'd1');
      });

      test('records handed out are copies: changing them changes nothing stored', async () => {
        const store = fresh();
        const { record } = await store.putRegistry('a', { clusterId: 'c1' });
        record.clusterId = 'mutated';
        const listed = await store.listRegistries();
        (listed[0] as { clusterId?: string }).clusterId = 'mutated too';
        assert.equal((await store.getRegistry('a'))?.clusterId, 'c1');
      });
    });

    describe('snapshots', () => {
      test('get the next generation when the client gives none', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        const first = await store.putSnapshot('a', services(2, 'g1'));
        const second = await store.putSnapshot('a', services(3, 'g2'));
        assert.deepEqual(
          [first, second],
          [
            { registry: 'a', generation: 1, serviceCount: 2 },
            { registry: 'a', generation: 2, serviceCount: 3 },
          ],
        );
      });

      test('with a generation not newer than the stored one are refused and change nothing', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await store.putSnapshot('a', services(2, 'g5'), { generation: 5 });
        const revision = await revisionOf(store);
        await assert.rejects(
          store.putSnapshot('a', services(1, 'x'), { generation: 5 }),
          StaleGenerationError,
        );
        await assert.rejects(
          store.putSnapshot('a', services(1, 'x'), { generation: 4 }),
          StaleGenerationError,
        );
        assert.equal(await revisionOf(store), revision);
        assert.equal((await store.getRegistry('a'))?.snapshot?.generation, 5);
      });

      test("started from startSnapshotWrite, which reads the registry's token digest, land as any write", async () => {
        const store = fresh();
        await store.putRegistry('a', {}, { ingestTokenDigest: 'd1' });
        await store.putRegistry('b', {});
        const starts = await Promise.all(['a', 'b', 'ghost'].map((name) => store.startSnapshotWrite(name)));
        const [start] = starts;
        const written = await store.putSnapshot('a', services(2, 'g1'), {
          ...(start ? { start } : {}),
          ingestTokenDigest: 'd1',
        });
        assert.deepEqual(
          starts.map((s) => [s.registry, s.ingestTokenDigest]),
          [
            ['a', 'd1'],
            ['b', null],
            ['ghost', null],
          ],
        );
        assert.deepEqual(written, { registry: 'a', generation: 1, serviceCount: 2 });
        assert.equal((await store.viewState()).registries[0]?.snapshot?.generation, 1);
      });

      test('authorised by an ingest token rotated since the start are refused and change nothing', async () => {
        const store = fresh();
        await store.putRegistry('a', {}, { ingestTokenDigest: 'd1' });
        await store.putSnapshot('a', services(1, 'g1'));
        const start = await store.startSnapshotWrite('a');
        await store.setIngestTokenDigest('a', 'd2');
        const revision = await revisionOf(store);
        await assert.rejects(
          store.putSnapshot('a', services(2, 'g2'), { start, ingestTokenDigest: 'd1' }),
          IngestTokenChangedError,
        );
        await assert.rejects(
          store.putSnapshot('a', services(2, 'g2'), { ingestTokenDigest: 'd1' }),
          IngestTokenChangedError,
        );
        assert.equal(await revisionOf(store), revision);
        assert.equal((await store.getRegistry('a'))?.snapshot?.generation, 1);
      });

      test('for an unknown registry are refused', async () => {
        const store = fresh();
        await assert.rejects(store.putSnapshot('ghost', services(1, 'x')), RegistryNotFoundError);
      });

      test('at the largest generation a registry takes no newer snapshot', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await store.putSnapshot('a', services(1, 'x'), { generation: Number.MAX_SAFE_INTEGER });
        const revision = await revisionOf(store);
        await assert.rejects(store.putSnapshot('a', services(1, 'y')), GenerationLimitError);
        assert.equal(await revisionOf(store), revision);
        assert.equal((await store.getRegistry('a'))?.snapshot?.generation, Number.MAX_SAFE_INTEGER);
      });

      test('an explicit generation past the largest one is refused as a limit', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await assert.rejects(
          store.putSnapshot('a', services(1, 'x'), { generation: Number.MAX_SAFE_INTEGER + 1 }),
          GenerationLimitError,
        );
        assert.equal((await store.getRegistry('a'))?.snapshot, null);
      });

      test('from a refresh of another incarnation are refused and stored nowhere', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        const old = await incarnationOf(store, 'a');
        await store.deleteRegistry('a');
        await store.putRegistry('a', { source });
        const revision = await revisionOf(store);
        await assert.rejects(
          store.putSnapshot('a', services(1, 'old'), {
            refresh: { incarnation: old, checkedAt: at().toISOString() },
          }),
          RegistryNotFoundError,
        );
        assert.equal((await store.getRegistry('a'))?.snapshot, null);
        assert.equal(await revisionOf(store), revision);
      });

      test('from a refresh record the check, clear the error and keep what was skipped', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        const incarnation = await incarnationOf(store, 'a');
        await store.recordRefresh('a', { incarnation, checkedAt: at().toISOString(), error: 'HTTP 500' });
        advance(60);
        const checkedAt = at().toISOString();
        const skipped = { count: 1, examples: ['service "x": hostname is not a DNS name'] };
        await store.putSnapshot('a', services(1, 'x'), {
          contentHash: 'h1',
          refresh: { incarnation, checkedAt, skipped },
        });
        const record = await store.getRegistry('a');
        assert.deepEqual(
          {
            checkedAt: record?.checkedAt,
            lastError: record?.lastError,
            failures: record?.failures,
            skipped: record?.skipped,
            contentHash: record?.snapshot?.contentHash,
          },
          { checkedAt, lastError: undefined, failures: undefined, skipped, contentHash: 'h1' },
        );
        assert.deepEqual((await store.viewState()).registries[0]?.skipped, skipped);
      });

      test('load with their endpoints only when asked', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        const stored = services(3, 'g1', 2);
        await store.putSnapshot('a', stored);
        const id = (await store.getRegistry('a'))?.snapshot?.id ?? assert.fail('no snapshot');
        const withEndpoints = await store.loadSnapshots([id], { endpoints: true });
        const bare = await store.loadSnapshots([id]);
        assert.deepEqual(withEndpoints.get(id), stored);
        assert.deepEqual(
          bare.get(id),
          stored.map(({ endpoints: _endpoints, ...service }) => service),
        );
      });

      test('an unknown snapshot is absent from the loaded map, the others load', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await store.putSnapshot('a', services(2, 'g1'));
        const id = (await store.getRegistry('a'))?.snapshot?.id ?? assert.fail('no snapshot');
        const unknown = '00000000-0000-4000-8000-000000000000.1.0';
        const loaded = await store.loadSnapshots([id, unknown, 'not-an-id']);
        assert.deepEqual([...loaded.keys()], [id]);
      });

      test('a replaced snapshot stays readable for the retention, and the sweep removes it after', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await store.putSnapshot('a', services(2, 'g1'));
        const old = (await store.getRegistry('a'))?.snapshot?.id ?? assert.fail('no snapshot');
        await store.putSnapshot('a', services(2, 'g2'));
        advance(RETENTION_SECONDS - 1);
        await store.sweep(at());
        const within = await store.loadSnapshots([old]);
        advance(2);
        const swept = await store.sweep(at());
        const after = await store.loadSnapshots([old]);
        assert.deepEqual([within.has(old), swept.removedSnapshots, after.has(old)], [true, 1, false]);
      });

      test("a deleted registry's snapshot is swept after the retention, a re-created one's is not", async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await store.putSnapshot('a', services(2, 'old'));
        const old = (await store.getRegistry('a'))?.snapshot?.id ?? assert.fail('no snapshot');
        await store.deleteRegistry('a');
        await store.putRegistry('a', {});
        await store.putSnapshot('a', services(2, 'new'));
        const current = (await store.getRegistry('a'))?.snapshot?.id ?? assert.fail('no snapshot');
        advance(RETENTION_SECONDS + 1);
        await store.sweep(at());
        const loaded = await store.loadSnapshots([old, current]);
        assert.deepEqual([loaded.has(old), loaded.has(current)], [false, true]);
      });

      test('the current snapshot is never swept, however old', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await store.putSnapshot('a', services(2, 'g1'));
        const id = (await store.getRegistry('a'))?.snapshot?.id ?? assert.fail('no snapshot');
        advance(10 * RETENTION_SECONDS);
        const swept = await store.sweep(at());
        assert.equal(swept.removedSnapshots, 0);
        assert.deepEqual((await store.loadSnapshots([id])).get(id), services(2, 'g1'));
      });
    });

    describe('refresh outcomes', () => {
      test('the same error twice records one revision', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        const incarnation = await incarnationOf(store, 'a');
        const revision = await revisionOf(store);
        await store.recordRefresh('a', { incarnation, checkedAt: at().toISOString(), error: 'HTTP 500' });
        advance(60);
        await store.recordRefresh('a', { incarnation, checkedAt: at().toISOString(), error: 'HTTP 500' });
        assert.equal(await revisionOf(store), revision + 1);
        assert.equal((await store.getRegistry('a'))?.lastErrorAt, at().toISOString());
      });

      test('an error cleared by a success records a revision', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        const incarnation = await incarnationOf(store, 'a');
        await store.recordRefresh('a', { incarnation, checkedAt: at().toISOString(), error: 'HTTP 500' });
        const failing = await revisionOf(store);
        await store.recordRefresh('a', { incarnation, checkedAt: at().toISOString() });
        assert.equal(await revisionOf(store), failing + 1);
        assert.equal((await store.viewState()).registries[0]?.lastError, undefined);
      });

      test('an unchanged success records the check times and no revision', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        await store.putSnapshot('a', services(1, 'x'));
        const incarnation = await incarnationOf(store, 'a');
        const revision = await revisionOf(store);
        advance(60);
        const checkedAt = at().toISOString();
        assert.equal(await store.recordRefresh('a', { incarnation, checkedAt }), true);
        const record = await store.getRegistry('a');
        assert.deepEqual([record?.checkedAt, record?.confirmedAt], [checkedAt, checkedAt]);
        assert.equal(await revisionOf(store), revision);
      });

      test('failures count failed refreshes in a row and a success resets them', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        const incarnation = await incarnationOf(store, 'a');
        const counts: (number | undefined)[] = [];
        for (const error of ['timeout', 'timeout', 'HTTP 502', undefined]) {
          await store.recordRefresh('a', {
            incarnation,
            checkedAt: at().toISOString(),
            ...(error ? { error } : {}),
          });
          counts.push((await store.getRegistry('a'))?.failures);
        }
        assert.deepEqual(counts, [1, 2, 3, undefined]);
      });

      test('for another incarnation or an unknown registry are refused and change nothing', async () => {
        const store = fresh();
        await store.putRegistry('a', { source });
        const old = await incarnationOf(store, 'a');
        await store.deleteRegistry('a');
        await store.putRegistry('a', { source });
        const before = await store.getRegistry('a');
        const outcome = { incarnation: old, checkedAt: at().toISOString(), error: 'HTTP 500' };
        assert.equal(await store.recordRefresh('a', outcome), false);
        assert.equal(await store.recordRefresh('ghost', outcome), false);
        assert.deepEqual(await store.getRegistry('a'), before);
      });
    });

    describe('freshness', () => {
      test('a registry past its max age turns stale once, with one revision', async () => {
        const store = fresh();
        await store.putRegistry('a', { maxAgeSeconds: 60 });
        await store.putRegistry('b', {});
        await store.putSnapshot('a', services(1, 'a'));
        await store.putSnapshot('b', services(1, 'b'));
        const revision = await revisionOf(store);
        advance(61);
        const first = await store.updateFreshness(at());
        const second = await store.updateFreshness(at());
        assert.deepEqual([first, second], [['a'], []]);
        assert.equal(await revisionOf(store), revision + 1);
        assert.deepEqual(
          (await store.viewState()).registries.map((entry) => [entry.name, entry.stale === true]),
          [
            ['a', true],
            ['b', false],
          ],
        );
      });

      test('a new snapshot clears stale, and the sweep leaves it cleared', async () => {
        const store = fresh();
        await store.putRegistry('a', { maxAgeSeconds: 60 });
        await store.putSnapshot('a', services(1, 'a'));
        advance(61);
        await store.updateFreshness(at());
        await store.putSnapshot('a', services(1, 'b'));
        const changed = await store.updateFreshness(at());
        assert.deepEqual(changed, []);
        assert.equal((await store.getRegistry('a'))?.stale, undefined);
      });

      test('a stale registry confirmed later is fresh again after the sweep', async () => {
        const store = fresh();
        await store.putRegistry('a', { maxAgeSeconds: 60 });
        await store.putSnapshot('a', services(1, 'a'));
        advance(61);
        await store.updateFreshness(at());
        // A stale flag set by one sweep and a snapshot confirmed since: the next sweep clears it.
        const incarnation = await incarnationOf(store, 'a');
        await store.recordRefresh('a', { incarnation, checkedAt: at().toISOString() });
        assert.equal((await store.getRegistry('a'))?.stale, undefined);
        assert.deepEqual(await store.updateFreshness(at()), []);
      });
    });

    describe('revisions', () => {
      test('start at 0 with an empty view', async () => {
        const store = fresh();
        const state = await store.viewState();
        assert.deepEqual([state.revision, state.registries, await revisionOf(store)], [0, [], 0]);
      });

      test('viewState(n) answers the entries of revision n after later changes', async () => {
        const store = fresh();
        await store.putRegistry('a', { clusterId: 'c1' });
        await store.putSnapshot('a', services(2, 'g1'));
        const then = await store.viewState();
        await store.putRegistry('b', {});
        await store.putSnapshot('a', services(3, 'g2'));
        await store.deleteRegistry('b');
        const past = await store.viewState(then.revision);
        assert.deepEqual(past, then);
        assert.equal((await store.viewState()).revision, then.revision + 3);
      });

      test('carry the registries in registration order without check times', async () => {
        const store = fresh();
        await store.putRegistry('z', { source });
        await store.putRegistry('a', {});
        const incarnation = await incarnationOf(store, 'z');
        await store.recordRefresh('z', { incarnation, checkedAt: at().toISOString(), error: 'boom' });
        const state = await store.viewState();
        assert.deepEqual(
          state.registries.map((entry) => entry.name),
          ['z', 'a'],
        );
        assert.deepEqual(state.registries[0], { name: 'z', position: 1, snapshot: null, lastError: 'boom' });
      });

      test('the current revision and its epoch agree with the view state, and the epoch stays', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        const first = await store.currentRevision();
        await store.putSnapshot('a', services(1, 'x'));
        const second = await store.currentRevision();
        const state = await store.viewState();
        assert.deepEqual(second, { epoch: first.epoch, revision: first.revision + 1 });
        assert.deepEqual([state.epoch, state.revision], [second.epoch, second.revision]);
      });

      test('a revision not reached yet is RevisionNotFoundError', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        await assert.rejects(store.viewState(2), RevisionNotFoundError);
      });

      test('a revision superseded longer ago than the retention is RevisionExpiredError', async () => {
        const store = fresh();
        await store.putRegistry('a', {});
        const old = await revisionOf(store);
        await store.putRegistry('b', {});
        advance(RETENTION_SECONDS - 1);
        const within = await store.viewState(old);
        advance(2);
        assert.equal(within.revision, old);
        await assert.rejects(store.viewState(old), RevisionExpiredError);
        assert.equal((await store.viewState(old + 1)).revision, old + 1, 'the current one never expires');
      });

      test('concurrent writers each get their revision and nothing is lost', async () => {
        const store = fresh();
        const names = Array.from({ length: 6 }, (_, i) => `r${i}`);
        await Promise.all(names.map((registry) => store.putRegistry(registry, {})));
        await Promise.all(names.map((registry) => store.putSnapshot(registry, services(1, registry))));
        const state = await store.viewState();
        assert.equal(state.revision, 12);
        assert.deepEqual(new Set(state.registries.map((entry) => entry.position)).size, 6);
        assert.ok(state.registries.every((entry) => entry.snapshot?.generation === 1));
      });
    });
  });
}

storeContract('in-memory', (options) => new MemoryRegistryStore(options));

describe('on DynamoDB Local', () => {
  const table = withTestTables();
  storeContract('DynamoDB', (options) => new DynamoRegistryStore(table().documents, table().name, options));
});
