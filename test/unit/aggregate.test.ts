import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateServices } from '#lib/aggregate.ts';
import type { Conflict, RegistrySnapshot } from '#lib/types.ts';
import {
  clustered,
  deepFreeze,
  failing,
  hostnamesOf,
  service,
  unclustered,
  vipsOf,
} from '../helpers/factories.ts';

const HELLO = 'hello.default.svc.cluster.local';
const WORLD = 'world.default.svc.cluster.local';

describe('aggregateServices, Istio scenarios', () => {
  test('two registries without a cluster id give all four services in registration order', () => {
    // Prepare
    const snapshots = [
      unclustered('consul', [service('a.consul'), service('b.consul')]),
      unclustered('static', [service('c.static'), service('d.static')]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(hostnamesOf(result.services), ['a.consul', 'b.consul', 'c.static', 'd.static']);
    assert.deepEqual(
      result.services.map((merged) => merged.registry),
      ['consul', 'consul', 'static', 'static'],
    );
    assert.deepEqual(result.errors, []);
  });

  test('a failing first registry yields the second registry services and one error', () => {
    // Prepare
    const snapshots = [
      failing('kubernetes', 'connection refused', { clusterId: 'cluster-1' }),
      unclustered('consul', [service('a.consul'), service('b.consul')]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(hostnamesOf(result.services), ['a.consul', 'b.consul']);
    assert.deepEqual(result.errors, [{ registry: 'kubernetes', message: 'connection refused' }]);
  });

  test('a hostname in cluster-1 and cluster-2 becomes one entry carrying both VIPs', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]),
      clustered('cluster-2', [service(HELLO, { address: '10.1.0.1' })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.equal(result.services.length, 1);
    assert.equal(result.services[0]?.registry, 'cluster-1');
    assert.equal(result.services[0]?.address, '10.0.0.1');
    assert.deepEqual(vipsOf(result.services[0]), { 'cluster-1': '10.0.0.1', 'cluster-2': '10.1.0.1' });
  });

  test('a clustered service without an address records an empty VIP', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO)]),
      clustered('cluster-2', [service(HELLO, { address: '' })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(vipsOf(result.services[0]), { 'cluster-1': '', 'cluster-2': '' });
    assert.deepEqual(result.conflicts, []);
  });
});

describe('aggregateServices, registry errors', () => {
  test('a snapshot with an error contributes none of the services it carries', () => {
    // Prepare
    const snapshots = [
      failing('stale-k8s', 'timeout', {
        clusterId: 'cluster-1',
        services: [service(HELLO, { address: '1.1.1.1' })],
      }),
      failing('stale-consul', 'timeout', { services: [service('a.consul')] }),
      clustered('cluster-2', [service(HELLO, { address: '10.1.0.1' })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(hostnamesOf(result.services), [HELLO]);
    assert.equal(result.services[0]?.registry, 'cluster-2');
    assert.deepEqual(vipsOf(result.services[0]), { 'cluster-2': '10.1.0.1' });
  });

  test('errors are listed per registry in registration order and the walk goes on after each', () => {
    // Prepare
    const snapshots = [
      failing('first', 'boom'),
      unclustered('consul', [service('a.consul')]),
      failing('second', 'bang', { clusterId: 'cluster-9' }),
      clustered('cluster-1', [service(HELLO)]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.errors, [
      { registry: 'first', message: 'boom' },
      { registry: 'second', message: 'bang' },
    ]);
    assert.deepEqual(hostnamesOf(result.services), ['a.consul', HELLO]);
  });

  test('a healthy snapshot without a services list contributes nothing and no error', () => {
    // Prepare
    const snapshots: RegistrySnapshot[] = [{ registry: { name: 'empty', clusterId: 'cluster-1' } }];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result, { services: [], errors: [], conflicts: [] });
  });
});

describe('aggregateServices, registries without a cluster id', () => {
  test('every service is appended as it is, with its registry and without clusterVIPs', () => {
    // Prepare
    const entry = service('db.consul', { address: '10.9.0.0/16', namespace: 'infra', labels: { team: 'a' } });
    const snapshots = [unclustered('consul', [entry])];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.services, [{ ...entry, registry: 'consul', id: 'consul/db.consul' }]);
    assert.equal(Object.hasOwn(result.services[0] ?? {}, 'clusterVIPs'), false);
  });

  test('duplicate hostnames within one unclustered registry are all kept', () => {
    // Prepare
    const snapshots = [
      unclustered('consul', [
        service('db.consul', { address: '10.0.0.1' }),
        service('db.consul', { address: '10.0.0.2' }),
      ]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.services.map((merged) => merged.address),
      ['10.0.0.1', '10.0.0.2'],
    );
    assert.deepEqual(result.conflicts, []);
  });

  test('duplicate hostnames across unclustered registries are all kept', () => {
    // Prepare
    const snapshots = [
      unclustered('consul', [service('db.example.com')]),
      unclustered('static', [service('db.example.com')]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.services.map((merged) => merged.registry),
      ['consul', 'static'],
    );
  });

  test('an empty cluster id counts as no cluster id', () => {
    // Prepare
    const snapshots = [clustered('', [service(HELLO), service(HELLO)], { name: 'blank' })];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.equal(result.services.length, 2);
    assert.equal(result.services[0]?.clusterVIPs, undefined);
    assert.equal(result.services[1]?.clusterVIPs, undefined);
  });

  test('an unclustered and a clustered service with the same hostname stay two entries', () => {
    // Prepare
    const snapshots = [
      unclustered('consul', [service(HELLO, { address: '192.168.0.1' })]),
      clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]),
      unclustered('static', [service(HELLO, { address: '192.168.0.2' })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.services.map((merged) => merged.registry),
      ['consul', 'cluster-1', 'static'],
    );
    assert.deepEqual(vipsOf(result.services[1]), { 'cluster-1': '10.0.0.1' });
    assert.deepEqual(result.conflicts, []);
  });
});

describe('aggregateServices, registries with a cluster id', () => {
  test('the first sighting keeps its slot and its fields', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [
        service(HELLO, { address: '10.0.0.1', namespace: 'default', labels: { v: '1' } }),
        service(WORLD),
      ]),
      clustered('cluster-2', [
        service('other.default.svc.cluster.local'),
        service(HELLO, { address: '10.1.0.1', namespace: 'elsewhere', labels: { v: '2' } }),
      ]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(hostnamesOf(result.services), [HELLO, WORLD, 'other.default.svc.cluster.local']);
    const hello = result.services[0];
    assert.equal(hello?.registry, 'cluster-1');
    assert.equal(hello?.address, '10.0.0.1');
    assert.equal(hello?.namespace, 'default');
    assert.deepEqual(hello?.labels, { v: '1' });
  });

  test('a hostname listed twice by one clustered registry becomes one entry', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [
        service(HELLO, { address: '10.0.0.1' }),
        service(HELLO, { address: '10.0.0.1' }),
      ]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.equal(result.services.length, 1);
    assert.deepEqual(vipsOf(result.services[0]), { 'cluster-1': '10.0.0.1' });
    assert.deepEqual(result.conflicts, []);
  });

  test('the first VIP per cluster id wins and a differing one is reported as a conflict', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [
        service(HELLO, { address: '10.0.0.1' }),
        service(HELLO, { address: '10.0.0.2' }),
      ]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(vipsOf(result.services[0]), { 'cluster-1': '10.0.0.1' });
    assert.deepEqual(result.conflicts, [
      {
        hostname: HELLO,
        field: 'clusterVIPs',
        kept: { registry: 'cluster-1', value: { 'cluster-1': '10.0.0.1' } },
        ignored: { registry: 'cluster-1', value: { 'cluster-1': '10.0.0.2' } },
      },
    ] satisfies Conflict[]);
  });

  test('two registries sharing a cluster id keep the first VIP and name the first registry as kept', () => {
    // Prepare
    const snapshots = [
      clustered('east', [service(HELLO, { address: '10.0.0.1' })], { name: 'k8s-a' }),
      clustered('east', [service(HELLO, { address: '10.0.0.9' })], { name: 'k8s-b' }),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.equal(result.services.length, 1);
    assert.deepEqual(vipsOf(result.services[0]), { east: '10.0.0.1' });
    assert.deepEqual(result.conflicts, [
      {
        hostname: HELLO,
        field: 'clusterVIPs',
        kept: { registry: 'k8s-a', value: { east: '10.0.0.1' } },
        ignored: { registry: 'k8s-b', value: { east: '10.0.0.9' } },
      },
    ] satisfies Conflict[]);
  });

  test('a VIP conflict names the registry that recorded the VIP even when another registry holds the slot', () => {
    // Prepare
    const snapshots = [
      clustered('west', [service(HELLO, { address: '10.0.0.1' })], { name: 'k8s-west' }),
      clustered('east', [service(HELLO, { address: '10.1.0.1' })], { name: 'k8s-a' }),
      clustered('east', [service(HELLO, { address: '10.1.0.2' })], { name: 'k8s-b' }),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(vipsOf(result.services[0]), { west: '10.0.0.1', east: '10.1.0.1' });
    assert.equal(result.conflicts.length, 1);
    assert.deepEqual(result.conflicts[0]?.kept, { registry: 'k8s-a', value: { east: '10.1.0.1' } });
    assert.deepEqual(result.conflicts[0]?.ignored, { registry: 'k8s-b', value: { east: '10.1.0.2' } });
  });

  test('the same address seen again for a cluster id is no conflict', () => {
    // Prepare
    const snapshots = [
      clustered('east', [service(HELLO, { address: '10.0.0.1' })], { name: 'k8s-a' }),
      clustered('east', [service(HELLO, { address: '10.0.0.1' })], { name: 'k8s-b' }),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.conflicts, []);
  });

  test('a cluster id named "__proto__" is an ordinary key of clusterVIPs', () => {
    // Prepare
    const snapshots = [
      clustered('__proto__', [service(HELLO, { address: '10.0.0.1' })]),
      clustered('cluster-2', [service(HELLO, { address: '10.1.0.1' })]),
      clustered('__proto__', [service(HELLO, { address: '10.0.0.2' })], { name: 'proto-b' }),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    const vips = result.services[0]?.clusterVIPs;
    assert.deepEqual(Object.entries(vips ?? {}), [
      ['__proto__', '10.0.0.1'],
      ['cluster-2', '10.1.0.1'],
    ]);
    assert.equal(Object.getPrototypeOf(vips), null);
    assert.equal(result.conflicts.length, 1);
    assert.deepEqual(Object.entries(result.conflicts[0]?.kept.value ?? {}), [['__proto__', '10.0.0.1']]);
    assert.deepEqual(Object.entries(result.conflicts[0]?.ignored.value ?? {}), [['__proto__', '10.0.0.2']]);
  });

  test('a hostname named "__proto__" is merged like any other', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service('__proto__')]),
      clustered('cluster-2', [service('__proto__')]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(hostnamesOf(result.services), ['__proto__']);
    assert.deepEqual(vipsOf(result.services[0]), { 'cluster-1': '', 'cluster-2': '' });
  });

  test('VIPs of one call do not leak into a later call with fewer registries', () => {
    // Prepare
    const one = clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]);
    const two = clustered('cluster-2', [service(HELLO, { address: '10.1.0.1' })]);
    aggregateServices([one, two]);

    // Act
    const result = aggregateServices([one]);

    // Assess
    assert.deepEqual(vipsOf(result.services[0]), { 'cluster-1': '10.0.0.1' });
  });
});

describe('aggregateServices, ports and resolution', () => {
  const http = { name: 'http', port: 80, protocol: 'HTTP' };
  const grpc = { name: 'grpc', port: 9090, protocol: 'GRPC' };

  test('the same ports in a different order are no conflict', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { ports: [http, grpc] })]),
      clustered('cluster-2', [service(HELLO, { ports: [{ ...grpc }, { ...http }] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.conflicts, []);
  });

  test('differing ports keep the first list and report a conflict with both values', () => {
    // Prepare
    const other = { name: 'http', port: 8080, protocol: 'HTTP' };
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { ports: [http, grpc] })]),
      clustered('cluster-2', [service(HELLO, { ports: [other, grpc] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.services[0]?.ports, [http, grpc]);
    assert.deepEqual(result.conflicts, [
      {
        hostname: HELLO,
        field: 'ports',
        kept: { registry: 'cluster-1', value: [http, grpc] },
        ignored: { registry: 'cluster-2', value: [other, grpc] },
      },
    ] satisfies Conflict[]);
  });

  test('ports differing only in protocol are a conflict', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { ports: [http] })]),
      clustered('cluster-2', [service(HELLO, { ports: [{ ...http, protocol: 'HTTP2' }] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.conflicts.map((conflict) => conflict.field),
      ['ports'],
    );
  });

  test('ports whose name and protocol split the same text differently are a conflict', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { ports: [{ port: 80, name: 'a\u0000' }] })]),
      clustered('cluster-2', [service(HELLO, { ports: [{ port: 80, name: 'a', protocol: '\u0000' }] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.conflicts.map((conflict) => conflict.field),
      ['ports'],
    );
  });

  test('a differing resolution keeps the first and reports a conflict', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { resolution: 'ClientSideLB' })]),
      clustered('cluster-2', [service(HELLO, { resolution: 'DNSLB' })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.equal(result.services[0]?.resolution, 'ClientSideLB');
    assert.deepEqual(result.conflicts, [
      {
        hostname: HELLO,
        field: 'resolution',
        kept: { registry: 'cluster-1', value: 'ClientSideLB' },
        ignored: { registry: 'cluster-2', value: 'DNSLB' },
      },
    ] satisfies Conflict[]);
  });

  test('each ignored sighting reports one conflict per differing field', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { address: '10.0.0.1', ports: [http], resolution: 'A' })]),
      clustered('cluster-2', [service(HELLO, { address: '10.1.0.1', ports: [grpc], resolution: 'B' })]),
      clustered('cluster-3', [service(HELLO, { address: '10.2.0.1', ports: [grpc], resolution: 'A' })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.conflicts.map((conflict) => [conflict.ignored.registry, conflict.field]).sort(), [
      ['cluster-2', 'ports'],
      ['cluster-2', 'resolution'],
      ['cluster-3', 'ports'],
    ]);
  });
});

