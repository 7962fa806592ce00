/** GET /workloads/{address} in-process, over the in-memory store. */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { READER } from '../helpers/handler-env.ts';
import { httpEvent, lambdaContext, type TestRequest } from '../helpers/http-event.ts';
import { bodyOf, type Result, registryWith } from '../helpers/query-routes.ts';

const { makeHandler } = await import('../../functions/query/get-workload.ts');

const HOST = 'reviews.default.svc.cluster.local';
const OTHER = 'ratings.default.svc.cluster.local';
const HTTP = { name: 'http', port: 9080 };

let store: MemoryRegistryStore;
let handler: ReturnType<typeof makeHandler>;

beforeEach(async () => {
  store = new MemoryRegistryStore();
  handler = makeHandler({ store });
  await registry(
    'east',
    [{ hostname: HOST, ports: [HTTP], endpoints: [{ address: '10.0.0.1', port: 9080 }] }],
    'east',
  );
  await registry('consul', [
    { hostname: OTHER, endpoints: [{ address: '10.0.0.1', port: 80, healthy: false }] },
  ]);
  await registry(
    'west',
    [
      {
        hostname: HOST,
        ports: [HTTP],
        endpoints: [{ address: '10.0.0.1', port: 9080, portName: 'http', labels: { v: '2' } }],
      },
    ],
    'west',
  );
});

const registry = (name: string, services: Service[], clusterId?: string) =>
  registryWith(store, name, services, clusterId ? { clusterId } : {});

async function get(address: string, request: TestRequest = {}): Promise<Result> {
  const event = httpEvent({
    route: '/workloads/{address}',
    path: `/workloads/${address}`,
    pathParameters: { address },
    token: READER,
    ...request,
  });
  return (await handler(event, lambdaContext())) as Result;
}

describe('GET /workloads/{address}', () => {
  test('lists every endpoint at the address across registries, in registration order', async () => {
    const result = await get('10.0.0.1');

    assert.equal(result.statusCode, 200);
    assert.deepEqual(bodyOf(result), {
      address: '10.0.0.1',
      revision: (await store.currentRevision()).revision,
      instances: [
        { hostname: HOST, registry: 'east', clusterId: 'east', port: 9080, servicePort: HTTP, healthy: true },
        { hostname: OTHER, registry: 'consul', port: 80, healthy: false },
        {
          hostname: HOST,
          registry: 'west',
          clusterId: 'west',
          port: 9080,
          portName: 'http',
          servicePort: HTTP,
          labels: { v: '2' },
          healthy: true,
        },
      ],
      errors: [],
    });
  });

  test('clusterId skips registries of other clusters and keeps unclustered ones', async () => {
    const result = await get('10.0.0.1', { query: { clusterId: 'west' } });

    assert.deepEqual(
      bodyOf(result).instances.map((i: { registry: string }) => i.registry),
      ['consul', 'west'],
    );
  });

  test('an address no endpoint has answers 200 with no instances', async () => {
    const result = await get('10.9.9.9');

    assert.deepEqual([result.statusCode, bodyOf(result).instances], [200, []]);
  });

  test('an IPv6 address and a DNS name are addresses too', async () => {
    const [v6, dns] = [await get('fd00::1'), await get('db.example.com')];

    assert.deepEqual([v6.statusCode, dns.statusCode], [200, 200]);
  });

  for (const address of ['not an address', '10.0.0.1/32', '../registries']) {
    test(`"${address}" is a 400`, async () => {
      const result = await get(address);

      assert.deepEqual([result.statusCode, bodyOf(result).error.code], [400, 'InvalidAddress']);
    });
  }

  test('a bad clusterId is a 400 naming it', async () => {
    const result = await get('10.0.0.1', { query: { clusterId: '' } });

    assert.equal(result.statusCode, 400);
    assert.match(bodyOf(result).error.message, /^clusterId /);
  });

  test('the ETag stays while the address’s instances do, and 304 answers a match', async () => {
    const first = await get('10.0.0.1');
    await store.putSnapshot('consul', [
      {
        hostname: OTHER,
        endpoints: [
          { address: '10.0.0.1', port: 80, healthy: false },
          { address: '10.0.0.7', port: 80 },
        ],
      },
    ]);

    const again = await get('10.0.0.1', { headers: { 'if-none-match': first.headers.ETag as string } });

    assert.equal(again.statusCode, 304);
  });

  test('a request without a token is 401', async () => {
    const result = await get('10.0.0.1', { token: 'wrong' });

    assert.equal(result.statusCode, 401);
  });
});
