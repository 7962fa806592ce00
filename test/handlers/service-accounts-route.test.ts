/** GET /services/{hostname}/service-accounts in-process, over the in-memory store. */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { READER } from '../helpers/handler-env.ts';
import { httpEvent, lambdaContext, type TestRequest } from '../helpers/http-event.ts';
import { bodyOf, type Result, registryWith } from '../helpers/query-routes.ts';

const { makeHandler } = await import('../../functions/query/get-service-accounts.ts');

const HOST = 'reviews.default.svc.cluster.local';
const HTTP = { name: 'http', port: 9080 };
const GRPC = { name: 'grpc', port: 9090 };

let store: MemoryRegistryStore;
let handler: ReturnType<typeof makeHandler>;

beforeEach(async () => {
  store = new MemoryRegistryStore();
  handler = makeHandler({ store });
  await registry(
    'east',
    [
      {
        hostname: HOST,
        ports: [HTTP, GRPC],
        serviceAccounts: ['sa-reviews'],
        endpoints: [
          { address: '10.0.0.1', port: 9080, serviceAccount: 'sa-http' },
          { address: '10.0.0.2', port: 9090, serviceAccount: 'sa-grpc' },
        ],
      },
    ],
    'east',
  );
  await registry('consul', [{ hostname: HOST, ports: [GRPC], serviceAccounts: ['sa-consul', 'sa-reviews'] }]);
});

const registry = (name: string, services: Service[], clusterId?: string) =>
  registryWith(store, name, services, clusterId ? { clusterId } : {});

async function get(hostname: string, request: TestRequest = {}): Promise<Result> {
  const event = httpEvent({
    route: '/services/{hostname}/service-accounts',
    path: `/services/${hostname}/service-accounts`,
    pathParameters: { hostname },
    token: READER,
    ...request,
  });
  return (await handler(event, lambdaContext())) as Result;
}

describe('GET /services/{hostname}/service-accounts', () => {
  test('answers the union of every registry’s accounts, in first-seen order', async () => {
    const result = await get(HOST);

    assert.equal(result.statusCode, 200);
    assert.deepEqual(bodyOf(result), {
      hostname: HOST,
      revision: (await store.currentRevision()).revision,
      serviceAccounts: ['sa-reviews', 'sa-http', 'sa-grpc', 'sa-consul'],
      errors: [],
    });
  });

  test('port keeps the services with that port and their endpoints of it', async () => {
    const result = await get(HOST, { query: { port: 'http' } });

    assert.deepEqual(bodyOf(result).serviceAccounts, ['sa-reviews', 'sa-http']);
  });

  test('several ports, comma separated (as API Gateway joins a repeated one), select their union', async () => {
    const result = await get(HOST, { query: { port: '9090,http' } });

    assert.deepEqual(bodyOf(result).serviceAccounts, ['sa-reviews', 'sa-http', 'sa-grpc', 'sa-consul']);
  });

  test('a hostname no registry serves is 404 ServiceNotFound', async () => {
    const result = await get('nope.default.svc.cluster.local');

    assert.deepEqual([result.statusCode, bodyOf(result).error.code], [404, 'ServiceNotFound']);
  });

  for (const port of ['0', '', '80,,http']) {
    test(`port=${port} is a 400 naming port`, async () => {
      const result = await get(HOST, { query: { port } });

      assert.equal(result.statusCode, 400);
      assert.match(bodyOf(result).error.message, /^port /);
    });
  }

  test('the ETag moves when the accounts change', async () => {
    const first = await get(HOST);
    await store.putSnapshot('consul', [{ hostname: HOST, ports: [GRPC], serviceAccounts: ['sa-new'] }]);

    const again = await get(HOST, { headers: { 'if-none-match': first.headers.ETag as string } });

    assert.equal(again.statusCode, 200);
    assert.notEqual(again.headers.ETag, first.headers.ETag);
  });
});