describe('aggregateServices, service accounts', () => {
  test('service accounts are the union over all sightings in first-seen order without duplicates', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { serviceAccounts: ['sa-a', 'sa-b'] })]),
      clustered('cluster-2', [service(HELLO, { serviceAccounts: ['sa-c', 'sa-a'] })]),
      clustered('cluster-3', [service(HELLO, { serviceAccounts: ['sa-b', 'sa-d', 'sa-c', 'sa-d'] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.services[0]?.serviceAccounts, ['sa-a', 'sa-b', 'sa-c', 'sa-d']);
  });

  test('service accounts brought only by a later sighting are added', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO)]),
      clustered('cluster-2', [service(HELLO, { serviceAccounts: ['sa-a'] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.services[0]?.serviceAccounts, ['sa-a']);
  });

  test('duplicates within the kept list of a single sighting are removed', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { serviceAccounts: ['sa-a', 'sa-b', 'sa-a'] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.services[0]?.serviceAccounts, ['sa-a', 'sa-b']);
  });

  test('duplicates within the kept list are removed when later sightings add accounts', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO, { serviceAccounts: ['sa-a', 'sa-a', 'sa-b'] })]),
      clustered('cluster-2', [service(HELLO, { serviceAccounts: ['sa-a', 'sa-a', 'sa-b'] })]),
      clustered('cluster-3', [service(HELLO, { serviceAccounts: ['sa-c', 'sa-b'] })]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.services[0]?.serviceAccounts, ['sa-a', 'sa-b', 'sa-c']);
  });

  test('service accounts of unclustered services are left as they are', () => {
    // Prepare
    const snapshots = [unclustered('consul', [service('db.consul', { serviceAccounts: ['sa-a', 'sa-a'] })])];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result.services[0]?.serviceAccounts, ['sa-a', 'sa-a']);
  });
});

