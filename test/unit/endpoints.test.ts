import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildEndpointIndex,
  endpointView,
  hasHostname,
  instancesByPort,
  instanceView,
  proxyServiceInstances,
  registryErrors,
  serviceAccountsOf,
  servicePortOf,
} from '#lib/endpoints.ts';
import type { Endpoint, RegistrySnapshot } from '#lib/types.ts';
import { clustered, deepFreeze, failing, service, unclustered } from '../helpers/factories.ts';

const HOST = 'reviews.default.svc.cluster.local';
const OTHER = 'ratings.default.svc.cluster.local';

const HTTP = { name: 'http', port: 80, protocol: 'HTTP' };
const GRPC = { name: 'grpc', port: 9090, protocol: 'GRPC' };

function ep(address: string, port: number, fields: Omit<Endpoint, 'address' | 'port'> = {}): Endpoint {
  return { address, port, ...fields };
}

const addresses = (list: readonly { address: string }[]) => list.map((e) => e.address);

describe('servicePortOf: which service port an endpoint belongs to', () => {
  test('an endpoint with a portName belongs to the port of that name, whatever its number', () => {
    const svc = service(HOST, { ports: [HTTP, GRPC] });

    const port = servicePortOf(svc, ep('10.0.0.1', 8080, { portName: 'grpc' }));

    assert.deepEqual(port, GRPC);
  });

  test('an endpoint whose portName no service port has belongs to none, even if a number matches', () => {
    const svc = service(HOST, { ports: [HTTP] });

    const port = servicePortOf(svc, ep('10.0.0.1', 80, { portName: 'metrics' }));

    assert.equal(port, undefined);
  });

  test('an endpoint without portName belongs to the only port of a one-port service', () => {
    const svc = service(HOST, { ports: [HTTP] });

    const port = servicePortOf(svc, ep('10.0.0.1', 8080));

    assert.deepEqual(port, HTTP);
  });

  test('an endpoint without portName of a multi-port service belongs to the port with its number', () => {
    const svc = service(HOST, { ports: [HTTP, GRPC] });

    const port = servicePortOf(svc, ep('10.0.0.1', 9090));

    assert.deepEqual(port, GRPC);
  });

  test('an endpoint without portName and with no port of its number belongs to none', () => {
    const svc = service(HOST, { ports: [HTTP, GRPC] });

    const port = servicePortOf(svc, ep('10.0.0.1', 8080));

    assert.equal(port, undefined);
  });

  test('an empty portName counts as none (Kubernetes unnamed ports)', () => {
    const svc = service(HOST, { ports: [HTTP] });

    const port = servicePortOf(svc, ep('10.0.0.1', 8080, { portName: '' }));

    assert.deepEqual(port, HTTP);
  });

  test('an endpoint of a service without ports belongs to none', () => {
    const port = servicePortOf(service(HOST), ep('10.0.0.1', 80));

    assert.equal(port, undefined);
  });
});

