/**
 * The discovery routes as a new user tries them over HTTP against the local stack (`npm start`):
 * endpoints with their filters and the port rule, per-hostname 304s, workloads with ?clusterId, the
 * union of service accounts, and the 400/401/403/404 answers. One stack for the whole file.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { SHARED_READER_TOKEN, sharedStack } from '../../helpers/shared-stack.ts';

const READER = SHARED_READER_TOKEN;
const REVIEWS = 'reviews.default.svc.cluster.local';
const RATINGS = 'ratings.default.svc.cluster.local';
const DETAILS = 'details.default.svc.cluster.local';
const SA_REVIEWS = 'spiffe://cluster.local/ns/default/sa/reviews';

let stack: LocalStack;
let ingestTokenOfEast = '';

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

/** What `curl -H 'Authorization: Bearer …' URL` does: one request, the JSON body parsed when there is one. */
async function curl(
  path: string,
  options: { method?: string; token?: string | null; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? READER : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${stack.url}${path}`, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function admin(method: string, path: string, body?: unknown): Promise<Reply> {
  const reply = await curl(path, { method, token: stack.adminToken, body });
  assert.ok(reply.status < 300, `${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
}

const push = (registry: string, services: unknown[]) =>
  admin('PUT', `/registries/${registry}/snapshot`, { services });

/** The consul registry's snapshot; only the address of DETAILS' one endpoint varies. */
const consulServices = (detailsAddress: string) => [
  {
    hostname: REVIEWS,
    ports: [{ name: 'http', port: 9080 }],
    serviceAccounts: ['sa-consul', SA_REVIEWS],
    endpoints: [{ address: '10.0.0.1', port: 9080, portName: 'http', locality: 'dc1' }],
  },
  {
    hostname: DETAILS,
    ports: [{ name: 'http', port: 9080 }],
    endpoints: [{ address: detailsAddress, port: 9080 }],
  },
];

const addresses = (reply: Reply) =>
  reply.body.endpoints.map(
    (e: { registry: string; address: string; port: number }) => `${e.registry}/${e.address}:${e.port}`,
  );

before(async () => {
  stack = (await sharedStack()).stack;
  ingestTokenOfEast = (await admin('PUT', '/registries/east', { clusterId: 'east' })).body.ingestToken;
  await admin('PUT', '/registries/west', { clusterId: 'west' });
  await admin('PUT', '/registries/consul', { provider: 'consul' });
  await push('east', [
    {
      hostname: REVIEWS,
      ports: [
        { name: 'http', port: 9080, protocol: 'HTTP' },
        { name: 'grpc', port: 9090, protocol: 'GRPC' },
      ],
      serviceAccounts: [SA_REVIEWS],
      endpoints: [
        {
          address: '10.0.0.1',
          port: 8080,
          portName: 'http',
          labels: { version: 'v1' },
          serviceAccount: 'sa-east-v1',
        },
        { address: '10.0.0.2', port: 9090, labels: { version: 'v2' }, healthy: false },
        { address: '10.0.0.3', port: 7000, labels: { version: 'v1' } },
      ],
    },
    {
      hostname: RATINGS,
      ports: [{ name: 'http', port: 9080 }],
      endpoints: [{ address: '10.0.0.1', port: 9080 }],
    },
  ]);
  await push('west', [
    {
      hostname: REVIEWS,
      ports: [{ name: 'http', port: 9080 }],
      endpoints: [{ address: '10.1.0.1', port: 8080, labels: { version: 'v1' }, serviceAccount: 'sa-west' }],
    },
  ]);
  await push('consul', consulServices('10.2.0.1'));
});

describe('GET /services/{hostname}/endpoints over the local stack', () => {
  test('lists every registry’s endpoints in registration order, clustered and not', async () => {
    const reply = await curl(`/services/${REVIEWS}/endpoints`);

    assert.equal(reply.status, 200);
    assert.deepEqual(addresses(reply), [
      'east/10.0.0.1:8080',
      'east/10.0.0.2:9090',
      'east/10.0.0.3:7000',
      'west/10.1.0.1:8080',
      'consul/10.0.0.1:9080',
    ]);
    assert.deepEqual(reply.body.endpoints[0], {
      registry: 'east',
      clusterId: 'east',
      address: '10.0.0.1',
      port: 8080,
      portName: 'http',
      servicePort: { name: 'http', port: 9080, protocol: 'HTTP' },
      labels: { version: 'v1' },
      serviceAccount: 'sa-east-v1',
      healthy: true,
    });
    assert.deepEqual(reply.body.errors, []);
  });

  test('the port rule: by portName, by the only port, by number, else none', async () => {
    const http = await curl(`/services/${REVIEWS}/endpoints?port=http`);
    const byNumber = await curl(`/services/${REVIEWS}/endpoints?port=9090`);

    // east 10.0.0.3:7000 has no portName, east has two ports and none is 7000: it belongs to none.
    assert.deepEqual(addresses(http), ['east/10.0.0.1:8080', 'west/10.1.0.1:8080', 'consul/10.0.0.1:9080']);
    assert.deepEqual(addresses(byNumber), ['east/10.0.0.2:9090']);
  });

  test('labels and health filter, and healthy_or_else_all falls back to all', async () => {
    const v1Healthy = await curl(`/services/${REVIEWS}/endpoints?labels=version%3Dv1&health=healthy`);
    const grpcHealthyOrAll = await curl(
      `/services/${REVIEWS}/endpoints?port=grpc&health=healthy_or_else_all`,
    );
    const grpcHealthy = await curl(`/services/${REVIEWS}/endpoints?port=grpc&health=healthy`);

    assert.deepEqual(addresses(v1Healthy), [
      'east/10.0.0.1:8080',
      'east/10.0.0.3:7000',
      'west/10.1.0.1:8080',
    ]);
    assert.deepEqual([addresses(grpcHealthyOrAll), addresses(grpcHealthy)], [['east/10.0.0.2:9090'], []]);
  });

  for (const query of ['port=0', 'port=70000', 'port=', 'health=sometimes', 'labels==x', 'labels=novalue']) {
    test(`?${query} is a 400 naming the parameter`, async () => {
      const reply = await curl(`/services/${REVIEWS}/endpoints?${query}`);

      assert.equal(reply.status, 400);
      assert.match(reply.body.error.message, new RegExp(`^${query.split('=')[0]} `));
    });
  }

  test('a hostname no registry serves is a 404 ServiceNotFound', async () => {
    const reply = await curl('/services/nope.default.svc.cluster.local/endpoints');

    assert.deepEqual([reply.status, reply.body.error.code], [404, 'ServiceNotFound']);
  });

  test('no token is a 401 and a registry’s ingest token is a 403', async () => {
    const none = await curl(`/services/${REVIEWS}/endpoints`, { token: null });
    const ingest = await curl(`/services/${REVIEWS}/endpoints`, { token: ingestTokenOfEast });

    assert.deepEqual([none.status, ingest.status], [401, 403]);
  });

  test('pages with limit and nextCursor add up to the whole list', async () => {
    const whole = addresses(await curl(`/services/${REVIEWS}/endpoints`));
    const walked: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await curl(`/services/${REVIEWS}/endpoints?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      walked.push(...addresses(page));
      cursor = page.body.nextCursor;
    } while (cursor);

    assert.deepEqual(walked, whole);
  });
});

describe('ETags per hostname over the local stack', () => {
  test('a push that changes another hostname answers 304 to If-None-Match', async () => {
    const first = await curl(`/services/${DETAILS}/endpoints`);
    const etag = first.headers.get('etag') ?? '';
    await push('west', [
      {
        hostname: REVIEWS,
        ports: [{ name: 'http', port: 9080 }],
        endpoints: [
          { address: '10.1.0.1', port: 8080, labels: { version: 'v1' }, serviceAccount: 'sa-west' },
        ],
      },
      { hostname: 'new.default.svc.cluster.local', endpoints: [{ address: '10.1.9.9', port: 80 }] },
    ]);

    const again = await curl(`/services/${DETAILS}/endpoints`, { headers: { 'if-none-match': etag } });

    assert.ok(etag);
    assert.equal(again.status, 304);
  });

  test('a push that changes this hostname’s endpoints answers 200 with another ETag', async () => {
    const first = await curl(`/services/${DETAILS}/endpoints`);
    const etag = first.headers.get('etag') ?? '';
    await push('consul', consulServices('10.2.0.2'));

    const again = await curl(`/services/${DETAILS}/endpoints`, { headers: { 'if-none-match': etag } });

    assert.equal(again.status, 200);
    assert.notEqual(again.headers.get('etag'), etag);
    assert.deepEqual(addresses(again), ['consul/10.2.0.2:9080']);
  });
});

describe('GET /workloads/{address} over the local stack', () => {
  test('finds every service instance at the address, across registries', async () => {
    const reply = await curl('/workloads/10.0.0.1');

    assert.equal(reply.status, 200);
    assert.deepEqual(
      reply.body.instances.map((i: { registry: string; hostname: string }) => `${i.registry}/${i.hostname}`),
      [`east/${REVIEWS}`, `east/${RATINGS}`, `consul/${REVIEWS}`],
    );
  });

  test('?clusterId skips other clusters but keeps registries without one', async () => {
    const reply = await curl('/workloads/10.0.0.1?clusterId=west');

    assert.deepEqual(
      reply.body.instances.map((i: { registry: string }) => i.registry),
      ['consul'],
    );
  });

  test('an unknown address is 200 with no instances, and a malformed one a 400', async () => {
    const unknown = await curl('/workloads/10.9.9.9');
    const malformed = await curl('/workloads/not_an%20address');

    assert.deepEqual([unknown.status, unknown.body.instances, malformed.status], [200, [], 400]);
  });
});

describe('GET /services/{hostname}/service-accounts over the local stack', () => {
  test('is the union of every registry’s accounts in first-seen order', async () => {
    const reply = await curl(`/services/${REVIEWS}/service-accounts`);

    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.serviceAccounts, [SA_REVIEWS, 'sa-east-v1', 'sa-west', 'sa-consul']);
  });

  test('?port keeps the services with that port and their endpoints of it', async () => {
    const grpc = await curl(`/services/${REVIEWS}/service-accounts?port=grpc`);
    const repeated = await curl(`/services/${REVIEWS}/service-accounts?port=grpc&port=9080`);

    assert.deepEqual(grpc.body.serviceAccounts, [SA_REVIEWS]);
    assert.deepEqual(repeated.body.serviceAccounts, [SA_REVIEWS, 'sa-east-v1', 'sa-west', 'sa-consul']);
  });

  test('an unknown hostname is a 404 and a bad port a 400', async () => {
    const unknown = await curl('/services/nope.default.svc.cluster.local/service-accounts');
    const bad = await curl(`/services/${REVIEWS}/service-accounts?port=0`);

    assert.deepEqual([unknown.status, bad.status], [404, 400]);
  });
});

describe('large answers over the local stack', () => {
  test('come gzip-compressed when the client accepts it', async () => {
    const endpoints = Array.from({ length: 3_000 }, (_, i) => ({
      address: `10.5.${Math.floor(i / 250)}.${i % 250}`,
      port: 9080,
      labels: { app: 'big', version: `v${i % 3}` },
    }));
    await admin('PUT', '/registries/big', {});
    await push('big', [{ hostname: 'big.default.svc.cluster.local', ports: [{ port: 9080 }], endpoints }]);

    const response = await fetch(`${stack.url}/services/big.default.svc.cluster.local/endpoints`, {
      headers: { authorization: `Bearer ${READER}`, 'accept-encoding': 'gzip' },
    });
    const body = (await response.json()) as { endpoints: unknown[] };

    assert.equal(response.headers.get('content-encoding'), 'gzip');
    assert.equal(body.endpoints.length, 3_000);
  });
});
