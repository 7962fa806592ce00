/**
 * The contract test: every route of the local stack (`npm start`), success and error statuses, answered
 * as openapi.json documents it — status, content type and body (closed schemas, so an undocumented
 * field or error code fails). A route another change adds gets its checks here, one line each.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { type CallOptions, call, type RouteKey } from '../../helpers/contract.ts';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { SHARED_READER_TOKEN, sharedStack } from '../../helpers/shared-stack.ts';

const READER = SHARED_READER_TOKEN;
const HOST = 'reviews.default.svc.cluster.local';
let stack: LocalStack;
let ingestToken = '';

const admin = (options: CallOptions = {}) => ({ token: stack.adminToken, ...options });
const api = (route: RouteKey, options?: CallOptions) => call(stack.url, route, options);

before(async () => {
  stack = (await sharedStack()).stack;
  const created = await api(
    'PUT /registries/{name}',
    admin({ params: { name: 'east' }, body: { clusterId: 'east', provider: 'kubernetes' } }),
  );
  ingestToken = created.body.ingestToken;
  await api('PUT /registries/{name}', admin({ params: { name: 'west' }, body: { clusterId: 'west' } }));
  await api('PUT /registries/{name}/snapshot', {
    token: ingestToken,
    params: { name: 'east' },
    body: {
      services: [
        { hostname: HOST, address: '10.0.0.1', ports: [{ name: 'http', port: 9080, protocol: 'HTTP' }] },
      ],
    },
  });
  await api(
    'PUT /registries/{name}/snapshot',
    admin({
      params: { name: 'west' },
      body: { services: [{ hostname: HOST, address: '10.1.0.1', ports: [{ name: 'http', port: 9090 }] }] },
    }),
  );
});

/** Calls the route and asserts the status; the contract check itself is in `call`. */
async function expect(status: number, route: RouteKey, options?: CallOptions, code?: string) {
  const response = await api(route, options);
  assert.equal(response.status, status, response.text.slice(0, 300));
  if (code) assert.equal(response.body.error.code, code);
  return response;
}

/** One line per documented status: `test('…', answers(404, 'GET /x', options, 'Code'))`. */
const answers =
  (status: number, route: RouteKey, options?: () => CallOptions, code?: string) =>
  async (): Promise<void> => {
    await expect(status, route, options?.(), code);
  };

describe('PUT /registries/{name}', () => {
  const put = (name: string, body: unknown, token = stack.adminToken): CallOptions => ({
    token,
    params: { name },
    body,
  });
  test(
    '201 with the ingest token when created',
    answers(201, 'PUT /registries/{name}', () => put('new-one', {})),
  );
  test(
    '200 when updated',
    answers(200, 'PUT /registries/{name}', () =>
      put('west', { clusterId: 'west', description: 'the west cluster' }),
    ),
  );
  test(
    '400 InvalidBody for an unknown field',
    answers(400, 'PUT /registries/{name}', () => put('x', { clusterID: 'x' }), 'InvalidBody'),
  );
  test(
    '400 MalformedJson for a body that is not JSON',
    answers(400, 'PUT /registries/{name}', () => put('x', '{nope'), 'MalformedJson'),
  );
  test(
    '400 InvalidRegistryName for a name that is not a DNS label',
    answers(400, 'PUT /registries/{name}', () => put('Not_A_Label', {}), 'InvalidRegistryName'),
  );
  test(
    '401 without a token',
    answers(401, 'PUT /registries/{name}', () => ({ params: { name: 'x' }, body: {} }), 'Unauthorized'),
  );
  test(
    '403 with the reader token',
    answers(403, 'PUT /registries/{name}', () => put('x', {}, READER), 'Forbidden'),
  );
  test(
    '415 for a body sent as text/plain',
    answers(415, 'PUT /registries/{name}', () => ({
      ...put('x', '{}'),
      headers: { 'content-type': 'text/plain' },
    })),
  );
});

describe('GET /registries and /registries/{name}', () => {
  test(
    '200 lists the registries',
    answers(200, 'GET /registries', () => ({ token: READER })),
  );
  test(
    '401 with a wrong token',
    answers(401, 'GET /registries', () => ({ token: 'wrong' }), 'Unauthorized'),
  );
  test(
    '200 shows one registry',
    answers(200, 'GET /registries/{name}', () => ({ token: READER, params: { name: 'east' } })),
  );
  test(
    '404 for an unknown registry',
    answers(
      404,
      'GET /registries/{name}',
      () => ({ token: READER, params: { name: 'nope' } }),
      'RegistryNotFound',
    ),
  );
  test(
    '403 with an ingest token',
    answers(
      403,
      'GET /registries/{name}',
      () => ({ token: ingestToken, params: { name: 'east' } }),
      'Forbidden',
    ),
  );
});

