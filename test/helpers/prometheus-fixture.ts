/**
 * Registries and snapshots for the real-Prometheus tests, and the targets Prometheus must discover.
 * Every address is on loopback: Prometheus scrapes what it discovers, and nothing else may be a target.
 */
import type { Service } from '#lib/types.ts';

export const PROMETHEUS_REGISTRIES: {
  name: string;
  settings: { clusterId?: string; network?: string };
  services: Service[];
}[] = [
  {
    name: 'east',
    settings: { clusterId: 'east', network: 'net-east' },
    services: [
      {
        hostname: 'api.default.svc.cluster.local',
        namespace: 'default',
        ports: [{ name: 'http', port: 8080, protocol: 'http' }],
        endpoints: [
          {
            address: '127.0.0.2',
            port: 18080,
            labels: { app: 'api', 'app.kubernetes.io/version': 'v1' },
            locality: 'us-east-1/us-east-1a',
          },
          { address: '::1', port: 18081, portName: 'http', healthy: false },
        ],
      },
    ],
  },
  {
    name: 'vms',
    settings: {},
    services: [
      {
        hostname: 'legacy.example.com',
        ports: [{ name: 'metrics', port: 9100 }],
        endpoints: [{ address: 'localhost', port: 19100 }],
      },
    ],
  },
];

/** What Prometheus shows as each target's `__address__` and `__meta_aggregate_*` discovered labels. */
export const EXPECTED_TARGETS: Record<string, string>[] = [
  {
    __address__: '127.0.0.2:18080',
    __meta_aggregate_hostname: 'api.default.svc.cluster.local',
    __meta_aggregate_registry: 'east',
    __meta_aggregate_cluster_id: 'east',
    __meta_aggregate_namespace: 'default',
    __meta_aggregate_port_name: 'http',
    __meta_aggregate_port_protocol: 'HTTP',
    __meta_aggregate_healthy: 'true',
    __meta_aggregate_locality: 'us-east-1/us-east-1a',
    __meta_aggregate_label_app: 'api',
    __meta_aggregate_label_app_kubernetes_io_version: 'v1',
  },
  {
    __address__: '[::1]:18081',
    __meta_aggregate_hostname: 'api.default.svc.cluster.local',
    __meta_aggregate_registry: 'east',
    __meta_aggregate_cluster_id: 'east',
    __meta_aggregate_namespace: 'default',
    __meta_aggregate_port_name: 'http',
    __meta_aggregate_port_protocol: 'HTTP',
    __meta_aggregate_healthy: 'false',
  },
  {
    __address__: 'localhost:19100',
    __meta_aggregate_hostname: 'legacy.example.com',
    __meta_aggregate_registry: 'vms',
    __meta_aggregate_port_name: 'metrics',
    __meta_aggregate_healthy: 'true',
  },
];

/** A target's discovered labels that come from the export (Prometheus adds job, scheme and the like). */
export function exportedLabels(discovered: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(discovered).filter(
      ([name]) => name === '__address__' || name.startsWith('__meta_aggregate_'),
    ),
  );
}

export function byAddress(a: Record<string, string>, b: Record<string, string>): number {
  return (a.__address__ ?? '').localeCompare(b.__address__ ?? '');
}