describe('instancesByPort', () => {
  test('concatenates every registry in registration order, clustered and unclustered alike', () => {
    const snapshots = deepFreeze([
      clustered('east', [service(HOST, { ports: [HTTP], endpoints: [ep('10.0.0.1', 80)] })]),
      unclustered('consul', [service(HOST, { ports: [HTTP], endpoints: [ep('10.1.0.1', 80)] })]),
      clustered('west', [service(HOST, { ports: [HTTP], endpoints: [ep('10.2.0.1', 80)] })]),
    ]);

    const found = instancesByPort(snapshots, HOST);

    assert.deepEqual(
      found.map((e) => [e.registry, e.address]),
      [
        ['east', '10.0.0.1'],
        ['consul', '10.1.0.1'],
        ['west', '10.2.0.1'],
      ],
    );
  });

  test('keeps services in snapshot order and endpoints in snapshot order within a registry', () => {
    const snapshots = [
      unclustered('static', [
        service(HOST, { endpoints: [ep('10.0.0.2', 80), ep('10.0.0.1', 80)] }),
        service(OTHER, { endpoints: [ep('10.9.9.9', 80)] }),
        service(HOST, { endpoints: [ep('10.0.0.3', 80)] }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST);

    assert.deepEqual(addresses(found), ['10.0.0.2', '10.0.0.1', '10.0.0.3']);
  });

  test('shows clusterId only for registries that have one and healthy true when the snapshot did not say', () => {
    const snapshots = [
      clustered('east', [service(HOST, { endpoints: [ep('10.0.0.1', 80)] })]),
      unclustered('consul', [service(HOST, { endpoints: [ep('10.1.0.1', 80, { healthy: false })] })]),
    ];

    const [east, consul] = instancesByPort(snapshots, HOST);

    assert.deepEqual(
      [east?.clusterId, east?.healthy, consul && 'clusterId' in consul, consul?.healthy],
      ['east', true, false, false],
    );
  });

  test('describes each endpoint with its own port, its service port and its fields', () => {
    const endpoint = ep('10.0.0.1', 8080, {
      portName: 'http',
      labels: { app: 'reviews' },
      locality: 'eu/west-1a',
      serviceAccount: 'spiffe://cluster.local/ns/default/sa/reviews',
    });
    const snapshots = [clustered('east', [service(HOST, { ports: [HTTP, GRPC], endpoints: [endpoint] })])];

    const [found] = instancesByPort(snapshots, HOST);

    assert.deepEqual(found, {
      hostname: HOST,
      registry: 'east',
      clusterId: 'east',
      address: '10.0.0.1',
      port: 8080,
      portName: 'http',
      servicePort: HTTP,
      labels: { app: 'reviews' },
      locality: 'eu/west-1a',
      serviceAccount: 'spiffe://cluster.local/ns/default/sa/reviews',
      healthy: true,
    });
  });

  test('an endpoint that belongs to no service port has no servicePort', () => {
    const snapshots = [
      unclustered('a', [service(HOST, { ports: [HTTP, GRPC], endpoints: [ep('10.0.0.1', 1)] })]),
    ];

    const [found] = instancesByPort(snapshots, HOST);

    assert.equal(found && 'servicePort' in found, false);
  });

  test('the port filter by number keeps only endpoints that belong to that service port', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          ports: [HTTP, GRPC],
          endpoints: [
            ep('10.0.0.1', 8080, { portName: 'http' }),
            ep('10.0.0.2', 80, { portName: 'grpc' }),
            ep('10.0.0.3', 80),
          ],
        }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { port: 80 });

    assert.deepEqual(addresses(found), ['10.0.0.1', '10.0.0.3']);
  });

  test('the port filter by name keeps only endpoints whose service port has that name', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          ports: [HTTP, GRPC],
          endpoints: [ep('10.0.0.1', 80), ep('10.0.0.2', 9090), ep('10.0.0.3', 9090, { portName: 'http' })],
        }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { port: 'grpc' });

    assert.deepEqual(addresses(found), ['10.0.0.2']);
  });

  test('the port rule uses each registry’s own service ports', () => {
    const snapshots = [
      unclustered('a', [service(HOST, { ports: [HTTP], endpoints: [ep('10.0.0.1', 8080)] })]),
      unclustered('b', [
        service(HOST, { ports: [{ name: 'web', port: 80 }], endpoints: [ep('10.0.0.2', 8080)] }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { port: 'http' });

    assert.deepEqual(addresses(found), ['10.0.0.1']);
  });

  test('the labels filter keeps endpoints that have every pair', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          endpoints: [
            ep('10.0.0.1', 80, { labels: { app: 'reviews', version: 'v1' } }),
            ep('10.0.0.2', 80, { labels: { app: 'reviews', version: 'v2' } }),
            ep('10.0.0.3', 80, { labels: { app: 'reviews' } }),
            ep('10.0.0.4', 80),
          ],
        }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { labels: { app: 'reviews', version: 'v1' } });

    assert.deepEqual(addresses(found), ['10.0.0.1']);
  });

  test('health=healthy keeps only healthy endpoints, counting unsaid as healthy', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          endpoints: [
            ep('10.0.0.1', 80, { healthy: false }),
            ep('10.0.0.2', 80),
            ep('10.0.0.3', 80, { healthy: true }),
          ],
        }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { health: 'healthy' });

    assert.deepEqual(addresses(found), ['10.0.0.2', '10.0.0.3']);
  });

  test('health=healthy_or_else_all gives the healthy ones when there are some', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, { endpoints: [ep('10.0.0.1', 80, { healthy: false }), ep('10.0.0.2', 80)] }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { health: 'healthy_or_else_all' });

    assert.deepEqual(addresses(found), ['10.0.0.2']);
  });

  test('health=healthy_or_else_all gives all of them when none is healthy', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          endpoints: [ep('10.0.0.1', 80, { healthy: false }), ep('10.0.0.2', 80, { healthy: false })],
        }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { health: 'healthy_or_else_all' });

    assert.deepEqual(addresses(found), ['10.0.0.1', '10.0.0.2']);
  });

  test('health=healthy_or_else_all looks at the endpoints the other filters kept', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          ports: [HTTP, GRPC],
          endpoints: [ep('10.0.0.1', 80), ep('10.0.0.2', 9090, { healthy: false })],
        }),
      ]),
    ];

    const found = instancesByPort(snapshots, HOST, { port: 'grpc', health: 'healthy_or_else_all' });

    assert.deepEqual(addresses(found), ['10.0.0.2']);
  });

  test('a registry in error contributes no endpoints', () => {
    const snapshots = [
      failing('broken', 'unreachable', { services: [service(HOST, { endpoints: [ep('10.0.0.1', 80)] })] }),
      unclustered('a', [service(HOST, { endpoints: [ep('10.0.0.2', 80)] })]),
    ];

    const found = instancesByPort(snapshots, HOST);

    assert.deepEqual(addresses(found), ['10.0.0.2']);
  });
});

