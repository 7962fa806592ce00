/** The export routes in-process, on the in-memory store, as API Gateway would call them. */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';

process.env.ADMIN_TOKEN = 'admin-secret-for-export-tests';
process.env.READER_TOKEN = 'reader-secret-for-export-tests';
process.env.TABLE_NAME ??= 'unused-by-in-process-tests';

const { makeHandler: makeIstio } = await import('../../functions/exports/export-istio.ts');
const { makeHandler: makePrometheus } = await import('../../functions/exports/export-prometheus.ts');
const { MemoryRegistryStore } = await import('../../functions/store/memory-store.ts');
const { httpEvent, lambdaContext } = await import('../helpers/http-event.ts');

const READER = 'reader-secret-for-export-tests';
type Store = InstanceType<typeof MemoryRegistryStore>;

let store: Store;
let clock: Date;

beforeEach(async () => {
  clock = new Date('2026-01-01T00:00:00Z');
  store = new MemoryRegistryStore({ now: () => clock });
  await store.putRegistry('east', { clusterId: 'east', network: 'net-east', maxAgeSeconds: 300 });
  await store.putSnapshot('east', [
    {
      hostname: 'reviews.default.svc.cluster.local',
      address: '10.0.0.10',
      namespace: 'default',
      ports: [{ name: 'http', port: 9080, protocol: 'HTTP' }],
      endpoints: [
        { address: '10.1.0.1', port: 9080, labels: { app: 'reviews' } },
        { address: 'fd00::2', port: 9080, healthy: false },
      ],
    },
  ]);
});

async function istio(request: {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  token?: string;
}) {
  const event = httpEvent({ route: '/exports/istio', token: READER, ...request });
  return makeIstio({ store })(event, lambdaContext());
}

async function prometheus(request: { query?: Record<string, string>; headers?: Record<string, string> }) {
  const event = httpEvent({ route: '/exports/prometheus', token: READER, ...request });
  return makePrometheus({ store })(event, lambdaContext());
}

function errorCode(result: { body?: string | undefined }): string {
  return (JSON.parse(result.body ?? '{}') as { error: { code: string } }).error.code;
}

