import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { bodyOf, manyServices, payloadBytes, queryRoutes, registryWith } from '../helpers/query-routes.ts';
import { UnreadableSnapshots } from '../helpers/unreadable-store.ts';

const web = (address: string, fields: Partial<Service> = {}): Service => ({
  hostname: 'web.default.svc.cluster.local',
  address,
  ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
  ...fields,
});

describe('GET /services', () => {
  test('shows revision, services with ids, errors, conflicts and registries without check times', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east', provider: 'Kubernetes' });
    await api.store.putRegistry('consul', { network: 'n1' });
    await api.store.recordRefresh('consul', {
      incarnation: (await api.store.getRegistry('consul'))?.incarnation ?? '',
      checkedAt: new Date().toISOString(),
      error: 'connection refused',
    });

    const response = await api.get('/services');

    assert.equal(response.statusCode, 200);
    const body = bodyOf(response);
    assert.equal(body.revision, (await api.store.currentRevision()).revision);
    assert.deepEqual(
      body.services.map((s: { id: string }) => s.id),
      ['web.default.svc.cluster.local'],
    );
    assert.deepEqual(body.errors, [{ registry: 'consul', message: 'connection refused' }]);
    assert.deepEqual(body.conflicts, []);
    const [east, consul] = body.registries;
    assert.equal(east.status, 'ok');
    assert.equal(east.generation, 1);
    assert.equal(east.serviceCount, 1);
    assert.equal(east.clusterId, 'east');
    assert.equal(east.provider, 'Kubernetes');
    assert.equal(consul.status, 'error');
    assert.equal(consul.network, 'n1');
    assert.equal(consul.lastError, 'connection refused');
    for (const entry of body.registries) {
      for (const key of ['checkedAt', 'confirmedAt', 'staleAt', 'lastErrorAt'])
        assert.ok(!(key in entry), key);
    }
  });

  test('answers 304 to the ETag it gave until something changes', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
    const first = await api.get('/services');

    const again = await api.get('/services', { headers: { 'if-none-match': first.headers.etag ?? '' } });
    await api.store.putSnapshot('east', [web('10.0.0.2')]);
    const changed = await api.get('/services', { headers: { 'if-none-match': first.headers.etag ?? '' } });

    assert.equal(again.statusCode, 304);
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, first.headers.etag);
  });

  test('keeps the ETag across a refresh that found the same content', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
    const before = await api.get('/services');
    const incarnation = (await api.store.getRegistry('east'))?.incarnation ?? '';

    await api.store.recordRefresh('east', {
      incarnation,
      checkedAt: new Date(Date.now() + 60_000).toISOString(),
    });
    const after = await api.get('/services', { headers: { 'if-none-match': before.headers.etag ?? '' } });

    assert.equal(after.statusCode, 304);
    assert.equal(after.headers.etag, before.headers.etag);
  });

  test('leaves out the services of stale registries with stale=exclude, under another ETag', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'old', [web('10.0.0.1', { hostname: 'old.example.com' })]);
    await api.store.putRegistry('old', { refreshSeconds: 60, maxAgeSeconds: 60 });
    await registryWith(api.store, 'new', [web('10.0.0.2', { hostname: 'new.example.com' })]);
    await api.store.updateFreshness(new Date(Date.now() + 120_000));
    await api.store.putSnapshot('new', [web('10.0.0.2', { hostname: 'new.example.com' })]);

    const all = await api.get('/services');
    const fresh = await api.get('/services', { query: { stale: 'exclude' } });

    assert.deepEqual(
      bodyOf(all)
        .services.map((s: Service) => s.hostname)
        .sort(),
      ['new.example.com', 'old.example.com'],
    );
    assert.deepEqual(
      bodyOf(fresh).services.map((s: Service) => s.hostname),
      ['new.example.com'],
    );
    assert.equal(bodyOf(fresh).registries.find((r: { name: string }) => r.name === 'old').status, 'stale');
    assert.notEqual(all.headers.etag, fresh.headers.etag);
  });

  test('answers 400 to a stale value other than include or exclude', async () => {
    const response = await queryRoutes().get('/services', { query: { stale: 'maybe' } });
    assert.equal(response.statusCode, 400);
  });

  for (const [accept, coding] of [
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip;q=0.5, br;q=0.9', 'br'],
    ['br;q=0.1, gzip', 'gzip'],
    ['*', 'br'],
    ['identity', undefined],
    ['br;q=0, gzip;q=0', undefined],
  ] as const) {
    test(`sends ${coding ?? 'identity'} to Accept-Encoding "${accept}", the same view with Vary`, async () => {
      const api = queryRoutes();
      await registryWith(api.store, 'big', manyServices(200));
      const plain = bodyOf(await api.get('/services'));

      const response = await api.get('/services', { headers: { 'accept-encoding': accept } });

      assert.equal(response.headers['content-encoding'], coding);
      assert.equal(response.headers.vary, 'Accept-Encoding');
      assert.deepEqual(bodyOf(response), plain);
    });
  }

  test('serves the same compressed bytes to every request of one view', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'big', manyServices(500));
    const first = await api.get('/services', { headers: { 'accept-encoding': 'gzip' } });
    const second = await api.get('/services', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(first.isBase64Encoded, true);
    assert.equal(second.body, first.body);
  });
});