describe('hasHostname and registryErrors', () => {
  test('a hostname is known when a serving registry has a service with it, endpoints or not', () => {
    const snapshots = [
      unclustered('a', [service(HOST)]),
      failing('b', 'down', { services: [service(OTHER)] }),
    ];

    assert.deepEqual([hasHostname(snapshots, HOST), hasHostname(snapshots, OTHER)], [true, false]);
  });

  test('registries in error are reported in registration order', () => {
    const snapshots = [failing('b', 'down'), unclustered('a', []), failing('c', 'refused')];

    assert.deepEqual(registryErrors(snapshots), [
      { registry: 'b', message: 'down' },
      { registry: 'c', message: 'refused' },
    ]);
  });
});

describe('proxyServiceInstances', () => {
  const snapshots: RegistrySnapshot[] = deepFreeze([
    clustered('east', [
      service(HOST, { ports: [HTTP], endpoints: [ep('10.0.0.1', 9080), ep('10.0.0.2', 9080)] }),
      service(OTHER, { ports: [HTTP], endpoints: [ep('10.0.0.1', 9081)] }),
    ]),
    unclustered('consul', [service(HOST, { endpoints: [ep('10.0.0.1', 80)] })]),
    clustered('west', [service(OTHER, { endpoints: [ep('10.0.0.1', 9082)] })]),
  ]);

  test('finds every endpoint at the address, across registries in registration order', () => {
    const found = proxyServiceInstances(snapshots, '10.0.0.1');

    assert.deepEqual(
      found.map((e) => [e.registry, e.hostname, e.port]),
      [
        ['east', HOST, 9080],
        ['east', OTHER, 9081],
        ['consul', HOST, 80],
        ['west', OTHER, 9082],
      ],
    );
  });

  test('with a clusterId skips registries of other clusters but still searches unclustered ones', () => {
    const found = proxyServiceInstances(snapshots, '10.0.0.1', { clusterId: 'west' });

    assert.deepEqual(
      found.map((e) => e.registry),
      ['consul', 'west'],
    );
  });

  test('an address no endpoint has gives no instances', () => {
    assert.deepEqual(proxyServiceInstances(snapshots, '10.9.9.9'), []);
  });
});

