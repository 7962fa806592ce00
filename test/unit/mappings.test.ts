/**
 * The Kubernetes → snapshot and Consul → snapshot mappings (lib/mappings/), from JSON in the shapes the
 * real APIs return: the project's own fixtures (test/fixtures/, each naming the API reference its shape
 * follows) with the full expected result, and real responses from public repositories, read in place
 * from ../shared/real-world/fixtures/, with the properties every conversion must have.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '#lib/limits.ts';
import { type ConsulServiceEntry, consulToSnapshot } from '#lib/mappings/consul.ts';
import { type KubeEndpointSlice, type KubeService, kubernetesToSnapshot } from '#lib/mappings/kubernetes.ts';
import { parseWith, serviceSchema } from '#lib/schemas.ts';
import type { Service } from '#lib/types.ts';

const json = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const realWorld = (name: string) => json(`../../../shared/real-world/fixtures/${name}`);
const withoutSource = <T extends object>(item: T): T => {
  const { _source: _, ...rest } = item as T & { _source?: unknown };
  return rest as T;
};
const options = { maxLabels: DEFAULT_LIMITS.maxLabels };
const byHost = (services: Service[], prefix: string) => services.find((s) => s.hostname.startsWith(prefix));

function assertValid(services: Service[]) {
  for (const service of services) {
    const parsed = parseWith(serviceSchema(), service);
    assert.ok(parsed.ok, `${service.hostname}: ${parsed.ok ? '' : parsed.message}`);
  }
}

describe('Kubernetes → snapshot, from the project fixtures', () => {
  const services: KubeService[] = json('../fixtures/kubernetes/service-list.json').items;
  const slices: KubeEndpointSlice[] = json('../fixtures/kubernetes/endpointslice-list.json').items;

  test('gives every Service with its endpoints, ports and protocols as Istio derives them', () => {
    // Act
    const mapped = kubernetesToSnapshot(services, slices, options);

    // Assess
    assert.deepEqual(mapped.skipped, []);
    assert.deepEqual(mapped.services, [
      {
        hostname: 'checkout.shop.svc.cluster.local',
        namespace: 'shop',
        address: '10.100.7.21',
        resolution: 'ClientSideLB',
        ports: [
          { name: 'http-api', port: 8080, protocol: 'HTTP' },
          { name: 'grpc', port: 9000, protocol: 'HTTP2' },
          { name: 'admin', port: 9901 },
        ],
        labels: { app: 'checkout', 'app.kubernetes.io/version': '2.4.1' },
        serviceAccounts: ['spiffe://cluster.local/ns/shop/sa/checkout'],
        endpoints: [
          { address: '10.244.4.17', port: 8080, portName: 'http-api', locality: 'eu-west-1a', healthy: true },
          { address: '10.244.4.17', port: 9000, portName: 'grpc', locality: 'eu-west-1a', healthy: true },
          { address: '10.244.4.17', port: 9901, portName: 'admin', locality: 'eu-west-1a', healthy: true },
          { address: '10.244.5.3', port: 8080, portName: 'http-api', locality: 'eu-west-1b', healthy: false },
          { address: '10.244.5.3', port: 9000, portName: 'grpc', locality: 'eu-west-1b', healthy: false },
          { address: '10.244.5.3', port: 9901, portName: 'admin', locality: 'eu-west-1b', healthy: false },
        ],
      },
      {
        hostname: 'ledger.shop.svc.cluster.local',
        namespace: 'shop',
        resolution: 'Passthrough',
        ports: [{ name: 'tcp-postgres', port: 5432, protocol: 'TCP' }],
        labels: { app: 'ledger' },
        endpoints: [
          {
            address: '10.244.6.40',
            port: 5432,
            portName: 'tcp-postgres',
            locality: 'eu-west-1c',
            healthy: true,
          },
        ],
      },
      {
        hostname: 'payments-gateway.shop.svc.cluster.local',
        namespace: 'shop',
        resolution: 'DNS',
        meshExternal: true,
        ports: [{ name: 'https', port: 443, protocol: 'HTTPS' }],
        endpoints: [{ address: 'gateway.payments.example', port: 443, portName: 'https' }],
      },
      {
        hostname: 'resolver.infra.svc.cluster.local',
        namespace: 'infra',
        address: '10.100.0.53',
        resolution: 'ClientSideLB',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
        endpoints: [],
      },
    ]);
    assertValid(mapped.services);
  });

  test('uses the cluster domain it is given', () => {
    const mapped = kubernetesToSnapshot(services, [], { ...options, clusterDomain: 'east.example' });
    assert.equal(mapped.services[0]?.hostname, 'checkout.shop.svc.east.example');
  });

  test('skips a Service without a name, with a reason, and keeps the others', () => {
    const [first, ...rest] = services;
    const nameless = { ...first, metadata: { namespace: 'shop' } };
    const mapped = kubernetesToSnapshot([nameless, ...rest], slices, options);
    assert.equal(mapped.services.length, rest.length);
    assert.deepEqual(mapped.skipped, ['a Service without name']);
  });
});

describe('Kubernetes → snapshot, from real API responses', () => {
  const services: KubeService[] = realWorld('k8s-services.json').items.map(withoutSource);
  const slices: KubeEndpointSlice[] = realWorld('k8s-endpointslices.json').items.map(withoutSource);
  const mapped = kubernetesToSnapshot(services, slices, options);

  test('every Service becomes one valid service named <name>.<namespace>.svc.cluster.local', () => {
    assert.equal(mapped.services.length, services.length);
    assert.deepEqual(
      mapped.services.map((s) => s.hostname).sort(),
      services.map((s) => `${s.metadata?.name}.${s.metadata?.namespace}.svc.cluster.local`).sort(),
    );
    assertValid(mapped.services);
  });

  test('standard appProtocols and name prefixes give Istio protocols; unknown names none', () => {
    assert.deepEqual(
      byHost(mapped.services, 'grpc-backend.')?.ports?.map((p) => p.protocol),
      ['HTTP2', 'HTTP', 'HTTP'],
    );
    assert.deepEqual(
      byHost(mapped.services, 'kube-dns.')?.ports?.map((p) => p.protocol),
      ['UDP', 'TCP', undefined],
    );
  });

  test('endpoints join every slice of a Service; readiness and FQDN addresses are kept', () => {
    const echo = byHost(mapped.services, 'echo.test.');
    assert.equal(echo?.endpoints?.length, 9);
    assert.ok(echo?.endpoints?.every((e) => e.healthy === true));
    assert.deepEqual(
      byHost(mapped.services, 'graceful-term-svc.')?.endpoints?.map((e) => e.healthy),
      [false],
    );
    assert.equal(
      byHost(mapped.services, 'external-api.')?.endpoints?.[0]?.address,
      'api.partner.example.com',
    );
  });

  test('a slice emptied by the API server (endpoints and ports null) gives no endpoints', () => {
    const emptied: KubeEndpointSlice = withoutSource(realWorld('k8s-endpointslice-emptied.json').item);
    const graceful = services.filter((s) => s.metadata?.name === 'graceful-term-svc');
    const result = kubernetesToSnapshot(graceful, [emptied], options);
    assert.deepEqual(result.services[0]?.endpoints, []);
  });
});

describe('Consul → snapshot, from the project fixtures', () => {
  const catalog = json('../fixtures/consul/catalog-services.json').answer;
  const billing: ConsulServiceEntry[] = json('../fixtures/consul/health-service-billing.json').answer;

  test('gives a service per catalog name, endpoints per instance, and skips names Consul DNS cannot serve', () => {
    // Act
    const mapped = consulToSnapshot(catalog, new Map([['billing', billing]]), options);

    // Assess
    assert.deepEqual(mapped.services, [
      {
        hostname: 'billing.service.consul',
        resolution: 'ClientSideLB',
        ports: [{ port: 7070, protocol: 'GRPC' }],
        labels: { protocol: 'grpc', v2: '', env: 'prod' },
        endpoints: [
          {
            address: '10.20.0.12',
            port: 7070,
            labels: { protocol: 'grpc', version: '2.0.4', v2: '', env: 'prod', canary: '' },
            locality: 'east',
            healthy: false,
          },
          {
            address: '10.20.5.7',
            port: 7070,
            labels: { protocol: 'grpc', version: '2.0.3', v2: '', env: 'prod' },
            locality: 'east',
            healthy: true,
          },
        ],
      },
      { hostname: 'consul.service.consul', resolution: 'ClientSideLB', ports: [], endpoints: [] },
    ]);
    assert.equal(mapped.skipped.length, 1);
    assert.match(mapped.skipped[0] ?? '', /^Consul service "Web Frontend": the name is not a DNS label/);
    assertValid(mapped.services);
  });
});

describe('Consul → snapshot, from real API responses', () => {
  const fixture = realWorld('consul.json');
  const catalog = withoutSource(fixture.catalog).services;
  const health = new Map<string, ConsulServiceEntry[]>(
    Object.entries(fixture.health as Record<string, { entries: ConsulServiceEntry[] }>).map(
      ([name, value]) => [name, value.entries],
    ),
  );
  const mapped = consulToSnapshot(catalog, health, { ...options, domain: 'consul' });

  test('every catalog service becomes one valid service', () => {
    assert.deepEqual(
      mapped.services.map((s) => s.hostname),
      Object.keys(catalog)
        .sort()
        .map((name) => `${name}.service.consul`),
    );
    assertValid(mapped.services);
  });

  test("an instance without its own address uses its node's; a warning check makes it unhealthy", () => {
    const redis = byHost(mapped.services, 'redis.');
    assert.deepEqual(
      redis?.endpoints?.map((e) => [e.address, e.port, e.healthy]),
      [
        ['10.1.10.12', 8000, true],
        ['10.1.10.13', 8000, false],
      ],
    );
    assert.equal(byHost(mapped.services, 'consul.')?.endpoints?.[0]?.address, '2001:db8:10::11');
  });
});

describe('real cluster sizes', () => {
  test('a 2,600-pod Service with 2 ports (5,200 endpoints) fits the default limits', () => {
    // Prepare
    const service: KubeService = {
      metadata: { name: 'big', namespace: 'prod' },
      spec: {
        clusterIP: '10.0.0.1',
        ports: [
          { name: 'http', port: 80 },
          { name: 'grpc', port: 9000 },
        ],
      },
    };
    const slices: KubeEndpointSlice[] = Array.from({ length: 26 }, (_, slice) => ({
      metadata: { namespace: 'prod', labels: { 'kubernetes.io/service-name': 'big' } },
      endpoints: Array.from({ length: 100 }, (_, pod) => ({
        addresses: [`10.${10 + slice}.${Math.floor(pod / 250)}.${pod % 250}`],
        conditions: { ready: true },
      })),
      ports: [
        { name: 'http', port: 8080 },
        { name: 'grpc', port: 9000 },
      ],
    }));

    // Act
    const mapped = kubernetesToSnapshot([service], slices, options);

    // Assess
    assert.equal(mapped.services[0]?.endpoints?.length, 5_200);
    assertValid(mapped.services);
  });
});
