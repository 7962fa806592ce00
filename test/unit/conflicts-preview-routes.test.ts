import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { bodyOf, queryRoutes, READER, registryWith } from '../helpers/query-routes.ts';

const web = (address: string, port = 80): Service => ({
  hostname: 'web.example.com',
  address,
  ports: [{ name: 'http', port, protocol: 'HTTP' }],
});

async function threeClusters() {
  const api = queryRoutes();
  await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
  await registryWith(api.store, 'west', [web('10.1.0.1', 8080)], { clusterId: 'west' });
  await registryWith(
    api.store,
    'north',
    [web('10.2.0.1', 9090), { hostname: 'other.example.com', ports: [{ port: 1 }] }],
    {
      clusterId: 'north',
    },
  );
  return api;
}

describe('GET /conflicts', () => {
  test('groups the conflicts per hostname and field, ignored values in registration order', async () => {
    const api = await threeClusters();

    const body = bodyOf(await api.get('/conflicts'));

    assert.equal(body.revision, (await api.store.currentRevision()).revision);
    assert.equal(body.conflicts.length, 1);
    const [ports] = body.conflicts;
    assert.equal(ports.hostname, 'web.example.com');
    assert.equal(ports.field, 'ports');
    assert.equal(ports.kept.registry, 'east');
    assert.deepEqual(
      ports.ignored.map((i: { registry: string }) => i.registry),
      ['west', 'north'],
    );
  });

  test('keeps only the conflicts of ?hostname=', async () => {
    const api = await threeClusters();
    assert.equal(
      bodyOf(await api.get('/conflicts', { query: { hostname: 'other.example.com' } })).conflicts.length,
      0,
    );
    assert.equal(
      bodyOf(await api.get('/conflicts', { query: { hostname: 'web.example.com' } })).conflicts.length,
      1,
    );
  });

  test('answers 400 to a hostname that is not a DNS name', async () => {
    const response = await queryRoutes().get('/conflicts', { query: { hostname: 'not a host' } });
    assert.equal(response.statusCode, 400);
  });
});

describe('POST /preview', () => {
  async function storeState(api: ReturnType<typeof queryRoutes>) {
    const registries = await api.store.listRegistries();
    const ids = registries.flatMap((r) => (r.snapshot ? [r.snapshot.id] : []));
    return JSON.stringify({
      head: await api.store.currentRevision(),
      state: await api.store.viewState(),
      registries,
      snapshots: [...(await api.store.loadSnapshots(ids, { endpoints: true }))],
    });
  }

  test('tells the changes and conflicts a candidate snapshot would bring, and stores nothing', async () => {
    const api = await threeClusters();
    const before = await storeState(api);

    const response = await api.post('/preview', {
      registry: 'west',
      services: [web('10.1.0.9'), { hostname: 'new.example.com', address: '10.1.0.2' }],
    });

    assert.equal(response.statusCode, 200);
    const body = bodyOf(response);
    assert.equal(body.revision, (await api.store.currentRevision()).revision);
    const kinds = Object.fromEntries(
      body.changes.map((c: { id: string; change: string }) => [c.id, c.change]),
    );
    assert.deepEqual(kinds, { 'web.example.com': 'updated', 'new.example.com': 'added' });
    assert.deepEqual(
      body.conflicts.removed.map((c: { ignored: { registry: string } }) => c.ignored.registry),
      ['west'],
    );
    assert.deepEqual(body.conflicts.added, []);
    assert.equal(await storeState(api), before);
  });

  test('tells what deleting a registry would remove, and stores nothing', async () => {
    const api = await threeClusters();
    const before = await storeState(api);

    const body = bodyOf(await api.post('/preview', { registry: 'north', delete: true }));

    const kinds = Object.fromEntries(
      body.changes.map((c: { id: string; change: string }) => [c.id, c.change]),
    );
    assert.deepEqual(kinds, { 'other.example.com': 'removed', 'web.example.com': 'updated' });
    assert.equal(body.conflicts.removed.length, 1);
    assert.equal(await storeState(api), before);
  });

  test('answers 404 RegistryNotFound for a registry that does not exist', async () => {
    const response = await (await threeClusters()).post('/preview', { registry: 'nowhere', services: [] });
    assert.equal(response.statusCode, 404);
    assert.equal(bodyOf(response).error.code, 'RegistryNotFound');
  });

  for (const body of [
    { registry: 'east' },
    { registry: 'east', services: [{ hostname: 'bad host' }] },
    { registry: 'east', services: [], extra: 1 },
    { registry: 'East', services: [] },
    { registry: 'east', delete: false },
    [],
  ]) {
    test(`answers 400 InvalidBody to ${JSON.stringify(body)}`, async () => {
      const response = await (await threeClusters()).post('/preview', body);
      assert.equal(response.statusCode, 400);
      assert.equal(bodyOf(response).error.code, 'InvalidBody');
    });
  }

  test('is refused to a reader token', async () => {
    const response = await queryRoutes().post(
      '/preview',
      { registry: 'east', services: [] },
      { token: READER },
    );
    assert.equal(response.statusCode, 403);
  });
});