describe('GET /services?revision=N', () => {
  test('serves the view as it was at a retained revision', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
    const then = bodyOf(await api.get('/services'));
    await api.store.putSnapshot('east', [web('10.0.0.9')]);

    const response = await api.get('/services', { query: { revision: String(then.revision) } });

    assert.equal(response.statusCode, 200);
    assert.deepEqual(bodyOf(response), then);
  });

  test('answers 410 RevisionNotReached for a revision past the current one', async () => {
    const api = queryRoutes();
    const response = await api.get('/services', { query: { revision: '99' } });
    assert.equal(response.statusCode, 410);
    assert.equal(bodyOf(response).error.code, 'RevisionNotReached');
  });

  test('answers 410 RevisionExpired for a revision older than the history', async () => {
    let now = Date.now();
    const store = new MemoryRegistryStore({ historyRetentionSeconds: 60, now: () => new Date(now) });
    const api = queryRoutes(store);
    await registryWith(store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
    const old = (await store.currentRevision()).revision;
    await store.putSnapshot('east', [web('10.0.0.2')]);
    now += 120_000;

    const response = await api.get('/services', { query: { revision: String(old) } });

    assert.equal(response.statusCode, 410);
    assert.equal(bodyOf(response).error.code, 'RevisionExpired');
  });

  for (const revision of ['-1', 'abc', '1.5', '']) {
    test(`answers 400 to revision "${revision}"`, async () => {
      const response = await queryRoutes().get('/services', { query: { revision } });
      assert.equal(response.statusCode, 400);
    });
  }
});

