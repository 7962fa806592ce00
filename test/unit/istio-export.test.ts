import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { istioExport, objectNames, type ServiceEntry } from '#lib/exports/istio.ts';
import type { RegistrySnapshot } from '#lib/types.ts';
import { exportInput } from '../helpers/export-input.ts';
import { clustered, service, unclustered } from '../helpers/factories.ts';

function exportOf(
  snapshots: RegistrySnapshot[],
  options: { networks?: Record<string, string>; health?: 'all' | 'healthy' } = {},
) {
  return istioExport(exportInput(snapshots, options.networks), {
    namespace: 'mesh',
    ...(options.health ? { health: options.health } : {}),
  });
}

function only(snapshots: RegistrySnapshot[], options?: Parameters<typeof exportOf>[1]): ServiceEntry {
  const items = exportOf(snapshots, options).items;
  assert.equal(items.length, 1);
  return items[0] as ServiceEntry;
}

const HTTP = [{ name: 'http', port: 80, protocol: 'HTTP' }];

describe('istioExport: the list', () => {
  test('one ServiceEntry per hostname, in merged order, in a Kubernetes List', () => {
    // Prepare
    const snapshots = [
      unclustered('a', [service('b.example.com'), service('a.example.com')]),
      unclustered('b', [service('b.example.com'), service('c.example.com')]),
    ];

    // Act
    const list = exportOf(snapshots);

    // Assess
    assert.equal(list.apiVersion, 'v1');
    assert.equal(list.kind, 'List');
    assert.deepEqual(
      list.items.map((item) => item.spec.hosts),
      [['b.example.com'], ['a.example.com'], ['c.example.com']],
    );
  });

  test('every item is a v1 ServiceEntry in the requested namespace, labelled as managed by us', () => {
    // Act
    const entry = only([unclustered('a', [service('a.example.com')])]);

    // Assess
    assert.equal(entry.apiVersion, 'networking.istio.io/v1');
    assert.equal(entry.kind, 'ServiceEntry');
    assert.deepEqual(entry.metadata, {
      name: 'a.example.com',
      namespace: 'mesh',
      labels: { 'app.kubernetes.io/managed-by': 'aggregate-registry' },
    });
  });
});

describe('objectNames', () => {
  test('a hostname that is already a DNS-1123 subdomain is its own name', () => {
    // Act
    const names = objectNames(['reviews.default.svc.cluster.local']);

    // Assess
    assert.equal(names.get('reviews.default.svc.cluster.local'), 'reviews.default.svc.cluster.local');
  });

  test('upper case, underscores and wildcards are cleaned and get a hash suffix', () => {
    // Act
    const names = objectNames(['Payments.Consul', '_grpc._tcp.example.com', '*.example.com']);

    // Assess
    assert.match(names.get('Payments.Consul') ?? '', /^payments\.consul-[0-9a-f]{8}$/);
    assert.match(names.get('_grpc._tcp.example.com') ?? '', /^grpc\.tcp\.example\.com-[0-9a-f]{8}$/);
    assert.match(names.get('*.example.com') ?? '', /^wildcard\.example\.com-[0-9a-f]{8}$/);
  });

  test('hostnames that clean to the same text get different names', () => {
    // Act
    const names = objectNames(['a.example.com', 'A.example.com', 'A.Example.com']);

    // Assess
    assert.equal(new Set(names.values()).size, 3);
    assert.equal(names.get('a.example.com'), 'a.example.com');
  });

  test('a name does not depend on the other hostnames of the export', () => {
    // Act
    const alone = objectNames(['Payments.Consul']);
    const withOthers = objectNames(['x.example.com', 'Payments.Consul', 'payments.consul']);

    // Assess
    assert.equal(alone.get('Payments.Consul'), withOthers.get('Payments.Consul'));
  });

  test('a 253-character hostname that needs a suffix is cut to 253 characters', () => {
    // Prepare
    const hostname = `${'A'.repeat(63)}.${'B'.repeat(63)}.${'C'.repeat(63)}.${'D'.repeat(61)}`;

    // Act
    const name = objectNames([hostname]).get(hostname) ?? '';

    // Assess
    assert.equal(name.length <= 253, true);
    assert.match(name, /^a{63}\.b{63}\.c{63}\.d+-[0-9a-f]{8}$/);
  });
});