describe('PUT /registries/{name}/snapshot', () => {
  // Keeps the endpoint of the first snapshot, which the discovery routes below read.
  const services = [
    {
      hostname: HOST,
      address: '10.0.0.1',
      ports: [{ name: 'http', port: 9080 }],
      endpoints: [{ address: '10.0.5.1', port: 8080 }],
    },
  ];
  const push = (name: string, body: unknown, token = ingestToken): CallOptions => ({
    token,
    params: { name },
    body,
  });
  test(
    '200 with the stored generation',
    answers(200, 'PUT /registries/{name}/snapshot', () => push('east', { services })),
  );
  test('400 InvalidBody naming the field', async () => {
    const body = { services: [{ hostname: HOST, ports: [{ port: 70000 }] }] };
    const response = await expect(400, 'PUT /registries/{name}/snapshot', push('east', body), 'InvalidBody');
    assert.match(response.body.error.message, /services\[0\]\.ports\[0\]\.port/);
  });
  test(
    '409 StaleGeneration for a generation not newer',
    answers(
      409,
      'PUT /registries/{name}/snapshot',
      () => push('east', { services, generation: 1 }),
      'StaleGeneration',
    ),
  );
  test(
    "403 with another registry's ingest token",
    answers(403, 'PUT /registries/{name}/snapshot', () => push('west', { services }), 'Forbidden'),
  );
  test(
    '404 for an unknown registry (admin)',
    answers(
      404,
      'PUT /registries/{name}/snapshot',
      () => push('nope', { services }, stack.adminToken),
      'RegistryNotFound',
    ),
  );
});

describe('POST /registries/{name}/token and /refresh', () => {
  test(
    '200 rotates the token',
    answers(200, 'POST /registries/{name}/token', () => admin({ params: { name: 'new-one' } })),
  );
  test(
    '404 rotating an unknown registry',
    answers(
      404,
      'POST /registries/{name}/token',
      () => admin({ params: { name: 'nope' } }),
      'RegistryNotFound',
    ),
  );
  test(
    '409 NoSource refreshing a push-only registry',
    answers(409, 'POST /registries/{name}/refresh', () => admin({ params: { name: 'west' } }), 'NoSource'),
  );
  test(
    '404 refreshing an unknown registry',
    answers(
      404,
      'POST /registries/{name}/refresh',
      () => admin({ params: { name: 'nope' } }),
      'RegistryNotFound',
    ),
  );
});

describe('GET /services and /services/{hostname}', () => {
  test('200 with the merged view', async () => {
    const response = await expect(200, 'GET /services', { token: READER });
    assert.deepEqual(response.body.services[0].clusterVIPs, { east: '10.0.0.1', west: '10.1.0.1' });
  });
  test('304 for a matching If-None-Match', async () => {
    const first = await expect(200, 'GET /services', { token: READER });
    await expect(304, 'GET /services', {
      token: READER,
      headers: { 'if-none-match': first.headers.get('etag') ?? '' },
    });
  });
  test(
    '400 InvalidQuery for a bad stale parameter',
    answers(400, 'GET /services', () => ({ token: READER, query: { stale: 'sometimes' } }), 'InvalidQuery'),
  );
  test(
    '200 with one service',
    answers(200, 'GET /services/{hostname}', () => ({ token: READER, params: { hostname: HOST } })),
  );
  test(
    '404 ServiceNotFound for an unknown hostname',
    answers(
      404,
      'GET /services/{hostname}',
      () => ({ token: READER, params: { hostname: 'nope.example' } }),
      'ServiceNotFound',
    ),
  );
  test(
    '400 InvalidHostname for a hostname that is not a DNS name',
    answers(
      400,
      'GET /services/{hostname}',
      () => ({ token: READER, params: { hostname: 'a b' } }),
      'InvalidHostname',
    ),
  );
});