describe('serviceAccountsOf', () => {
  test('unions service and endpoint accounts in first-seen order across registries', () => {
    const snapshots = [
      clustered('east', [
        service(HOST, {
          serviceAccounts: ['sa-b', 'sa-a'],
          endpoints: [
            ep('10.0.0.1', 80, { serviceAccount: 'sa-c' }),
            ep('10.0.0.2', 80, { serviceAccount: 'sa-a' }),
          ],
        }),
      ]),
      unclustered('consul', [service(HOST, { serviceAccounts: ['sa-d', 'sa-b'] })]),
      clustered('west', [service(OTHER, { serviceAccounts: ['sa-x'] })]),
    ];

    assert.deepEqual(serviceAccountsOf(snapshots, HOST), ['sa-b', 'sa-a', 'sa-c', 'sa-d']);
  });

  test('with ports, only services that have such a port and their endpoints of that port contribute', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          ports: [HTTP, GRPC],
          serviceAccounts: ['sa-service'],
          endpoints: [
            ep('10.0.0.1', 80, { serviceAccount: 'sa-http' }),
            ep('10.0.0.2', 9090, { serviceAccount: 'sa-grpc' }),
          ],
        }),
      ]),
      unclustered('b', [service(HOST, { ports: [GRPC], serviceAccounts: ['sa-grpc-only'] })]),
    ];

    assert.deepEqual(serviceAccountsOf(snapshots, HOST, ['http']), ['sa-service', 'sa-http']);
  });

  test('several ports select what any of them selects', () => {
    const snapshots = [
      unclustered('a', [
        service(HOST, {
          ports: [HTTP, GRPC],
          endpoints: [
            ep('10.0.0.1', 80, { serviceAccount: 'sa-http' }),
            ep('10.0.0.2', 9090, { serviceAccount: 'sa-grpc' }),
          ],
        }),
      ]),
    ];

    assert.deepEqual(serviceAccountsOf(snapshots, HOST, [9090, 'http']), ['sa-http', 'sa-grpc']);
  });
});

describe('the index answers as the scan does', () => {
  const snapshots: RegistrySnapshot[] = deepFreeze([
    clustered('east', [
      service(HOST, {
        ports: [HTTP, GRPC],
        serviceAccounts: ['sa-1'],
        endpoints: [ep('10.0.0.1', 80, { healthy: false }), ep('10.0.0.2', 9090, { serviceAccount: 'sa-2' })],
      }),
    ]),
    failing('down', 'refused'),
    unclustered('consul', [service(OTHER, { endpoints: [ep('10.0.0.1', 80)] }), service(HOST)]),
  ]);
  const index = buildEndpointIndex(snapshots);

  test('for instances of a hostname, with and without filters', () => {
    assert.deepEqual(
      [index.instancesByPort(HOST), index.instancesByPort(HOST, { port: 80, health: 'healthy_or_else_all' })],
      [
        instancesByPort(snapshots, HOST),
        instancesByPort(snapshots, HOST, { port: 80, health: 'healthy_or_else_all' }),
      ],
    );
  });

  test('for an unknown hostname, which it tells apart from one without endpoints', () => {
    assert.deepEqual(
      [index.instancesByPort('nope.example.com'), index.hasHostname(OTHER), index.serviceAccountsOf('nope')],
      [undefined, true, undefined],
    );
  });

  test('for workloads and service accounts', () => {
    assert.deepEqual(
      [index.proxyServiceInstances('10.0.0.1', { clusterId: 'west' }), index.serviceAccountsOf(HOST, [9090])],
      [
        proxyServiceInstances(snapshots, '10.0.0.1', { clusterId: 'west' }),
        serviceAccountsOf(snapshots, HOST, [9090]),
      ],
    );
  });
});

describe('wire views', () => {
  test('an endpoint view leaves out the hostname and an instance view the address', () => {
    const [found] = instancesByPort(
      [clustered('east', [service(HOST, { endpoints: [ep('10.0.0.1', 80)] })])],
      HOST,
    );
    assert.ok(found);

    assert.deepEqual(
      [JSON.stringify(endpointView(found)), JSON.stringify(instanceView(found))],
      [
        '{"registry":"east","clusterId":"east","address":"10.0.0.1","port":80,"healthy":true}',
        `{"hostname":"${HOST}","registry":"east","clusterId":"east","port":80,"healthy":true}`,
      ],
    );
  });
});