describe('aggregateServices, ids', () => {
  test('a clustered hostname has the hostname as its id', () => {
    // Prepare
    const snapshots = [
      clustered('cluster-1', [service(HELLO)]),
      clustered('cluster-2', [service(HELLO), service(WORLD)]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.services.map((merged) => merged.id),
      [HELLO, WORLD],
    );
  });

  test('a clustered hostname keeps its id when another registry is kept', () => {
    // Prepare
    const first = clustered('cluster-1', [service(HELLO, { address: '10.0.0.1' })]);
    const second = clustered('cluster-2', [service(HELLO, { address: '10.1.0.1' })]);
    const before = aggregateServices([first, second]);

    // Act
    const after = aggregateServices([failing('cluster-1', 'timeout', { clusterId: 'cluster-1' }), second]);

    // Assess
    assert.equal(after.services[0]?.registry, 'cluster-2');
    assert.equal(after.services[0]?.id, before.services[0]?.id);
    assert.equal(after.services[0]?.id, HELLO);
  });

  test('an unclustered entry has its registry and hostname as its id', () => {
    // Prepare
    const snapshots = [unclustered('consul', [service('a.consul'), service('b.consul')])];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.services.map((merged) => merged.id),
      ['consul/a.consul', 'consul/b.consul'],
    );
  });

  test("a registry's later entries with the same hostname get ordinals from #2 on", () => {
    // Prepare
    const snapshots = [
      unclustered('consul', [
        service('db.consul'),
        service('x.consul'),
        service('db.consul'),
        service('db.consul'),
      ]),
    ];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.services.map((merged) => merged.id),
      ['consul/db.consul', 'consul/x.consul', 'consul/db.consul#2', 'consul/db.consul#3'],
    );
  });

  test('the same hostname in an unclustered and a clustered registry gives two different ids', () => {
    // Prepare
    const snapshots = [unclustered('consul', [service(HELLO)]), clustered('cluster-1', [service(HELLO)])];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(
      result.services.map((merged) => merged.id),
      [`consul/${HELLO}`, HELLO],
    );
  });
});

