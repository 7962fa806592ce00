/**
 * GET /services/{hostname}/endpoints in-process, over the in-memory store: what a client sends, what it
 * gets back, through the whole Middy stack (auth, compression, errors).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Endpoint, Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { ADMIN, READER } from '../helpers/handler-env.ts';
import { httpEvent, lambdaContext, type TestRequest } from '../helpers/http-event.ts';
import { registryWith } from '../helpers/query-routes.ts';

const { makeHandler } = await import('../../functions/query/get-endpoints.ts');

const HOST = 'reviews.default.svc.cluster.local';
const OTHER = 'ratings.default.svc.cluster.local';
const HTTP = { name: 'http', port: 9080, protocol: 'HTTP' };
const METRICS = { name: 'metrics', port: 15090 };

interface Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

let store: MemoryRegistryStore;
let handler: ReturnType<typeof makeHandler>;

beforeEach(() => {
  store = new MemoryRegistryStore();
  handler = makeHandler({ store });
});

async function get(hostname: string, request: TestRequest = {}): Promise<Result> {
  const event = httpEvent({
    route: '/services/{hostname}/endpoints',
    path: `/services/${hostname}/endpoints`,
    pathParameters: { hostname },
    token: READER,
    ...request,
  });
  return (await handler(event, lambdaContext())) as Result;
}

async function getJson(hostname: string, request: TestRequest = {}) {
  const result = await get(hostname, request);
  assert.equal(result.statusCode, 200, result.body);
  return JSON.parse(result.body);
}

function ep(address: string, port: number, fields: Omit<Endpoint, 'address' | 'port'> = {}): Endpoint {
  return { address, port, ...fields };
}

const registry = (name: string, services: Service[], settings: { clusterId?: string } = {}) =>
  registryWith(store, name, services, settings);

const addresses = (body: { endpoints: { address: string }[] }) => body.endpoints.map((e) => e.address);

describe('GET /services/{hostname}/endpoints', () => {
  test('answers every registry’s endpoints for the hostname, in registration order', async () => {
    await registry('east', [{ hostname: HOST, ports: [HTTP], endpoints: [ep('10.0.0.1', 9080)] }], {
      clusterId: 'east',
    });
    await registry('consul', [
      { hostname: HOST, ports: [HTTP], endpoints: [ep('10.1.0.1', 9080, { healthy: false })] },
    ]);

    const body = await getJson(HOST);

    assert.deepEqual(body, {
      hostname: HOST,
      revision: (await store.currentRevision()).revision,
      endpoints: [
        {
          registry: 'east',
          clusterId: 'east',
          address: '10.0.0.1',
          port: 9080,
          servicePort: HTTP,
          healthy: true,
        },
        { registry: 'consul', address: '10.1.0.1', port: 9080, servicePort: HTTP, healthy: false },
      ],
      errors: [],
    });
  });

  test('filters by port, labels and health together', async () => {
    await registry('east', [
      {
        hostname: HOST,
        ports: [HTTP, METRICS],
        endpoints: [
          ep('10.0.0.1', 9080, { labels: { version: 'v1' } }),
          ep('10.0.0.2', 9080, { labels: { version: 'v2' } }),
          ep('10.0.0.3', 9080, { labels: { version: 'v1' }, healthy: false }),
          ep('10.0.0.1', 15090, { labels: { version: 'v1' } }),
        ],
      },
    ]);

    const body = await getJson(HOST, { query: { port: 'http', labels: 'version=v1', health: 'healthy' } });

    assert.deepEqual(addresses(body), ['10.0.0.1']);
  });

  test('a port number selects the service port, not the endpoint’s own port', async () => {
    await registry('east', [
      { hostname: HOST, ports: [{ name: 'http', port: 80 }], endpoints: [ep('10.0.0.1', 8080)] },
    ]);

    const [byServicePort, byTargetPort] = [
      await getJson(HOST, { query: { port: '80' } }),
      await getJson(HOST, { query: { port: '8080' } }),
    ];

    assert.deepEqual([addresses(byServicePort), addresses(byTargetPort)], [['10.0.0.1'], []]);
  });

  test('a known hostname with nothing matching answers 200 with no endpoints', async () => {
    await registry('east', [{ hostname: HOST, ports: [HTTP], endpoints: [ep('10.0.0.1', 9080)] }]);

    const body = await getJson(HOST, { query: { labels: 'version=v9' } });

    assert.deepEqual(body.endpoints, []);
  });

  test('a hostname no registry serves is 404 ServiceNotFound', async () => {
    await registry('east', [{ hostname: HOST }]);

    const result = await get(OTHER);

    assert.equal(result.statusCode, 404);
    assert.equal(JSON.parse(result.body).error.code, 'ServiceNotFound');
  });

  for (const [parameter, value] of [
    ['port', '0'],
    ['port', '70000'],
    ['port', ''],
    ['health', 'sometimes'],
    ['labels', '=x'],
    ['labels', 'novalue'],
    ['stale', 'maybe'],
    ['limit', '0'],
    ['cursor', 'not-a-cursor'],
  ] as const) {
    test(`${parameter}=${value} is a 400 whose message names ${parameter}`, async () => {
      await registry('east', [{ hostname: HOST }]);

      const result = await get(HOST, { query: { [parameter]: value } });

      assert.equal(result.statusCode, 400);
      assert.match(JSON.parse(result.body).error.message, new RegExp(`^${parameter} `));
    });
  }

  test('a hostname that is not a DNS name is a 400', async () => {
    const result = await get('not a hostname');

    assert.equal(result.statusCode, 400);
  });

  test('a request without a token is 401 and one with an ingest-style wrong token is 401 too', async () => {
    await registry('east', [{ hostname: HOST }]);

    const [none, wrong] = [
      await get(HOST, { token: undefined as unknown as string }),
      await get(HOST, { token: 'nope' }),
    ];

    assert.deepEqual([none.statusCode, wrong.statusCode], [401, 401]);
  });

  test('an admin token may read', async () => {
    await registry('east', [{ hostname: HOST }]);

    const result = await get(HOST, { token: ADMIN });

    assert.equal(result.statusCode, 200);
  });

  test('reports a registry in error with nothing to serve, and serves the others', async () => {
    const { record } = await store.putRegistry('broken', {});
    await store.recordRefresh('broken', {
      incarnation: record.incarnation,
      checkedAt: new Date().toISOString(),
      error: 'connection refused',
    });
    await registry('east', [{ hostname: HOST, endpoints: [ep('10.0.0.1', 9080)] }]);

    const body = await getJson(HOST);

    assert.deepEqual(
      [addresses(body), body.errors],
      [['10.0.0.1'], [{ registry: 'broken', message: 'connection refused' }]],
    );
  });

  test('stale=exclude leaves out the endpoints of stale registries', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    store = new MemoryRegistryStore({ now: () => new Date(now) });
    handler = makeHandler({ store });
    await store.putRegistry('old', { maxAgeSeconds: 60 });
    await store.putSnapshot('old', [{ hostname: HOST, endpoints: [ep('10.0.0.1', 9080)] }]);
    now += 3_600_000;
    await registry('fresh', [{ hostname: HOST, endpoints: [ep('10.0.0.2', 9080)] }]);
    await store.updateFreshness(new Date(now));

    const [included, excluded] = [await getJson(HOST), await getJson(HOST, { query: { stale: 'exclude' } })];

    assert.deepEqual([addresses(included), addresses(excluded)], [['10.0.0.1', '10.0.0.2'], ['10.0.0.2']]);
  });
});

describe('ETags of GET /services/{hostname}/endpoints', () => {
  test('a change to another hostname keeps the ETag, so If-None-Match answers 304', async () => {
    await registry('east', [{ hostname: HOST, endpoints: [ep('10.0.0.1', 9080)] }]);
    await registry('west', [{ hostname: OTHER, endpoints: [ep('10.2.0.1', 9080)] }]);
    const first = await get(HOST);
    await store.putSnapshot('west', [{ hostname: OTHER, endpoints: [ep('10.2.0.2', 9080)] }]);

    const again = await get(HOST, { headers: { 'if-none-match': first.headers.ETag as string } });

    assert.deepEqual([again.statusCode, again.headers.ETag], [304, first.headers.ETag]);
  });

  test('a change to this hostname’s endpoints moves the ETag', async () => {
    await registry('east', [{ hostname: HOST, endpoints: [ep('10.0.0.1', 9080)] }]);
    const first = await get(HOST);
    await store.putSnapshot('east', [
      { hostname: HOST, endpoints: [ep('10.0.0.1', 9080, { healthy: false })] },
    ]);

    const again = await get(HOST, { headers: { 'if-none-match': first.headers.ETag as string } });

    assert.equal(again.statusCode, 200);
    assert.notEqual(again.headers.ETag, first.headers.ETag);
  });

  test('other filters give other ETags', async () => {
    await registry('east', [
      { hostname: HOST, ports: [HTTP, METRICS], endpoints: [ep('10.0.0.1', 9080), ep('10.0.0.1', 15090)] },
    ]);

    const [all, http] = [await get(HOST), await get(HOST, { query: { port: 'http' } })];

    assert.notEqual(all.headers.ETag, http.headers.ETag);
  });
});

describe('paging GET /services/{hostname}/endpoints', () => {
  const many = (count: number, prefix: string) =>
    Array.from({ length: count }, (_, i) => ep(`${prefix}.${Math.floor(i / 250)}.${i % 250}`, 9080));

  test('following nextCursor walks every endpoint once, in order', async () => {
    await registry('east', [{ hostname: HOST, endpoints: many(5, '10.0') }]);
    await registry('west', [{ hostname: HOST, endpoints: many(3, '10.1') }]);
    const whole = addresses(await getJson(HOST));

    const walked: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await getJson(HOST, { query: { limit: '3', ...(cursor ? { cursor } : {}) } });
      walked.push(...addresses(page));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);

    assert.deepEqual([walked, pages], [whole, 3]);
  });

  test('later pages come from the first page’s revision even after a change', async () => {
    await registry('east', [{ hostname: HOST, endpoints: many(4, '10.0') }]);
    const first = await getJson(HOST, { query: { limit: '2' } });
    await store.putSnapshot('east', [{ hostname: HOST, endpoints: many(4, '10.9') }]);

    const second = await getJson(HOST, { query: { limit: '2', cursor: first.nextCursor } });

    assert.deepEqual([second.revision, addresses(second)], [first.revision, ['10.0.0.2', '10.0.0.3']]);
  });

  test('a cursor past the history retention is a 410 RevisionExpired', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    store = new MemoryRegistryStore({ now: () => new Date(now), historyRetentionSeconds: 60 });
    handler = makeHandler({ store });
    await registry('east', [{ hostname: HOST, endpoints: many(4, '10.0') }]);
    const first = await getJson(HOST, { query: { limit: '2' } });
    await store.putSnapshot('east', [{ hostname: HOST, endpoints: many(4, '10.9') }]);
    now += 120_000;
    handler = makeHandler({ store });

    const result = await get(HOST, { query: { limit: '2', cursor: first.nextCursor } });

    assert.deepEqual([result.statusCode, JSON.parse(result.body).error.code], [410, 'RevisionExpired']);
  });

  test('a cursor used with other filters is a 400', async () => {
    await registry('east', [{ hostname: HOST, ports: [HTTP], endpoints: many(4, '10.0') }]);
    const first = await getJson(HOST, { query: { limit: '2' } });

    const result = await get(HOST, { query: { limit: '2', port: 'http', cursor: first.nextCursor } });

    assert.deepEqual([result.statusCode, JSON.parse(result.body).error.code], [400, 'InvalidCursor']);
  });
});

describe('the size of a hostname with 10 registries × 5,000 endpoints', () => {
  let rawBytes = 0;

  beforeEach(async () => {
    for (let r = 0; r < 10; r++) {
      const endpoints = Array.from({ length: 5_000 }, (_, i) =>
        ep(`10.${r}.${Math.floor(i / 250)}.${i % 250}`, 9080, {
          portName: 'http',
          labels: { app: 'reviews', version: `v${i % 3}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` },
          locality: `region/zone-${i % 3}`,
          serviceAccount: 'spiffe://cluster.local/ns/default/sa/reviews',
        }),
      );
      await registry(`cluster-${r}`, [{ hostname: HOST, ports: [HTTP], endpoints }], {
        clusterId: `cluster-${r}`,
      });
    }
  });

  for (const coding of ['gzip', 'br']) {
    test(`fits one Lambda response ${coding}-compressed, every endpoint in it`, async (t) => {
      const result = await get(HOST, { headers: { 'accept-encoding': coding } });

      const bytes = Buffer.from(result.body, 'base64');
      const text = (coding === 'gzip' ? gunzipSync(bytes) : brotliDecompressSync(bytes)).toString('utf8');
      rawBytes = Buffer.byteLength(text);
      assert.deepEqual(
        [result.statusCode, result.headers['Content-Encoding'], JSON.parse(text).endpoints.length],
        [200, coding, 50_000],
      );
      assert.ok(result.body.length < 6_000_000, `${result.body.length} bytes of base64`);
      t.diagnostic(
        `50,000 endpoints: ${rawBytes} bytes uncompressed, ${result.body.length} bytes ${coding}+base64`,
      );
    });
  }

  test('without compression comes in pages that each fit a Lambda response, the first marked truncated', async () => {
    const walked: string[] = [];
    let cursor: string | undefined;
    let first: { truncated?: boolean } | undefined;
    do {
      const result = await get(HOST, cursor ? { query: { cursor } } : {});
      assert.equal(result.statusCode, 200);
      assert.ok(Buffer.byteLength(result.body) <= 6_000_000, `${Buffer.byteLength(result.body)} bytes`);
      const page = JSON.parse(result.body);
      first ??= page;
      walked.push(...addresses(page));
      cursor = page.nextCursor;
    } while (cursor);

    assert.equal(first?.truncated, true);
    assert.equal(walked.length, 50_000);
    assert.equal(new Set(walked).size, 50_000);
  });
});