describe('istioExport: addresses, ports and location', () => {
  test('addresses are the IP and CIDR VIPs of every cluster, deduplicated', () => {
    // Prepare
    const snapshots = [
      clustered('c1', [service('a.example.com', { address: '10.0.0.1' })]),
      clustered('c2', [service('a.example.com', { address: '10.0.0.1' })]),
      clustered('c3', [service('a.example.com', { address: 'fd00::/64' })]),
      clustered('c4', [service('a.example.com', { address: '' })]),
    ];

    // Act
    const entry = only(snapshots);

    // Assess
    assert.deepEqual(entry.spec.addresses, ['10.0.0.1', 'fd00::/64']);
  });

  test('a service without VIPs has no addresses field', () => {
    // Act
    const entry = only([unclustered('a', [service('a.example.com', { address: '' })])]);

    // Assess
    assert.equal('addresses' in entry.spec, false);
  });

  test('unnamed ports get names from their protocol and number, and protocols are canonical', () => {
    // Prepare
    const ports = [
      { port: 9080, protocol: 'http' },
      { port: 3306, protocol: 'TCP' },
      { port: 7000, protocol: 'thrift' },
      { port: 9090 },
    ];

    // Act
    const entry = only([unclustered('a', [service('a.example.com', { ports })])]);

    // Assess
    assert.deepEqual(entry.spec.ports, [
      { number: 9080, name: 'http-9080', protocol: 'HTTP' },
      { number: 3306, name: 'tcp-3306', protocol: 'TCP' },
      { number: 7000, name: 'port-7000' },
      { number: 9090, name: 'port-9090' },
    ]);
  });

  test('a later port with a number already used is left out, and names stay unique', () => {
    // Prepare
    const ports = [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'web', port: 80 },
      { name: 'web', port: 81 },
    ];

    // Act
    const entry = only([unclustered('a', [service('a.example.com', { ports })])]);

    // Assess
    assert.deepEqual(
      entry.spec.ports?.map(({ number, name }) => [number, name]),
      [
        [53, 'dns'],
        [80, 'web'],
        [81, 'web-81'],
      ],
    );
  });

  test('ports come from the first merged entry of the hostname', () => {
    // Prepare
    const snapshots = [
      clustered('c1', [service('a.example.com', { ports: HTTP })]),
      clustered('c2', [service('a.example.com', { ports: [{ name: 'grpc', port: 7070 }] })]),
    ];

    // Act
    const entry = only(snapshots);

    // Assess
    assert.deepEqual(entry.spec.ports, [{ number: 80, name: 'http', protocol: 'HTTP' }]);
  });

  test('a meshExternal service is MESH_EXTERNAL, others MESH_INTERNAL', () => {
    // Act
    const list = exportOf([
      unclustered('a', [service('out.example.com', { meshExternal: true }), service('in.example.com')]),
    ]);

    // Assess
    assert.deepEqual(
      list.items.map((item) => item.spec.location),
      ['MESH_EXTERNAL', 'MESH_INTERNAL'],
    );
  });
});

describe('istioExport: endpoints', () => {
  test('only healthy endpoints by default; health=all includes the others', () => {
    // Prepare
    const snapshots = [
      unclustered('a', [
        service('a.example.com', {
          ports: HTTP,
          endpoints: [
            { address: '10.0.0.1', port: 8080 },
            { address: '10.0.0.2', port: 8080, healthy: false },
          ],
        }),
      ]),
    ];

    // Act
    const healthy = only(snapshots);
    const all = only(snapshots, { health: 'all' });

    // Assess
    assert.deepEqual(
      healthy.spec.endpoints?.map((entry) => entry.address),
      ['10.0.0.1'],
    );
    assert.deepEqual(
      all.spec.endpoints?.map((entry) => entry.address),
      ['10.0.0.1', '10.0.0.2'],
    );
  });

  test('endpoints of one address and label set share an entry that maps port names to target ports', () => {
    // Prepare
    const ports = [
      { name: 'http', port: 80 },
      { name: 'metrics', port: 9090 },
    ];
    const labels = { app: 'a' };
    const endpoints = [
      { address: '10.0.0.1', port: 8080, portName: 'http', labels },
      { address: '10.0.0.1', port: 9091, portName: 'metrics', labels },
      { address: '10.0.0.1', port: 8081, portName: 'http', labels: { app: 'b' } },
    ];

    // Act
    const entry = only([unclustered('a', [service('a.example.com', { ports, endpoints })])]);

    // Assess
    assert.deepEqual(entry.spec.endpoints, [
      { address: '10.0.0.1', ports: { http: 8080, metrics: 9091 }, labels: { app: 'a' } },
      { address: '10.0.0.1', ports: { http: 8081 }, labels: { app: 'b' } },
    ]);
  });

  test('an endpoint carries its cluster label, locality, its registry network and its account name', () => {
    // Prepare
    const endpoint = {
      address: '10.0.0.1',
      port: 80,
      labels: { app: 'a' },
      locality: 'us-east-1/us-east-1a',
      serviceAccount: 'spiffe://cluster.local/ns/default/sa/reviews',
    };
    const snapshots = [clustered('c1', [service('a.example.com', { ports: HTTP, endpoints: [endpoint] })])];

    // Act
    const entry = only(snapshots, { networks: { c1: 'net-1' } });

    // Assess
    assert.deepEqual(entry.spec.endpoints, [
      {
        address: '10.0.0.1',
        ports: { http: 80 },
        labels: { app: 'a', 'topology.istio.io/cluster': 'c1' },
        locality: 'us-east-1/us-east-1a',
        network: 'net-1',
        serviceAccount: 'reviews',
      },
    ]);
  });

  test("endpoints of every registry are exported, matched to the first entry's ports by name, else number", () => {
    // Prepare
    const snapshots = [
      clustered('c1', [
        service('a.example.com', { ports: HTTP, endpoints: [{ address: '10.0.0.1', port: 80 }] }),
      ]),
      clustered('c2', [
        service('a.example.com', {
          ports: [
            { name: 'web', port: 80 },
            { name: 'grpc', port: 7070 },
          ],
          endpoints: [
            { address: '10.0.1.1', port: 8080, portName: 'web' },
            { address: '10.0.1.2', port: 7070, portName: 'grpc' },
          ],
        }),
      ]),
    ];

    // Act
    const entry = only(snapshots);

    // Assess: the grpc endpoint belongs to no exported port, so Istio could not route to it.
    assert.deepEqual(
      entry.spec.endpoints?.map((item) => [item.address, item.ports]),
      [
        ['10.0.0.1', { http: 80 }],
        ['10.0.1.1', { http: 8080 }],
      ],
    );
  });

  test('endpoint labels that are not valid Kubernetes labels are left out', () => {
    // Prepare
    const labels = {
      app: 'a',
      tier: 'has spaces',
      'Example.com/x': 'y',
      long: 'v'.repeat(64),
      'ok.example.com/z': '',
    };
    const snapshots = [
      unclustered('a', [
        service('a.example.com', { ports: HTTP, endpoints: [{ address: '10.0.0.1', port: 80, labels }] }),
      ]),
    ];

    // Act
    const entry = only(snapshots);

    // Assess
    assert.deepEqual(entry.spec.endpoints?.[0]?.labels, { app: 'a', 'ok.example.com/z': '' });
  });

  test('subjectAltNames are the service accounts of the hostname', () => {
    // Prepare
    const snapshots = [
      unclustered('a', [
        service('a.example.com', {
          serviceAccounts: ['spiffe://td/ns/a/sa/one'],
          ports: HTTP,
          endpoints: [{ address: '10.0.0.1', port: 80, serviceAccount: 'spiffe://td/ns/a/sa/two' }],
        }),
      ]),
    ];

    // Act
    const entry = only(snapshots);

    // Assess
    assert.deepEqual(entry.spec.subjectAltNames, ['spiffe://td/ns/a/sa/one', 'spiffe://td/ns/a/sa/two']);
  });
});