describe('GET /services paging', () => {
  async function readAll(api: ReturnType<typeof queryRoutes>, limit: number, between?: () => Promise<void>) {
    const first = bodyOf(await api.get('/services', { query: { limit: String(limit) } }));
    const pages = [first];
    let next: string | undefined = first.next;
    while (next) {
      await between?.();
      const page = bodyOf(await api.get('/services', { query: { limit: String(limit), cursor: next } }));
      pages.push(page);
      next = page.next;
    }
    return pages;
  }

  test('gives pages that together are the unpaged view, with total and next', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'a', manyServices(25, 'a', 'a'));
    await registryWith(api.store, 'b', manyServices(12, 'b', 'b'));
    const whole = bodyOf(await api.get('/services'));

    const pages = await readAll(api, 10);

    assert.equal(pages.length, 4);
    assert.deepEqual(
      pages.flatMap((p) => p.services),
      whole.services,
    );
    for (const page of pages) assert.equal(page.total, 37);
    assert.ok(pages.every((p) => p.services.length <= 10));
    assert.equal(pages.at(-1)?.next, undefined);
  });

  test('puts errors, conflicts and registries on the first page only', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'a', manyServices(5, 'a', 'a'));
    const pages = await readAll(api, 2);
    assert.ok('registries' in pages[0] && 'errors' in pages[0] && 'conflicts' in pages[0]);
    for (const page of pages.slice(1))
      assert.deepEqual(
        Object.keys(page).sort(),
        ['next', 'revision', 'services', 'total'].filter((k) => k in page).sort(),
      );
  });

  test('stays on the first page revision while pushes happen between pages', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'a', manyServices(30, 'a', 'a'));
    const whole = bodyOf(await api.get('/services'));
    let pushes = 0;

    const pages = await readAll(api, 7, async () => {
      pushes++;
      await api.store.putSnapshot('a', manyServices(30 + pushes, `a${pushes}`, 'a'));
    });

    assert.ok(pushes > 0);
    assert.ok((await api.store.currentRevision()).revision > whole.revision);
    assert.deepEqual(
      pages.flatMap((p) => p.services),
      whole.services,
    );
    assert.ok(pages.every((p) => p.revision === whole.revision));
  });

  test('answers 410 for a later page once its revision left the history', async () => {
    let now = Date.now();
    const store = new MemoryRegistryStore({ historyRetentionSeconds: 60, now: () => new Date(now) });
    const api = queryRoutes(store);
    await registryWith(store, 'a', manyServices(10, 'a', 'a'));
    const first = bodyOf(await api.get('/services', { query: { limit: '3' } }));
    await store.putSnapshot('a', manyServices(10, 'b', 'a'));
    now += 120_000;

    const later = await queryRoutes(store).get('/services', { query: { limit: '3', cursor: first.next } });

    assert.equal(later.statusCode, 410);
    assert.equal(bodyOf(later).error.code, 'RevisionExpired');
  });

  for (const query of [
    { limit: '0' },
    { limit: 'x' },
    { cursor: 'not a cursor!' },
    { cursor: 'eyJ4IjoxfQ' },
  ]) {
    test(`answers 400 to ${JSON.stringify(query)}`, async () => {
      const response = await queryRoutes().get('/services', { query });
      assert.equal(response.statusCode, 400);
    });
  }

  test('answers a view past 6 MB with the first page that fits, next and truncated', async () => {
    const api = queryRoutes();
    const big = (i: number, r: string) =>
      manyServices(i, r, r).map((s) => ({ ...s, labels: { team: 'x'.repeat(200), app: s.hostname } }));
    for (const r of ['a', 'b', 'c']) await registryWith(api.store, r, big(5_000, r));

    const first = await api.get('/services');

    assert.equal(first.statusCode, 200);
    assert.ok(payloadBytes(first) <= 6_291_456, `${payloadBytes(first)} bytes`);
    const body = bodyOf(first);
    assert.equal(body.truncated, true);
    assert.equal(body.total, 15_000);
    assert.ok(body.services.length < 15_000);
    let services = body.services;
    let next = body.next;
    while (next) {
      const page = await api.get('/services', { query: { cursor: next } });
      assert.ok(payloadBytes(page) <= 6_291_456);
      services = services.concat(bodyOf(page).services);
      next = bodyOf(page).next;
    }
    assert.equal(services.length, 15_000);
    assert.deepEqual(
      services.map((s: { id: string }) => s.id),
      (await Promise.all(['a', 'b', 'c'].map(async (r) => big(5_000, r))))
        .flat()
        .map((s) => `${s.hostname.split('.')[1]}/${s.hostname}`),
    );
  });
});

