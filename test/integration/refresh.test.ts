import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { staleAt } from '#lib/freshness.ts';
import type { Service } from '#lib/types.ts';
import { DynamoRegistryStore } from '#store/dynamodb/index.ts';
import { MergedViewCache } from '../../functions/query/merged-view.ts';
import { refreshDue, refreshRegistry } from '../../functions/refresh/refresh.ts';
import { envSecretResolver } from '../../functions/sources/index.ts';
import { withTestTables } from '../helpers/dynamodb.ts';
import { sendJson, startServer } from './sources/helpers.ts';

let store: DynamoRegistryStore;
const resolveSecret = envSecretResolver({});

withTestTables((table) => {
  store = new DynamoRegistryStore(table.documents, table.name);
});

const services = (tag: string): Service[] => [{ hostname: `${tag}.example.com`, address: '10.0.0.1' }];

async function record(name: string) {
  const found = await store.getRegistry(name);
  assert.ok(found, `registry ${name} exists`);
  return found;
}

/** The merged view's status of a registry; `now`: after the freshness sweep has run at that time. */
async function statusOf(name: string, now?: number) {
  if (now !== undefined) await store.updateFreshness(new Date(now));
  const view = JSON.parse((await new MergedViewCache(store).current()).json);
  return { view, registry: view.registries.find((r: { name: string }) => r.name === name) };
}

describe('refreshing one registry', () => {
  test('stores a new generation only when the content changed', async () => {
    let body = services('one');
    const server = await startServer((_req, res) => sendJson(res, 200, { services: body }));
    await store.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    const deps = { store, resolveSecret, timeoutMs: 2_000 };
    const first = await refreshRegistry(await record('pulled'), deps);
    const same = await refreshRegistry(await record('pulled'), deps);
    body = services('two');
    const changed = await refreshRegistry(await record('pulled'), deps);
    await server.close();
    assert.deepEqual(
      [first, same, changed].map((o) => [o.outcome, o.generation]),
      [
        ['updated', 1],
        ['unchanged', 1],
        ['updated', 2],
      ],
    );
    const { registry } = await statusOf('pulled');
    assert.equal(registry.status, 'ok');
    assert.ok(((await record('pulled')).checkedAt ?? '') >= registry.snapshotAt);
  });

  test('a failure keeps the last good snapshot, records the error, and a later success clears it', async () => {
    let failing = false;
    const server = await startServer((_req, res) =>
      failing ? sendJson(res, 500, { oops: true }) : sendJson(res, 200, { services: services('good') }),
    );
    await store.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    const deps = { store, resolveSecret, timeoutMs: 2_000 };
    await refreshRegistry(await record('pulled'), deps);
    failing = true;
    const failed = await refreshRegistry(await record('pulled'), deps);
    const during = await statusOf('pulled');
    failing = false;
    await refreshRegistry(await record('pulled'), deps);
    const healed = await statusOf('pulled');
    await server.close();
    assert.equal(failed.outcome, 'failed');
    assert.match((failed as { error: string }).error, /500/);
    assert.equal(during.registry.status, 'error');
    assert.match(during.registry.lastError, /500/);
    assert.deepEqual(
      during.view.services.map((s: Service) => s.hostname),
      ['good.example.com'],
    );
    assert.deepEqual(during.view.errors, [], 'a registry with a last-known-good snapshot is not an error');
    assert.equal(healed.registry.status, 'ok');
    assert.equal(healed.registry.lastError, null);
  });

  test('a failing source with nothing to serve is reported in errors', async () => {
    await store.putRegistry('broken', { source: { type: 'http', url: 'http://127.0.0.1:9/' } });
    await refreshRegistry(await record('broken'), { store, resolveSecret, timeoutMs: 1_000 });
    const { view, registry } = await statusOf('broken');
    assert.equal(registry.status, 'error');
    assert.equal(view.errors.length, 1);
    assert.equal(view.errors[0].registry, 'broken');
  });
});

describe('freshness', () => {
  test('a snapshot older than maxAgeSeconds is stale, and ?stale=exclude leaves its services out', async () => {
    await store.putRegistry('pushed', { maxAgeSeconds: 30 });
    await store.putRegistry('fresh', {});
    await store.putSnapshot('pushed', services('old'));
    await store.putSnapshot('fresh', services('new'));
    const cache = new MergedViewCache(store);
    const now = Date.now();
    await store.updateFreshness(new Date(now));
    const beforeView = await cache.current();
    const before = JSON.parse(beforeView.json);
    const beforeEtag = beforeView.etag;
    await store.updateFreshness(new Date(now + 31_000));
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
    assert.equal(staleAt(await record('pushed')), Date.parse(later.registries[0].snapshotAt) + 30_000);
  });

  test('an unchanged refresh confirms the snapshot, so it does not turn stale', async () => {
    const server = await startServer((_req, res) => sendJson(res, 200, { services: services('same') }));
    await store.putRegistry('pulled', {
      source: { type: 'http', url: server.url },
      refreshSeconds: 10,
      maxAgeSeconds: 10,
    });
    let clock = Date.now();
    const deps = { store, resolveSecret, timeoutMs: 2_000, now: () => new Date(clock) };
    await refreshRegistry(await record('pulled'), deps);
    clock += 9_000;
    await refreshRegistry(await record('pulled'), deps);
    const { registry } = await statusOf('pulled', clock + 5_000);
    await server.close();
    assert.equal(registry.generation, 1);
    assert.equal(registry.status, 'ok');
  });
});

describe('the scheduled refresh', () => {
  test('refreshes only due registries, at most `concurrency` at a time', async () => {
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
    await store.putRegistry('recent', {
      source: { type: 'http', url: `${server.url}/recent` },
      refreshSeconds: 600,
    });
    await store.recordRefresh('recent', {
      incarnation: (await record('recent')).incarnation,
      checkedAt: new Date().toISOString(),
    });
    await store.putRegistry('pushed', {});
    const outcomes = await refreshDue({ store, resolveSecret, timeoutMs: 2_000, concurrency: 2 });
    const asked = server.requests.map((r) => r.url.pathname).sort();
    await server.close();
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
    const hang = await startServer(() => {});
    const fine = await startServer((_req, res) => sendJson(res, 200, { services: services('ok') }));
    await store.putRegistry('hangs', { source: { type: 'http', url: hang.url } });
    await store.putRegistry('works', { source: { type: 'http', url: fine.url } });
    const started = Date.now();
    const outcomes = await refreshDue({ store, resolveSecret, timeoutMs: 500, concurrency: 4 });
    const took = Date.now() - started;
    await hang.close();
    await fine.close();
    const byName = Object.fromEntries(outcomes.map((o) => [o.registry, o.outcome]));
    assert.deepEqual(byName, { hangs: 'failed', works: 'updated' });
    assert.ok(took < 3_000, `took ${took} ms`);
  });
});

describe('concurrent refreshes', () => {
  test('of the same content store one generation, and the other finds it unchanged', async () => {
    const server = await startServer((_req, res) =>
      setTimeout(() => sendJson(res, 200, { services: services('same') }), 50),
    );
    await store.putRegistry('pulled', { source: { type: 'http', url: server.url } });
    const stale = await record('pulled');
    const deps = { store, resolveSecret, timeoutMs: 2_000 };
    const outcomes = await Promise.all([refreshRegistry(stale, deps), refreshRegistry(stale, deps)]);
    await server.close();
    assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['unchanged', 'updated']);
    assert.deepEqual(
      outcomes.map((o) => o.generation),
      [1, 1],
    );
    assert.equal((await record('pulled')).snapshot?.generation, 1);
  });
});
