import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { bodyOf, queryRoutes, registryWith } from '../helpers/query-routes.ts';

const svc = (hostname: string, address: string): Service => ({ hostname, address, ports: [{ port: 80 }] });

function applyChanges(
  services: { id: string }[],
  changes: { id: string; change: string; service?: { id: string } }[],
) {
  const byId = new Map(services.map((s) => [s.id, s]));
  for (const change of changes) {
    if (change.change === 'removed') byId.delete(change.id);
    else byId.set(change.id, change.service as { id: string });
  }
  return byId;
}

describe('GET /changes', { concurrency: true }, () => {
  test('lists the added, updated and removed services since a revision; applied to that view they give the current one', async () => {
    const api = queryRoutes();
    await registryWith(
      api.store,
      'east',
      [svc('a.example.com', '10.0.0.1'), svc('b.example.com', '10.0.0.2')],
      {
        clusterId: 'east',
      },
    );
    const from = bodyOf(await api.get('/services'));
    await api.store.putSnapshot('east', [svc('a.example.com', '10.0.0.9'), svc('c.example.com', '10.0.0.3')]);
    const to = bodyOf(await api.get('/services'));

    const response = await api.get('/changes', { query: { since: String(from.revision) } });

    assert.equal(response.statusCode, 200);
    const body = bodyOf(response);
    assert.equal(body.from, from.revision);
    assert.equal(body.revision, to.revision);
    const kinds = Object.fromEntries(
      body.changes.map((c: { id: string; change: string }) => [c.id, c.change]),
    );
    assert.deepEqual(kinds, {
      'a.example.com': 'updated',
      'b.example.com': 'removed',
      'c.example.com': 'added',
    });
    const applied = applyChanges(from.services, body.changes);
    assert.deepEqual(
      [...applied.values()].sort((x, y) => x.id.localeCompare(y.id)),
      [...to.services].sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id)),
    );
  });

  test('lists the services of a deleted registry as removed and its status entry as removed', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'consul', [svc('a.example.com', '10.0.0.1')]);
    const since = (await api.store.currentRevision()).revision;
    await api.store.deleteRegistry('consul');

    const body = bodyOf(await api.get('/changes', { query: { since: String(since) } }));

    assert.deepEqual(
      body.changes.map((c: { id: string; change: string }) => [c.id, c.change]),
      [['consul/a.example.com', 'removed']],
    );
    assert.deepEqual(body.registries, [{ name: 'consul', change: 'removed' }]);
  });

  test('lists a registry whose status changed without any service change', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [svc('a.example.com', '10.0.0.1')], { clusterId: 'east' });
    const since = (await api.store.currentRevision()).revision;
    const incarnation = (await api.store.getRegistry('east'))?.incarnation ?? '';
    await api.store.recordRefresh('east', {
      incarnation,
      checkedAt: new Date().toISOString(),
      error: 'timeout',
    });

    const body = bodyOf(await api.get('/changes', { query: { since: String(since) } }));

    assert.deepEqual(body.changes, []);
    assert.equal(body.registries.length, 1);
    assert.equal(body.registries[0].name, 'east');
    assert.equal(body.registries[0].change, 'updated');
    assert.equal(body.registries[0].registry.status, 'error');
  });

  test('waits for the next change and answers within about a second of it', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [svc('a.example.com', '10.0.0.1')], { clusterId: 'east' });
    const since = (await api.store.currentRevision()).revision;
    let pushedAt = 0;
    setTimeout(() => {
      pushedAt = Date.now();
      void api.store.putSnapshot('east', [svc('a.example.com', '10.0.0.2')]);
    }, 1_500);

    const response = await api.get('/changes', { query: { since: String(since), wait: '10' } });
    const answeredAt = Date.now();

    const body = bodyOf(response);
    assert.ok(pushedAt > 0, 'answered before the push');
    assert.ok(answeredAt - pushedAt < 1_000, `${answeredAt - pushedAt} ms after the push`);
    assert.equal(body.revision, since + 1);
    assert.equal(body.changes[0].change, 'updated');
  });

  test('holds wait seconds without a change, then answers no changes at the same revision', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [svc('a.example.com', '10.0.0.1')], { clusterId: 'east' });
    const since = (await api.store.currentRevision()).revision;
    const started = Date.now();

    const body = bodyOf(await api.get('/changes', { query: { since: String(since), wait: '2' } }));

    const held = Date.now() - started;
    assert.ok(held >= 1_950 && held < 3_000, `held ${held} ms`);
    assert.deepEqual(body, { from: since, revision: since, changes: [], registries: [] });
  });

  test('answers at once, without waiting, when the revision already moved past since', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [svc('a.example.com', '10.0.0.1')], { clusterId: 'east' });
    const started = Date.now();
    const body = bodyOf(await api.get('/changes', { query: { since: '0', wait: '20' } }));
    assert.ok(Date.now() - started < 1_000);
    assert.equal(body.changes.length, 1);
  });

  test('never waits past the time the function has left', async () => {
    const api = queryRoutes(new MemoryRegistryStore(), { remainingMs: 4_000 });
    const started = Date.now();
    const response = await api.get('/changes', { query: { since: '0', wait: '20' } });
    assert.equal(response.statusCode, 200);
    assert.ok(Date.now() - started < 2_000);
  });

  test('answers 410 RevisionNotReached for a since past the current revision', async () => {
    const response = await queryRoutes().get('/changes', { query: { since: '5' } });
    assert.equal(response.statusCode, 410);
    assert.equal(bodyOf(response).error.code, 'RevisionNotReached');
  });

  test('answers 410 RevisionExpired for a since older than the history', async () => {
    let now = Date.now();
    const store = new MemoryRegistryStore({ historyRetentionSeconds: 60, now: () => new Date(now) });
    const api = queryRoutes(store);
    await registryWith(store, 'east', [svc('a.example.com', '10.0.0.1')], { clusterId: 'east' });
    await store.putSnapshot('east', [svc('a.example.com', '10.0.0.2')]);
    now += 120_000;

    const response = await api.get('/changes', { query: { since: '1' } });

    assert.equal(response.statusCode, 410);
    assert.equal(bodyOf(response).error.code, 'RevisionExpired');
  });

  for (const query of [
    {},
    { since: 'x' },
    { since: '-1' },
    { since: '1.5' },
    { since: '0', wait: '21' },
    { since: '0', wait: '-1' },
    { since: '0', wait: 'soon' },
  ]) {
    test(`answers 400 to ${JSON.stringify(query)}`, async () => {
      const response = await queryRoutes().get('/changes', { query });
      assert.equal(response.statusCode, 400);
      assert.equal(bodyOf(response).error.code, 'InvalidQuery');
    });
  }
});
