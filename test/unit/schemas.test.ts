import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS, type Limits, limitsFrom } from '#lib/limits.ts';
import { registryBodySchemaFor } from '#lib/registry-schema.ts';
import { parseWith, registryName, snapshotBodySchema } from '#lib/schemas.ts';
import { secretRulesFor } from '#lib/source-schema.ts';

const registryBodySchema = registryBodySchemaFor(secretRulesFor('test'));

function validBody() {
  return {
    generation: 3,
    services: [
      {
        hostname: 'hello.default.svc.cluster.local',
        address: '10.0.0.1',
        ports: [
          { name: 'http', port: 80, protocol: 'HTTP' },
          { name: 'grpc', port: 9090, protocol: 'GRPC' },
        ],
        namespace: 'default',
        serviceAccounts: ['spiffe://cluster.local/ns/default/sa/hello'],
        resolution: 'ClientSideLB',
        meshExternal: false,
        labels: { app: 'hello', 'app.kubernetes.io/version': 'v1' },
        endpoints: [{ address: '10.1.2.3', port: 8080, labels: { app: 'hello' }, healthy: true }],
      },
      { hostname: '*.example.com', address: '' },
      { hostname: 'db.consul', address: '192.168.0.0/16' },
    ],
  };
}

function withService(fields: Record<string, unknown>) {
  return { services: [{ hostname: 'hello.default.svc.cluster.local', ...fields }] };
}

function limits(overrides: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}

describe('snapshotBodySchema', () => {
  test('a valid snapshot body passes unchanged', () => {
    // Prepare
    const body = validBody();

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.deepEqual(parsed, { ok: true, value: body });
  });

  test('a hostname of 253 characters is accepted', () => {
    // Prepare
    const hostname = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    assert.equal(hostname.length, 253);

    // Act
    const parsed = parseWith(snapshotBodySchema(), { services: [{ hostname }] });

    // Assess
    assert.equal(parsed.ok, true);
  });

  test('a hostname over 253 characters is rejected with its path', () => {
    // Prepare
    const hostname = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
    assert.equal(hostname.length, 254);

    // Act
    const parsed = parseWith(snapshotBodySchema(), { services: [{ hostname }] });

    // Assess
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.message, /^services\[0\]\.hostname: /);
  });

  test('a hostname that is not a DNS name is rejected', () => {
    // Prepare
    const body = { services: [{ hostname: 'hello world' }] };

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.message, /services\[0\]\.hostname: must be a DNS name/);
  });

  test('ports 1 and 65535 are accepted', () => {
    // Prepare
    const body = withService({ ports: [{ port: 1 }, { port: 65_535 }] });

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.equal(parsed.ok, true);
  });

  for (const port of [0, 65_536]) {
    test(`port ${port} is rejected with the path of the port`, () => {
      // Prepare
      const body = withService({ ports: [{ port: 80 }, { port }] });

      // Act
      const parsed = parseWith(snapshotBodySchema(), body);

      // Assess
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? '' : parsed.message, /^services\[0\]\.ports\[1\]\.port: /);
    });
  }

  test('a fractional port is rejected', () => {
    // Prepare
    const body = withService({ ports: [{ port: 80.5 }] });

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.equal(parsed.ok, false);
  });

  test('an unknown service field is rejected and named by its full path', () => {
    // Prepare
    const body = withService({ clusterID: 'cluster-1' });

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.message, /services\[0\]\.clusterID/);
  });

  test('an unknown field of a port is named by its full path', () => {
    // Prepare
    const body = withService({ ports: [{ port: 80, targetPort: 8080 }] });

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.match(parsed.ok ? '' : parsed.message, /services\[0\]\.ports\[0\]\.targetPort/);
  });

  test('an unknown top-level field is rejected', () => {
    // Prepare
    const body = { services: [], cluster: 'x' };

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.message, /cluster/);
  });

  test('an address that is neither empty, an IP nor a CIDR is rejected', () => {
    // Prepare
    const body = withService({ address: 'not-an-ip' });

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.match(parsed.ok ? '' : parsed.message, /^services\[0\]\.address: /);
  });

  test('a body without a services list is rejected', () => {
    // Prepare
    const body = { generation: 1 };

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.match(parsed.ok ? '' : parsed.message, /^services: /);
  });

  test('only the first three problems are spelled out and the rest are counted', () => {
    // Prepare
    const bad = { hostname: 'a.svc', ports: [{ port: 0 }] };
    const body = { services: [bad, bad, bad, bad, bad] };

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    const message = parsed.ok ? '' : parsed.message;
    assert.match(message, /services\[2\]\.ports\[0\]\.port: .* \(and 2 more\)$/);
    assert.doesNotMatch(message, /services\[3\]/);
  });

  test('each unknown field of one object is named and counted', () => {
    // Prepare
    const body = withService({ a: 1, b: 2, c: 3, d: 4 });

    // Act
    const parsed = parseWith(snapshotBodySchema(), body);

    // Assess
    assert.equal(
      parsed.ok ? '' : parsed.message,
      'services[0].a: Unrecognized key; services[0].b: Unrecognized key; services[0].c: Unrecognized key (and 1 more)',
    );
  });
});