describe('GET /changes, GET /conflicts and POST /preview', () => {
  test(
    '200 with the changes since revision 0',
    answers(200, 'GET /changes', () => ({ token: READER, query: { since: '0' } })),
  );
  test(
    '400 InvalidQuery without since',
    answers(400, 'GET /changes', () => ({ token: READER }), 'InvalidQuery'),
  );
  test(
    '410 RevisionNotReached for a revision not reached yet',
    answers(410, 'GET /changes', () => ({ token: READER, query: { since: '999999' } }), 'RevisionNotReached'),
  );
  test('200 with the conflicts per hostname', async () => {
    const response = await expect(200, 'GET /conflicts', { token: READER });
    assert.equal(response.body.conflicts[0].hostname, HOST);
  });
  test(
    '400 InvalidHostname for a bad hostname filter',
    answers(400, 'GET /conflicts', () => ({ token: READER, query: { hostname: 'a b' } }), 'InvalidHostname'),
  );
  test(
    '200 with what a deletion would change',
    answers(200, 'POST /preview', () => admin({ body: { registry: 'west', delete: true } })),
  );
  test(
    '404 previewing an unknown registry',
    answers(
      404,
      'POST /preview',
      () => admin({ body: { registry: 'nope', delete: true } }),
      'RegistryNotFound',
    ),
  );
  test(
    '400 InvalidBody for an invalid candidate',
    answers(400, 'POST /preview', () => admin({ body: { registry: 'west', services: [{}] } }), 'InvalidBody'),
  );
});

describe('the discovery routes', () => {
  const host = (extra: CallOptions = {}): CallOptions => ({
    token: READER,
    params: { hostname: HOST },
    ...extra,
  });
  test(
    'endpoints: 200',
    answers(200, 'GET /services/{hostname}/endpoints', () => host()),
  );
  test(
    'endpoints: 400 InvalidQuery for port=0',
    answers(400, 'GET /services/{hostname}/endpoints', () => host({ query: { port: '0' } }), 'InvalidQuery'),
  );
  test(
    'endpoints: 404 ServiceNotFound',
    answers(
      404,
      'GET /services/{hostname}/endpoints',
      () => ({ token: READER, params: { hostname: 'nope.example' } }),
      'ServiceNotFound',
    ),
  );
  test('workloads: 200 with the instances at an address', async () => {
    const response = await expect(200, 'GET /workloads/{address}', {
      token: READER,
      params: { address: '10.0.5.1' },
    });
    assert.equal(response.body.instances[0].hostname, HOST);
  });
  test(
    'workloads: 400 InvalidAddress',
    answers(
      400,
      'GET /workloads/{address}',
      () => ({ token: READER, params: { address: 'not an address' } }),
      'InvalidAddress',
    ),
  );
  test(
    'service accounts: 200',
    answers(200, 'GET /services/{hostname}/service-accounts', () => host()),
  );
  test(
    'service accounts: 404 ServiceNotFound',
    answers(
      404,
      'GET /services/{hostname}/service-accounts',
      () => ({ token: READER, params: { hostname: 'nope.example' } }),
      'ServiceNotFound',
    ),
  );
});

describe('the exports', () => {
  test(
    'istio: 200 JSON',
    answers(200, 'GET /exports/istio', () => ({ token: READER })),
  );
  test('istio: 200 YAML with Accept: application/yaml', async () => {
    const response = await expect(200, 'GET /exports/istio', {
      token: READER,
      headers: { accept: 'application/yaml' },
    });
    assert.match(response.text, /kind: List/);
  });
  test(
    'istio: 400 InvalidQuery for a bad namespace',
    answers(
      400,
      'GET /exports/istio',
      () => ({ token: READER, query: { namespace: 'Not_A_Label' } }),
      'InvalidQuery',
    ),
  );
  test(
    'prometheus: 200 target groups',
    answers(200, 'GET /exports/prometheus', () => ({ token: READER })),
  );
  test(
    'prometheus: 400 InvalidQuery for a bad health filter',
    answers(
      400,
      'GET /exports/prometheus',
      () => ({ token: READER, query: { health: 'sometimes' } }),
      'InvalidQuery',
    ),
  );
});

describe('DELETE /registries/{name}', () => {
  test(
    '204 deletes',
    answers(204, 'DELETE /registries/{name}', () => admin({ params: { name: 'new-one' } })),
  );
  test(
    '404 for an unknown registry',
    answers(404, 'DELETE /registries/{name}', () => admin({ params: { name: 'nope' } }), 'RegistryNotFound'),
  );
});

describe('the routes that need no token', () => {
  test('GET /health answers 200 while the table answers', answers(200, 'GET /health'));
  test('GET /openapi.json serves the committed description', async () => {
    const response = await expect(200, 'GET /openapi.json');
    assert.deepEqual(response.body, JSON.parse(readFileSync('openapi.json', 'utf8')));
  });
  test('GET / serves the dashboard page with a Content-Security-Policy', async () => {
    const response = await expect(200, 'GET /');
    assert.match(
      response.headers.get('content-security-policy') ?? '',
      /default-src 'none'.*script-src 'sha256-/,
    );
    assert.match(response.text, /<label for="token">Token<\/label>/);
  });
});