describe('GET /exports/istio', () => {
  test('answers a JSON List of ServiceEntry in istio-system, with the healthy endpoints and the network', async () => {
    // Act
    const result = await istio({});

    // Assess
    assert.equal(result.statusCode, 200);
    assert.match(result.headers?.['Content-Type'] as string, /application\/json/);
    const list = JSON.parse(result.body ?? '');
    assert.equal(list.kind, 'List');
    assert.equal(list.items[0].metadata.namespace, 'istio-system');
    assert.deepEqual(list.items[0].spec.endpoints, [
      {
        address: '10.1.0.1',
        ports: { http: 9080 },
        labels: { app: 'reviews', 'topology.istio.io/cluster': 'east' },
        network: 'net-east',
      },
    ]);
  });

  test('answers the same object as YAML for Accept: application/yaml', async () => {
    // Act
    const asJson = await istio({});
    const asYaml = await istio({ headers: { accept: 'application/yaml' } });

    // Assess
    assert.equal(asYaml.statusCode, 200);
    assert.equal(asYaml.headers?.['Content-Type'], 'application/yaml');
    assert.deepEqual(parseYaml(asYaml.body ?? ''), JSON.parse(asJson.body ?? ''));
    assert.notEqual(asYaml.headers?.ETag, asJson.headers?.ETag);
  });

  test('?namespace= and ?health=all shape the objects', async () => {
    // Act
    const result = await istio({ query: { namespace: 'mesh-exports', health: 'all' } });

    // Assess
    const list = JSON.parse(result.body ?? '');
    assert.equal(list.items[0].metadata.namespace, 'mesh-exports');
    assert.deepEqual(
      list.items[0].spec.endpoints.map((entry: { address: string }) => entry.address),
      ['10.1.0.1', 'fd00::2'],
    );
  });

  for (const query of [
    { namespace: 'Istio_System' },
    { namespace: '' },
    { health: 'sometimes' },
    { stale: 'no' },
  ]) {
    test(`a bad parameter ${JSON.stringify(query)} is a 400 that names it`, async () => {
      // Act
      const result = await istio({ query });

      // Assess
      assert.equal(result.statusCode, 400);
      assert.equal(errorCode(result), 'InvalidQuery');
      assert.match(JSON.parse(result.body ?? '').error.message, new RegExp(Object.keys(query)[0] as string));
    });
  }

  test('without a token the answer is 401', async () => {
    // Act
    const result = await makeIstio({ store })(httpEvent({ route: '/exports/istio' }), lambdaContext());

    // Assess
    assert.equal(result.statusCode, 401);
  });

  test('the ETag follows the content: a revision that changes nothing exported keeps it, and 304 follows', async () => {
    // Prepare
    const before = await istio({});
    await store.putRegistry('empty', {});

    // Act
    const after = await istio({ headers: { 'if-none-match': before.headers?.ETag as string } });

    // Assess
    assert.equal(after.statusCode, 304);
  });

  test('the ETag moves when an exported endpoint changes', async () => {
    // Prepare
    const before = await istio({});
    await store.putSnapshot('east', [
      { hostname: 'reviews.default.svc.cluster.local', ports: [{ port: 80 }] },
    ]);

    // Act
    const after = await istio({ headers: { 'if-none-match': before.headers?.ETag as string } });

    // Assess
    assert.equal(after.statusCode, 200);
    assert.notEqual(after.headers?.ETag, before.headers?.ETag);
  });

  test('?stale=exclude leaves out the services of stale registries', async () => {
    // Prepare
    clock = new Date('2026-01-01T01:00:00Z');
    await store.updateFreshness(clock);

    // Act
    const included = JSON.parse((await istio({})).body ?? '');
    const excluded = JSON.parse((await istio({ query: { stale: 'exclude' } })).body ?? '');

    // Assess
    assert.equal(included.items.length, 1);
    assert.equal(excluded.items.length, 0);
  });
});

describe('GET /exports/prometheus', () => {
  test('answers every endpoint as a target group, unhealthy ones too', async () => {
    // Act
    const result = await prometheus({});

    // Assess
    assert.equal(result.statusCode, 200);
    assert.match(result.headers?.['Content-Type'] as string, /application\/json/);
    const groups = JSON.parse(result.body ?? '');
    assert.deepEqual(
      groups.map((group: { targets: string[] }) => group.targets),
      [['10.1.0.1:9080'], ['[fd00::2]:9080']],
    );
    assert.equal(groups[1].labels.__meta_aggregate_healthy, 'false');
  });

  test('?health=healthy and ?port= filter the targets', async () => {
    // Act
    const healthy = JSON.parse((await prometheus({ query: { health: 'healthy' } })).body ?? '');
    const otherPort = JSON.parse((await prometheus({ query: { port: 'grpc' } })).body ?? '');

    // Assess
    assert.deepEqual(
      healthy.map((group: { targets: string[] }) => group.targets[0]),
      ['10.1.0.1:9080'],
    );
    assert.deepEqual(otherPort, []);
  });

  for (const query of [{ port: '0' }, { port: '70000' }, { port: '' }, { health: 'sometimes' }]) {
    test(`a bad parameter ${JSON.stringify(query)} is a 400`, async () => {
      // Act
      const result = await prometheus({ query });

      // Assess
      assert.equal(result.statusCode, 400);
      assert.equal(errorCode(result), 'InvalidQuery');
    });
  }

  test('If-None-Match with the current ETag answers 304', async () => {
    // Prepare
    const before = await prometheus({});

    // Act
    const after = await prometheus({ headers: { 'if-none-match': before.headers?.ETag as string } });

    // Assess
    assert.equal(after.statusCode, 304);
  });
});