describe('snapshotBodySchema with custom limits', () => {
  test('as many services as maxServicesPerSnapshot are accepted', () => {
    // Prepare
    const schema = snapshotBodySchema(limits({ maxServicesPerSnapshot: 2 }));

    // Act
    const parsed = parseWith(schema, { services: [{ hostname: 'a.svc' }, { hostname: 'b.svc' }] });

    // Assess
    assert.equal(parsed.ok, true);
  });

  test('one service more than maxServicesPerSnapshot is rejected', () => {
    // Prepare
    const schema = snapshotBodySchema(limits({ maxServicesPerSnapshot: 2 }));

    // Act
    const parsed = parseWith(schema, {
      services: [{ hostname: 'a.svc' }, { hostname: 'b.svc' }, { hostname: 'c.svc' }],
    });

    // Assess
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.message, /^services: /);
  });

  test('maxPortsPerService is enforced', () => {
    // Prepare
    const schema = snapshotBodySchema(limits({ maxPortsPerService: 1 }));

    // Act
    const parsed = parseWith(schema, withService({ ports: [{ port: 80 }, { port: 81 }] }));

    // Assess
    assert.match(parsed.ok ? '' : parsed.message, /^services\[0\]\.ports: /);
  });

  test('maxLabels is enforced', () => {
    // Prepare
    const schema = snapshotBodySchema(limits({ maxLabels: 1 }));

    // Act
    const parsed = parseWith(schema, withService({ labels: { a: '1', b: '2' } }));

    // Assess
    assert.match(parsed.ok ? '' : parsed.message, /services\[0\]\.labels: at most 1 labels/);
  });

  test('maxServiceAccounts is enforced', () => {
    // Prepare
    const schema = snapshotBodySchema(limits({ maxServiceAccounts: 1 }));

    // Act
    const parsed = parseWith(schema, withService({ serviceAccounts: ['sa-a', 'sa-b'] }));

    // Assess
    assert.match(parsed.ok ? '' : parsed.message, /^services\[0\]\.serviceAccounts: /);
  });

  test('maxEndpointsPerService is enforced', () => {
    // Prepare
    const schema = snapshotBodySchema(limits({ maxEndpointsPerService: 1 }));
    const endpoint = { address: '10.0.0.1', port: 80 };

    // Act
    const parsed = parseWith(schema, withService({ endpoints: [endpoint, endpoint] }));

    // Assess
    assert.match(parsed.ok ? '' : parsed.message, /^services\[0\]\.endpoints: /);
  });
});