describe('GET /services/{hostname}', () => {
  test('answers the service and 404 ServiceNotFound for an unknown hostname', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });

    const found = await api.get('/services/web.default.svc.cluster.local');
    const missing = await api.get('/services/none.default.svc.cluster.local');

    assert.equal(found.statusCode, 200);
    assert.equal(bodyOf(found).address, '10.0.0.1');
    assert.equal(missing.statusCode, 404);
    assert.equal(bodyOf(missing).error.code, 'ServiceNotFound');
  });

  test('answers the entry merged across clustered registries', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
    await registryWith(api.store, 'west', [web('10.1.0.1')], { clusterId: 'west' });

    const body = bodyOf(await api.get('/services/web.default.svc.cluster.local'));

    assert.deepEqual({ ...body.clusterVIPs }, { east: '10.0.0.1', west: '10.1.0.1' });
  });

  test('prefers an unclustered registry that has the hostname, as Istio GetService does, even when later', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
    await registryWith(api.store, 'consul', [web('192.168.0.1')]);
    await registryWith(api.store, 'static', [web('192.168.9.9')]);

    const body = bodyOf(await api.get('/services/web.default.svc.cluster.local'));

    assert.equal(body.registry, 'consul');
    assert.equal(body.address, '192.168.0.1');
  });

  test('answers 304 to the view ETag', async () => {
    const api = queryRoutes();
    await registryWith(api.store, 'east', [web('10.0.0.1')], { clusterId: 'east' });
    const first = await api.get('/services/web.default.svc.cluster.local');
    const again = await api.get('/services/web.default.svc.cluster.local', {
      headers: { 'if-none-match': first.headers.etag ?? '' },
    });
    assert.equal(again.statusCode, 304);
  });
});

describe('a snapshot that cannot be read', () => {
  test('is reported in errors while the other registries are served', async () => {
    const store = new UnreadableSnapshots();
    const api = queryRoutes(store);
    await registryWith(store, 'good', [web('10.0.0.1', { hostname: 'good.example.com' })]);
    await registryWith(store, 'broken', [web('10.0.0.2', { hostname: 'broken.example.com' })]);
    const broken = (await store.getRegistry('broken'))?.snapshot?.id ?? '';
    store.unreadable.add(broken);

    const response = await api.get('/services');

    assert.equal(response.statusCode, 200);
    const body = bodyOf(response);
    assert.deepEqual(
      body.services.map((s: Service) => s.hostname),
      ['good.example.com'],
    );
    assert.deepEqual(
      body.errors.map((e: { registry: string }) => e.registry),
      ['broken'],
    );
    assert.equal(typeof body.errors[0].message, 'string');
    assert.equal((await api.get('/services/broken.example.com')).statusCode, 404);
  });

  test('is served from the last snapshot this function decoded', async () => {
    const store = new UnreadableSnapshots();
    const api = queryRoutes(store);
    await registryWith(store, 'r', [web('10.0.0.1', { hostname: 'r.example.com' })]);
    await api.get('/services');
    await store.putSnapshot('r', [web('10.0.0.2', { hostname: 'r.example.com' })]);
    store.unreadable.add((await store.getRegistry('r'))?.snapshot?.id ?? '');

    const body = bodyOf(await api.get('/services'));

    assert.deepEqual(body.errors, []);
    assert.equal(body.services[0].address, '10.0.0.1');
  });

  test('is read again once it can be, under another ETag', async () => {
    const store = new UnreadableSnapshots();
    const api = queryRoutes(store);
    await registryWith(store, 'r', [web('10.0.0.1', { hostname: 'r.example.com' })]);
    const id = (await store.getRegistry('r'))?.snapshot?.id ?? '';
    store.unreadable.add(id);
    const degraded = await api.get('/services');
    store.unreadable.delete(id);

    const healed = await api.get('/services', { headers: { 'if-none-match': degraded.headers.etag ?? '' } });

    assert.equal(healed.statusCode, 200);
    assert.equal(bodyOf(healed).services.length, 1);
  });
});
