/**
 * The refresh against real local source servers and the in-memory store (the same port and contract
 * as DynamoDB): what a refresh stores and records, and how the scheduled refresh picks, orders, bounds
 * and backs off its work.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { staleAt } from '#lib/freshness.ts';
import type { RegistryRecord } from '#lib/registry.ts';
import type { Service } from '#lib/types.ts';
import { DynamoRegistryStore } from '#store/dynamodb/index.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import type { RegistryStore } from '#store/port.ts';
import { MergedViewCache } from '../../functions/query/merged-view.ts';
import { type RefreshDeps, refreshDue, refreshRegistry } from '../../functions/refresh/refresh.ts';
import { makeWorker, type WorkerAnswer } from '../../functions/refresh/worker.ts';
import { envSecretResolver } from '../../functions/sources/index.ts';
import { withTestTables } from '../helpers/dynamodb.ts';
import { sendJson, sendText, startServer } from './sources/helpers.ts';

let store: RegistryStore;
const resolveSecret = envSecretResolver({});

beforeEach(() => {
  store = new MemoryRegistryStore();
});

const services = (tag: string): Service[] => [{ hostname: `${tag}.example.com`, address: '10.0.0.1' }];

async function record(name: string): Promise<RegistryRecord> {
  const found = await store.getRegistry(name);
  assert.ok(found, `registry ${name} exists`);
  return found;
}

async function viewEntry(name: string) {
  const state = await store.viewState();
  return state.registries.find((entry) => entry.name === name);
}

function logs() {
  const lines: { message: string; extra: Record<string, unknown> }[] = [];
  return { lines, warn: (message: string, extra: Record<string, unknown>) => lines.push({ message, extra }) };
}

describe('refreshing one registry', () => {
  test('stores a new generation only when the content changed', async () => {
    // Prepare
    let body = services('one');
    const server = await startServer((_req, res) => sendJson(res, 200, { services: body }));
    await store.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    const deps = { store, resolveSecret, timeoutMs: 2_000 };

    // Act
    const first = await refreshRegistry(await record('pulled'), deps);
    const same = await refreshRegistry(await record('pulled'), deps);
    body = services('two');
    const changed = await refreshRegistry(await record('pulled'), deps);
    await server.close();

    // Assess
    assert.deepEqual(
      [first, same, changed].map((o) => [o.outcome, 'generation' in o ? o.generation : null]),
      [
        ['updated', 1],
        ['unchanged', 1],
        ['updated', 2],
      ],
    );
    const stored = await record('pulled');
    assert.equal(stored.lastError, undefined);
    assert.ok(stored.checkedAt !== undefined);
    assert.equal(stored.confirmedAt, stored.checkedAt, 'a successful refresh confirms the snapshot');
  });

  test('a failure keeps the last good snapshot and records a short error; the upstream body goes to the log only', async () => {
    // Prepare
    let failing = false;
    const server = await startServer((_req, res) =>
      failing
        ? sendText(res, 503, 'upstream says: internal host db-7.corp.example is down')
        : sendJson(res, 200, { services: services('good') }),
    );
    await store.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    const log = logs();
    const deps: RefreshDeps = { store, resolveSecret, timeoutMs: 2_000, log };
    await refreshRegistry(await record('pulled'), deps);

    // Act
    failing = true;
    const failed = await refreshRegistry(await record('pulled'), deps);
    const during = await record('pulled');
    const shown = await viewEntry('pulled');
    failing = false;
    await refreshRegistry(await record('pulled'), deps);
    const healed = await record('pulled');
    await server.close();

    // Assess
    assert.equal(failed.outcome, 'failed');
    assert.equal(during.lastError, `HTTP source ${server.url}/: HTTP 503 from source`);
    assert.equal(shown?.lastError, during.lastError, 'readers see the short reason');
    assert.ok(!JSON.stringify(during).includes('db-7'), 'the upstream body is not stored');
    assert.equal(during.snapshot?.generation, 1, 'the last good snapshot stays');
    assert.equal(during.failures, 1);
    assert.match(String(log.lines[0]?.extra.upstream), /db-7\.corp\.example is down/);
    assert.equal(healed.lastError, undefined);
    assert.equal(healed.failures, undefined, 'a success resets the failure count');
  });

  test("a redirect's body never reaches lastError", async () => {
    // Prepare
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end('REDIRECT-BODY');
    });
    await store.putRegistry('moved', { source: { type: 'kubernetes', server: server.url } });

    // Act
    await refreshRegistry(await record('moved'), { store, resolveSecret, timeoutMs: 2_000 });
    await server.close();

    // Assess
    const stored = await record('moved');
    assert.match(stored.lastError ?? '', /HTTP 302 .*a redirect, which is not followed/);
    assert.ok(!JSON.stringify(stored).includes('REDIRECT-BODY'));
  });

  test('a refresh in flight across delete and re-create writes nothing into the new registry', async () => {
    // Prepare: the source answers only once the registry has been deleted and created again.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const server = await startServer((_req, res) => {
      void answered.then(() => sendJson(res, 200, { services: services('old-source') }));
    });
    await store.putRegistry('reborn', { source: { type: 'http', url: server.url } });
    const started = await record('reborn');

    // Act
    const refreshing = refreshRegistry(started, { store, resolveSecret, timeoutMs: 5_000 }).then(
      (outcome) => outcome,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.deleteRegistry('reborn');
    await store.putRegistry('reborn', {});
    answer();
    const result = await refreshing;
    await server.close();

    // Assess
    const reborn = await record('reborn');
    assert.notEqual(reborn.incarnation, started.incarnation);
    assert.equal(reborn.snapshot, null, 'the old source wrote no snapshot');
    assert.equal(reborn.checkedAt, undefined);
    assert.ok(result instanceof Error && result.name === 'RegistryNotFoundError', String(result));
  });

  test('a Consul service whose name is not a DNS label is skipped and reported; the rest is stored', async () => {
    // Prepare
    const consul = await startServer((_req, res, url) => {
      if (url.pathname === '/v1/catalog/services') return sendJson(res, 200, { web: [], 'Web Frontend': [] });
      return sendJson(res, 200, [
        {
          Node: { Node: 'n1', Address: '10.0.0.5', Datacenter: 'dc1' },
          Service: { ID: 'web-1', Service: 'web', Port: 80, Address: '' },
          Checks: [],
        },
      ]);
    });
    await store.putRegistry('consul', { source: { type: 'consul', address: consul.url } });

    // Act
    const outcome = await refreshRegistry(await record('consul'), { store, resolveSecret, timeoutMs: 2_000 });
    await consul.close();

    // Assess
    assert.equal(outcome.outcome, 'updated');
    const stored = await record('consul');
    assert.equal(stored.snapshot?.serviceCount, 1);
    assert.equal(stored.skipped?.count, 1);
    assert.match(stored.skipped?.examples[0] ?? '', /"Web Frontend": the name is not a DNS label/);
    assert.deepEqual((await viewEntry('consul'))?.skipped, stored.skipped, 'the view shows it');
  });

  test('an unchanged refresh confirms the snapshot, so the freshness sweep does not turn it stale', async () => {
    // Prepare
    const server = await startServer((_req, res) => sendJson(res, 200, { services: services('same') }));
    await store.putRegistry('pulled', {
      source: { type: 'http', url: server.url },
      refreshSeconds: 10,
      maxAgeSeconds: 10,
    });
    let clock = Date.now();
    const deps = { store, resolveSecret, timeoutMs: 2_000, now: () => new Date(clock) };
    await refreshRegistry(await record('pulled'), deps);

    // Act
    clock += 9_000;
    await refreshRegistry(await record('pulled'), deps);
    await store.updateFreshness(new Date(clock + 5_000));
    await server.close();

    // Assess
    const stored = await record('pulled');
    assert.equal(stored.snapshot?.generation, 1);
    assert.equal(stored.stale, undefined);
  });
});

describe('the scheduled refresh', () => {
  test('refreshes only due registries, at most `concurrency` at a time', async () => {
    // Prepare
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await startServer((_req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        sendJson(res, 200, { services: services('x') });
      }, 100);
    });
    for (let i = 0; i < 6; i++)
      await store.putRegistry(`due-${i}`, { source: { type: 'http', url: `${server.url}/${i}` } });
    const { record: recent } = await store.putRegistry('recent', {
      source: { type: 'http', url: `${server.url}/recent` },
      refreshSeconds: 600,
    });
    await store.recordRefresh('recent', {
      incarnation: recent.incarnation,
      checkedAt: new Date().toISOString(),
    });
    await store.putRegistry('pushed', {});

    // Act
    const outcomes = await refreshDue({ store, resolveSecret, timeoutMs: 2_000, concurrency: 2 });
    const asked = server.requests.map((r) => r.url.pathname).sort();
    await server.close();

    // Assess
    console.log(`# ${outcomes.length} due registries refreshed, at most ${maxInFlight} at a time`);
    assert.deepEqual(outcomes.map((o) => o.registry).sort(), [
      'due-0',
      'due-1',
      'due-2',
      'due-3',
      'due-4',
      'due-5',
    ]);
    assert.ok(outcomes.every((o) => o.outcome === 'updated'));
    assert.deepEqual(asked, ['/0', '/1', '/2', '/3', '/4', '/5']);
    assert.equal(maxInFlight, 2);
  });

  test('a hanging source times out without holding the others', async () => {
    // Prepare
    const hang = await startServer(() => {});
    const fine = await startServer((_req, res) => sendJson(res, 200, { services: services('ok') }));
    await store.putRegistry('hangs', { source: { type: 'http', url: hang.url } });
    await store.putRegistry('works', { source: { type: 'http', url: fine.url } });

    // Act
    const started = Date.now();
    const outcomes = await refreshDue({ store, resolveSecret, timeoutMs: 500, concurrency: 4 });
    const took = Date.now() - started;
    await hang.close();
    await fine.close();

    // Assess
    const byName = Object.fromEntries(outcomes.map((o) => [o.registry, o.outcome]));
    assert.deepEqual(byName, { hangs: 'failed', works: 'updated' });
    assert.ok(took < 3_000, `took ${took} ms`);
  });

  test('takes the oldest check first, so registries registered late are not starved', async () => {
    // Prepare: registered in the order a, b, c, d; d never checked, c checked longest ago.
    const server = await startServer((_req, res) => sendJson(res, 200, { services: services('x') }));
    const now = Date.now();
    const checked: Record<string, number | undefined> = { a: 120, b: 90, c: 300, d: undefined };
    for (const [name, secondsAgo] of Object.entries(checked)) {
      const { record: created } = await store.putRegistry(name, {
        source: { type: 'http', url: `${server.url}/${name}` },
      });
      if (secondsAgo !== undefined) {
        await store.recordRefresh(name, {
          incarnation: created.incarnation,
          checkedAt: new Date(now - secondsAgo * 1000).toISOString(),
        });
      }
    }

    // Act
    await refreshDue({ store, resolveSecret, timeoutMs: 2_000, concurrency: 1, now: () => new Date(now) });
    await server.close();

    // Assess
    assert.deepEqual(
      server.requests.map((request) => request.url.pathname),
      ['/d', '/c', '/a', '/b'],
    );
  });

  test('starts no refresh when the invocation has too little time left; those are deferred', async () => {
    // Prepare
    const server = await startServer((_req, res) => sendJson(res, 200, { services: services('x') }));
    for (const name of ['r1', 'r2', 'r3', 'r4'])
      await store.putRegistry(name, { source: { type: 'http', url: `${server.url}/${name}` } });
    let remaining = 30_000;
    const remainingMs = () => {
      const left = remaining;
      remaining -= 10_000;
      return left;
    };

    // Act
    const outcomes = await refreshDue({
      store,
      resolveSecret,
      timeoutMs: 2_000,
      concurrency: 1,
      remainingMs,
      reserveMs: 15_000,
    });
    await server.close();

    // Assess: 30 s and 20 s left start a refresh, 10 s and 0 s do not.
    assert.deepEqual(
      outcomes.map((outcome) => outcome.outcome),
      ['updated', 'updated', 'deferred', 'deferred'],
    );
    assert.equal(server.requests.length, 2);
  });

  test('backs off a source that keeps failing, and the count resets on success', async () => {
    // Prepare: a source that fails three times, then works.
    let calls = 0;
    const server = await startServer((_req, res) => {
      calls++;
      if (calls <= 3) sendText(res, 503, 'busy');
      else sendJson(res, 200, { services: services('back') });
    });
    await store.putRegistry('flaky', { source: { type: 'http', url: server.url }, refreshSeconds: 60 });
    let clock = Date.now();
    const run = () =>
      refreshDue({
        store,
        resolveSecret,
        timeoutMs: 2_000,
        concurrency: 1,
        backoffMaxSeconds: 900,
        now: () => new Date(clock),
      });
    const ran: string[] = [];

    // Act: one schedule a minute for ten minutes.
    for (let minute = 0; minute < 10; minute++) {
      const outcomes = await run();
      ran.push(outcomes.length === 0 ? '-' : (outcomes[0]?.outcome ?? '?'));
      clock += 60_000;
    }
    await server.close();

    // Assess: after 1 failure wait 60 s, after 2 wait 120 s, after 3 wait 240 s.
    assert.deepEqual(ran, [
      'failed',
      'failed',
      '-',
      'failed',
      '-',
      '-',
      '-',
      'updated',
      'unchanged',
      'unchanged',
    ]);
    assert.equal((await record('flaky')).failures, undefined);
  });

  test('the worker refreshes what is due, and answers one registry on request', async () => {
    // Prepare
    const server = await startServer((_req, res) => sendJson(res, 200, { services: services('w') }));
    await store.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    await store.putRegistry('pushed', { maxAgeSeconds: 10 });
    await store.putSnapshot('pushed', services('p'));
    const later = new Date(Date.now() + 60_000);
    const worker = makeWorker({ store, resolveSecret, timeoutMs: 2_000, concurrency: 2, now: () => later });

    // Act
    const result = await worker(
      { 'detail-type': 'Scheduled Event' },
      { getRemainingTimeInMillis: () => 50_000 },
    );
    const one = (await worker({ registry: 'pushed' })) as WorkerAnswer;
    const missing = (await worker({ registry: 'nope' })) as WorkerAnswer;
    await server.close();

    // Assess
    assert.deepEqual(result, { refreshed: 1, deferred: 0 });
    assert.equal((await record('pulled')).snapshot?.generation, 1);
    assert.equal(one.ok, false);
    assert.equal(one.ok ? '' : one.code, 'NoSource');
    assert.equal(missing.ok ? '' : missing.code, 'RegistryNotFound');
  });
});

describe('concurrent refreshes', () => {
  test('of the same content store one generation, and the other finds it unchanged', async () => {
    // Prepare
    const server = await startServer((_req, res) =>
      setTimeout(() => sendJson(res, 200, { services: services('same') }), 50),
    );
    await store.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    const stale = await record('pulled');
    const deps = { store, resolveSecret, timeoutMs: 2_000 };

    // Act
    const outcomes = await Promise.all([refreshRegistry(stale, deps), refreshRegistry(stale, deps)]);
    await server.close();

    // Assess
    assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['unchanged', 'updated']);
    assert.deepEqual(
      outcomes.map((o) => ('generation' in o ? o.generation : null)),
      [1, 1],
    );
    assert.equal((await record('pulled')).snapshot?.generation, 1);
  });
});

describe('against DynamoDB Local', () => {
  let dynamo: DynamoRegistryStore;
  withTestTables((table) => {
    dynamo = new DynamoRegistryStore(table.documents, table.name);
  });

  test('a refresh stores, confirms and records failures with the incarnation it started from', async () => {
    // Prepare
    let failing = false;
    const server = await startServer((_req, res) =>
      failing ? sendText(res, 500, 'oops') : sendJson(res, 200, { services: services('good') }),
    );
    await dynamo.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    const deps = { store: dynamo, resolveSecret, timeoutMs: 2_000 };
    const read = async () => {
      const found = await dynamo.getRegistry('pulled');
      assert.ok(found);
      return found;
    };

    // Act
    const first = await refreshRegistry(await read(), deps);
    const same = await refreshRegistry(await read(), deps);
    failing = true;
    const failed = await refreshRegistry(await read(), deps);
    const during = await read();
    await server.close();

    // Assess
    assert.deepEqual([first.outcome, same.outcome, failed.outcome], ['updated', 'unchanged', 'failed']);
    assert.equal(during.snapshot?.generation, 1);
    assert.equal(during.lastError, `HTTP source ${server.url}/: HTTP 500 from source`);
    assert.equal(during.failures, 1);
  });

  test('skipped objects are stored with the snapshot and shown in the view', async () => {
    // Prepare
    const consul = await startServer((_req, res, url) => {
      if (url.pathname === '/v1/catalog/services') return sendJson(res, 200, { web: [], 'Web Frontend': [] });
      return sendJson(res, 200, []);
    });
    await dynamo.putRegistry('consul', { source: { type: 'consul', address: consul.url } });
    const created = await dynamo.getRegistry('consul');
    assert.ok(created);

    // Act
    await refreshRegistry(created, { store: dynamo, resolveSecret, timeoutMs: 2_000 });
    await consul.close();

    // Assess
    const state = await dynamo.viewState();
    assert.equal(state.registries[0]?.skipped?.count, 1);
    assert.equal((await dynamo.getRegistry('consul'))?.snapshot?.serviceCount, 1);
  });

  test('a snapshot older than maxAgeSeconds is stale, and ?stale=exclude leaves its services out', async () => {
    await dynamo.putRegistry('pushed', { maxAgeSeconds: 30 });
    await dynamo.putRegistry('fresh', {});
    await dynamo.putSnapshot('pushed', services('old'));
    await dynamo.putSnapshot('fresh', services('new'));
    const cache = new MergedViewCache(dynamo);
    const now = Date.now();
    await dynamo.updateFreshness(new Date(now));
    const beforeView = await cache.current();
    const before = JSON.parse(beforeView.json);
    const beforeEtag = beforeView.etag;
    await dynamo.updateFreshness(new Date(now + 31_000));
    const laterView = await cache.current();
    const later = JSON.parse(laterView.json);
    const excluded = JSON.parse((await cache.current({ excludeStale: true })).json);
    assert.deepEqual(
      before.registries.map((r: { status: string }) => r.status),
      ['ok', 'ok'],
    );
    assert.deepEqual(
      later.registries.map((r: { status: string }) => r.status),
      ['stale', 'ok'],
    );
    assert.notEqual(laterView.etag, beforeEtag, 'turning stale changes the ETag');
    assert.equal(later.services.length, 2, 'stale services are served by default');
    assert.deepEqual(
      excluded.services.map((s: Service) => s.hostname),
      ['new.example.com'],
    );
    const pushed = await dynamo.getRegistry('pushed');
    assert.ok(pushed);
    assert.equal(staleAt(pushed), Date.parse(later.registries[0].snapshotAt) + 30_000);
  });
});