describe('aggregateServices, input and output', () => {
  function mixedSnapshots(): RegistrySnapshot[] {
    const endpoints = [{ address: '10.0.0.5', port: 8080, labels: { app: 'hello' } }];
    return [
      unclustered('consul', [service('db.consul', { endpoints, serviceAccounts: ['sa-x'] })]),
      clustered('cluster-1', [
        service(HELLO, {
          address: '10.0.0.1',
          endpoints,
          ports: [{ name: 'http', port: 80 }],
          serviceAccounts: ['sa-a', 'sa-a'],
          resolution: 'A',
        }),
      ]),
      clustered('cluster-2', [
        service(HELLO, {
          address: '10.1.0.1',
          endpoints,
          ports: [{ name: 'http', port: 81 }],
          serviceAccounts: ['sa-b'],
          resolution: 'B',
        }),
      ]),
      clustered('cluster-1', [service(HELLO, { address: '10.0.0.2' })], { name: 'cluster-1b' }),
      failing('broken', 'down', { clusterId: 'cluster-3', services: [service(HELLO)] }),
    ];
  }

  test('a deeply frozen input is aggregated without error', () => {
    // Prepare
    const snapshots = deepFreeze(mixedSnapshots());

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(hostnamesOf(result.services), ['db.consul', HELLO]);
    assert.deepEqual(result.services[1]?.serviceAccounts, ['sa-a', 'sa-b']);
    assert.deepEqual(vipsOf(result.services[1]), { 'cluster-1': '10.0.0.1', 'cluster-2': '10.1.0.1' });
  });

  test('the input is left unchanged', () => {
    // Prepare
    const snapshots = mixedSnapshots();
    const before = structuredClone(snapshots);

    // Act
    aggregateServices(snapshots);

    // Assess
    assert.deepEqual(snapshots, before);
  });

  test('output services carry no endpoints', () => {
    // Prepare
    const snapshots = mixedSnapshots();

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.equal(result.services.length, 2);
    for (const merged of result.services) assert.equal(Object.hasOwn(merged, 'endpoints'), false);
  });

  test('empty input gives empty services, errors and conflicts', () => {
    // Prepare
    const snapshots: RegistrySnapshot[] = [];

    // Act
    const result = aggregateServices(snapshots);

    // Assess
    assert.deepEqual(result, { services: [], errors: [], conflicts: [] });
  });
});
