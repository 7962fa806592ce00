/**
 * A realistic mix of registries for the export tests: two clusters with conflicting ports, a Consul-like
 * unclustered registry on its own network, mesh-external hosts, DNS and IPv6 endpoints, unnamed and
 * duplicate ports, and hostnames that are not object names (upper case, underscores, wildcards, 253 chars).
 */
import type { RegistrySnapshot } from '#lib/types.ts';
import { clustered, service, unclustered } from './factories.ts';

export const SPIFFE_REVIEWS = 'spiffe://cluster.local/ns/default/sa/reviews';
export const LONG_HOSTNAME = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;

export const NETWORKS = { east: 'network-east', vms: 'network-vm' };

export function realisticSnapshots(): RegistrySnapshot[] {
  return [
    clustered(
      'cluster-east',
      [
        service('reviews.default.svc.cluster.local', {
          address: '10.0.0.10',
          namespace: 'default',
          ports: [{ name: 'http', port: 9080, protocol: 'HTTP' }, { port: 9090 }],
          serviceAccounts: [SPIFFE_REVIEWS],
          endpoints: [
            {
              address: '10.1.0.1',
              port: 9080,
              portName: 'http',
              labels: { app: 'reviews', version: 'v1' },
              locality: 'us-east-1/us-east-1a',
              serviceAccount: SPIFFE_REVIEWS,
            },
            {
              address: '10.1.0.1',
              port: 9090,
              labels: { app: 'reviews', version: 'v1' },
              locality: 'us-east-1/us-east-1a',
              serviceAccount: SPIFFE_REVIEWS,
            },
            { address: '10.1.0.2', port: 9080, portName: 'http', healthy: false },
            { address: 'fd00::5', port: 9080, portName: 'http', labels: { app: 'reviews' } },
          ],
        }),
        service('mysql.db.svc.cluster.local', {
          address: '10.0.0.20',
          namespace: 'db',
          ports: [{ port: 3306, protocol: 'tcp' }],
          endpoints: [{ address: '10.2.0.1', port: 3306 }],
        }),
        service('dns.kube-system.svc.cluster.local', {
          address: 'fd00::10',
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, protocol: 'TCP' },
            { name: 'metrics_port', port: 9153, protocol: 'thrift' },
          ],
          endpoints: [
            { address: '10.4.0.1', port: 53, portName: 'dns' },
            { address: '10.4.0.1', port: 9153, portName: 'metrics_port' },
          ],
        }),
        service('empty.default.svc.cluster.local', {
          address: '10.0.0.30',
          ports: [{ name: 'http', port: 80 }],
        }),
      ],
      { name: 'east' },
    ),
    clustered(
      'cluster-west',
      [
        service('reviews.default.svc.cluster.local', {
          address: '10.0.1.10',
          ports: [
            { name: 'http', port: 9080, protocol: 'http' },
            { name: 'grpc', port: 7070, protocol: 'grpc' },
          ],
          endpoints: [
            { address: '10.3.0.1', port: 7070, portName: 'grpc' },
            { address: '10.3.0.2', port: 19080, portName: 'http', serviceAccount: 'reviews-west' },
          ],
        }),
      ],
      { name: 'west' },
    ),
    unclustered('vms', [
      service('Payments.Service.Consul', {
        ports: [{ name: 'http_api', port: 8080, protocol: 'HTTP2' }],
        endpoints: [
          { address: 'vm-1.payments.internal', port: 8080, portName: 'http_api' },
          { address: '192.0.2.7', port: 8080, portName: 'http_api', locality: 'eu-west-1' },
        ],
      }),
      service('_grpc._tcp.example.com', { ports: [{ port: 443, protocol: 'HTTPS' }] }),
      service('*.example.com', {
        meshExternal: true,
        ports: [{ name: 'https', port: 443, protocol: 'TLS' }],
      }),
      service('api.example.com', {
        meshExternal: true,
        ports: [{ name: 'https', port: 443, protocol: 'TLS' }],
      }),
      service('external-db.example.com', {
        meshExternal: true,
        address: '192.168.10.0/24',
        ports: [{ name: 'postgres', port: 5432 }],
        endpoints: [{ address: '192.168.10.5', port: 5432 }],
      }),
      service('legacy.example.com', {
        meshExternal: true,
        address: 'fd00:1::/64',
        ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
        endpoints: [{ address: 'legacy-1.example.com', port: 8080 }],
      }),
      service(LONG_HOSTNAME, {
        ports: [{ name: 'http', port: 80 }],
        endpoints: [{ address: '10.9.0.1', port: 80 }],
      }),
      service(LONG_HOSTNAME.toUpperCase(), { ports: [{ name: 'http', port: 80 }] }),
    ]),
  ];
}
