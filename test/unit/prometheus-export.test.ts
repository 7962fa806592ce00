import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { prometheusTargets, sanitizeLabelName } from '#lib/exports/prometheus.ts';
import type { RegistrySnapshot } from '#lib/types.ts';
import { exportInput } from '../helpers/export-input.ts';
import { clustered, service, unclustered } from '../helpers/factories.ts';

const PROMETHEUS_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function targetsOf(snapshots: RegistrySnapshot[], query: Parameters<typeof prometheusTargets>[1] = {}) {
  return prometheusTargets(exportInput(snapshots), query);
}

const reviews = service('reviews.default.svc.cluster.local', {
  namespace: 'default',
  ports: [
    { name: 'http', port: 9080, protocol: 'http' },
    { name: 'metrics', port: 15020 },
  ],
  endpoints: [
    {
      address: '10.1.0.1',
      port: 9080,
      portName: 'http',
      labels: { app: 'reviews', 'app.kubernetes.io/version': 'v1' },
      locality: 'us-east-1/us-east-1a',
    },
    { address: 'fd00::1', port: 15020, portName: 'metrics', healthy: false },
  ],
});

describe('prometheusTargets', () => {
  test('one target group per endpoint, every registry, with IPv6 in brackets', () => {
    // Prepare
    const snapshots = [
      clustered('east', [reviews]),
      unclustered('vms', [
        service('reviews.default.svc.cluster.local', {
          ports: [{ name: 'http', port: 9080 }],
          endpoints: [{ address: 'vm-1.example.com', port: 9080 }],
        }),
      ]),
    ];

    // Act
    const groups = targetsOf(snapshots);

    // Assess
    assert.deepEqual(
      groups.map((group) => group.targets),
      [['10.1.0.1:9080'], ['[fd00::1]:15020'], ['vm-1.example.com:9080']],
    );
  });

  test("a target's labels say where it comes from and what it is", () => {
    // Act
    const [first] = targetsOf([clustered('east', [reviews])]);

    // Assess
    assert.deepEqual(first?.labels, {
      __meta_aggregate_hostname: 'reviews.default.svc.cluster.local',
      __meta_aggregate_registry: 'east',
      __meta_aggregate_cluster_id: 'east',
      __meta_aggregate_namespace: 'default',
      __meta_aggregate_port_name: 'http',
      __meta_aggregate_port_protocol: 'HTTP',
      __meta_aggregate_healthy: 'true',
      __meta_aggregate_locality: 'us-east-1/us-east-1a',
      __meta_aggregate_label_app: 'reviews',
      __meta_aggregate_label_app_kubernetes_io_version: 'v1',
    });
  });

  test('an unclustered registry has no cluster id label, and an unhealthy endpoint says "false"', () => {
    // Act
    const groups = targetsOf([unclustered('vms', [reviews])]);

    // Assess
    assert.equal(
      groups.some((group) => '__meta_aggregate_cluster_id' in group.labels),
      false,
    );
    assert.equal(groups[1]?.labels.__meta_aggregate_healthy, 'false');
  });

  test('every label name is a valid Prometheus label name and every value a string', () => {
    // Prepare
    const odd = service('odd.example.com', {
      ports: [{ port: 80 }],
      endpoints: [{ address: '10.0.0.1', port: 80, labels: { 'example.com/tier-1': 'a', '9lives': 'b' } }],
    });

    // Act
    const groups = targetsOf([unclustered('vms', [odd, reviews])]);

    // Assess
    for (const { labels } of groups) {
      for (const [name, value] of Object.entries(labels)) {
        assert.match(name, PROMETHEUS_LABEL_NAME);
        assert.equal(typeof value, 'string');
      }
    }
    assert.equal(groups[0]?.labels.__meta_aggregate_label_example_com_tier_1, 'a');
  });

  test('health=healthy leaves out unhealthy endpoints', () => {
    // Act
    const groups = targetsOf([clustered('east', [reviews])], { health: 'healthy' });

    // Assess
    assert.deepEqual(
      groups.map((group) => group.targets[0]),
      ['10.1.0.1:9080'],
    );
  });

  test('port= keeps the endpoints of that service port, by name or number', () => {
    // Act
    const byName = targetsOf([clustered('east', [reviews])], { port: 'metrics' });
    const byNumber = targetsOf([clustered('east', [reviews])], { port: 9080 });

    // Assess
    assert.deepEqual(
      byName.map((group) => group.targets[0]),
      ['[fd00::1]:15020'],
    );
    assert.deepEqual(
      byNumber.map((group) => group.targets[0]),
      ['10.1.0.1:9080'],
    );
  });

  test('a service without endpoints contributes no target group', () => {
    // Act
    const groups = targetsOf([unclustered('vms', [service('empty.example.com', { ports: [{ port: 80 }] })])]);

    // Assess
    assert.deepEqual(groups, []);
  });
});

describe('sanitizeLabelName', () => {
  test('characters outside [a-zA-Z0-9_] become underscores', () => {
    // Act
    const name = sanitizeLabelName('app.kubernetes.io/part-of');

    // Assess
    assert.equal(name, 'app_kubernetes_io_part_of');
  });
});