describe('istioExport: resolution', () => {
  const withEndpoints = (hostname: string, addresses: string[], fields = {}) =>
    service(hostname, {
      ports: HTTP,
      endpoints: addresses.map((address) => ({ address, port: 80 })),
      ...fields,
    });

  test('STATIC when every endpoint address is an IP', () => {
    // Act
    const entry = only([unclustered('a', [withEndpoints('a.example.com', ['10.0.0.1', 'fd00::1'])])]);

    // Assess
    assert.equal(entry.spec.resolution, 'STATIC');
  });

  test('DNS when some endpoint addresses are names', () => {
    // Act
    const entry = only([unclustered('a', [withEndpoints('a.example.com', ['10.0.0.1', 'vm.example.com'])])]);

    // Assess
    assert.equal(entry.spec.resolution, 'DNS');
  });

  test('NONE without endpoints, and then no endpoints field', () => {
    // Act
    const entry = only([unclustered('a', [withEndpoints('a.example.com', [])])]);

    // Assess
    assert.equal(entry.spec.resolution, 'NONE');
    assert.equal('endpoints' in entry.spec, false);
  });

  test('DNS for a meshExternal service without endpoints, NONE when its host is a wildcard', () => {
    // Act
    const list = exportOf([
      unclustered('a', [
        withEndpoints('api.example.com', [], { meshExternal: true }),
        withEndpoints('*.example.com', [], { meshExternal: true }),
      ]),
    ]);

    // Assess
    assert.deepEqual(
      list.items.map((item) => item.spec.resolution),
      ['DNS', 'NONE'],
    );
  });

  test('NONE when the only endpoints are unhealthy', () => {
    // Prepare
    const snapshots = [
      unclustered('a', [
        service('a.example.com', {
          ports: HTTP,
          endpoints: [{ address: '10.0.0.1', port: 80, healthy: false }],
        }),
      ]),
    ];

    // Act
    const entry = only(snapshots);

    // Assess
    assert.equal(entry.spec.resolution, 'NONE');
  });

  test('CIDR addresses are left out under DNS resolution, as Istio allows them only with NONE or STATIC', () => {
    // Act
    const entry = only([
      unclustered('a', [withEndpoints('a.example.com', ['vm.example.com'], { address: '10.0.0.0/24' })]),
    ]);

    // Assess
    assert.equal(entry.spec.resolution, 'DNS');
    assert.equal('addresses' in entry.spec, false);
  });
});