describe('registryName', () => {
  for (const name of ['a', 'cluster-1', 'k8s', '0', 'a'.repeat(63)]) {
    test(`"${name.length > 20 ? `${name.slice(0, 8)}... (${name.length} chars)` : name}" is accepted as a registry name`, () => {
      // Act
      const parsed = parseWith(registryName, name);

      // Assess
      assert.deepEqual(parsed, { ok: true, value: name });
    });
  }

  for (const name of ['', 'Cluster', '-a', 'a-', 'a_b', 'a.b', 'a b', 'a'.repeat(64)]) {
    test(`"${name.length > 20 ? `${name.slice(0, 8)}... (${name.length} chars)` : name}" is rejected as a registry name`, () => {
      // Act
      const parsed = parseWith(registryName, name);

      // Assess
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? '' : parsed.message, /DNS label/);
    });
  }
});

describe('registryBodySchema', () => {
  test('a registry with a cluster id, provider and description passes', () => {
    // Prepare
    const body = { clusterId: 'cluster-1', provider: 'kubernetes', description: 'east' };

    // Act
    const parsed = parseWith(registryBodySchema, body);

    // Assess
    assert.deepEqual(parsed, { ok: true, value: body });
  });

  test('an empty cluster id is accepted as no cluster', () => {
    // Act
    const parsed = parseWith(registryBodySchema, { clusterId: '' });

    // Assess
    assert.equal(parsed.ok, true);
  });

  test('a registry with a network passes with it', () => {
    // Prepare
    const body = { clusterId: 'cluster-1', network: 'network-east' };

    // Act
    const parsed = parseWith(registryBodySchema, body);

    // Assess
    assert.deepEqual(parsed, { ok: true, value: body });
  });

  for (const network of ['', 'Network1', 'net_1', 'net.east', '-net', 'n'.repeat(64), 42]) {
    test(`network ${JSON.stringify(network).slice(0, 20)} is rejected and named`, () => {
      // Act
      const parsed = parseWith(registryBodySchema, { network });

      // Assess
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? '' : parsed.message, /^network: /);
    });
  }

  test('a misspelt clusterID is rejected and named', () => {
    // Act
    const parsed = parseWith(registryBodySchema, { clusterID: 'cluster-1' });

    // Assess
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.message, /clusterID/);
  });
});

describe('limitsFrom', () => {
  test('an empty environment gives the default limits', () => {
    // Act
    const result = limitsFrom({});

    // Assess
    assert.deepEqual(result, { ...DEFAULT_LIMITS });
  });

  test('environment overrides replace the matching limits only', () => {
    // Prepare
    const env = { LIMIT_SERVICES_PER_SNAPSHOT: '2', LIMIT_LABELS: '10', UNRELATED: 'x' };

    // Act
    const result = limitsFrom(env);

    // Assess
    assert.deepEqual(result, { ...DEFAULT_LIMITS, maxServicesPerSnapshot: 2, maxLabels: 10 });
  });

  test('an empty override keeps the default', () => {
    // Act
    const result = limitsFrom({ LIMIT_BODY_BYTES: '' });

    // Assess
    assert.equal(result.maxBodyBytes, DEFAULT_LIMITS.maxBodyBytes);
  });

  test('the defaults are not changed by an override', () => {
    // Prepare
    const before = { ...DEFAULT_LIMITS };

    // Act
    limitsFrom({ LIMIT_PORTS_PER_SERVICE: '3' });

    // Assess
    assert.deepEqual({ ...DEFAULT_LIMITS }, before);
  });

  for (const raw of ['abc', '0', '-5', '1.5', '12abc', '9007199254740993']) {
    test(`an override of "${raw}" throws naming the variable`, () => {
      // Act and Assess
      assert.throws(
        () => limitsFrom({ LIMIT_ENDPOINTS_PER_SERVICE: raw }),
        /LIMIT_ENDPOINTS_PER_SERVICE must be a positive integer/,
      );
    });
  }

  test('limits read from the environment are enforced by the schema', () => {
    // Prepare
    const schema = snapshotBodySchema(limitsFrom({ LIMIT_SERVICES_PER_SNAPSHOT: '1' }));

    // Act
    const parsed = parseWith(schema, { services: [{ hostname: 'a.svc' }, { hostname: 'b.svc' }] });

    // Assess
    assert.equal(parsed.ok, false);
  });
});
