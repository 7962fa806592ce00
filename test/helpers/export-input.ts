/**
 * The exports' input from registry snapshots, for tests: the merged services and, per hostname, every
 * registry's endpoints with their service port and the service accounts.
 * TODO(discovery): replace the local port rule and walks with lib/endpoints.ts once it is merged.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import type { ExportEndpoint } from '#lib/exports/endpoint.ts';
import type { IstioExportInput } from '#lib/exports/istio.ts';
import type { Endpoint, Port, RegistrySnapshot, Service } from '#lib/types.ts';

export function exportInput(
  snapshots: readonly RegistrySnapshot[],
  networks: Record<string, string> = {},
): IstioExportInput {
  const { services } = aggregateServices(snapshots);
  return {
    services,
    endpointsOf: (hostname) => endpointsOf(snapshots, hostname),
    serviceAccountsOf: (hostname) => serviceAccountsOf(snapshots, hostname),
    networks: new Map(Object.entries(networks)),
  };
}

function servicesOf(snapshots: readonly RegistrySnapshot[], hostname: string) {
  return snapshots.flatMap((snapshot) =>
    (snapshot.services ?? [])
      .filter((service) => service.hostname === hostname)
      .map((service) => ({ snapshot, service })),
  );
}

function servicePortOf(service: Service, endpoint: Endpoint): Port | undefined {
  const ports = service.ports ?? [];
  if (endpoint.portName !== undefined) return ports.find((port) => port.name === endpoint.portName);
  if (ports.length === 1) return ports[0];
  return ports.find((port) => port.port === endpoint.port);
}

function endpointsOf(snapshots: readonly RegistrySnapshot[], hostname: string): ExportEndpoint[] {
  return servicesOf(snapshots, hostname).flatMap(({ snapshot, service }) =>
    (service.endpoints ?? []).map((endpoint) => {
      const port = servicePortOf(service, endpoint);
      const { healthy, ...rest } = endpoint;
      return {
        registry: snapshot.registry.name,
        ...(snapshot.registry.clusterId ? { clusterId: snapshot.registry.clusterId } : {}),
        ...rest,
        ...(port ? { servicePort: port } : {}),
        healthy: healthy ?? true,
      };
    }),
  );
}

function serviceAccountsOf(snapshots: readonly RegistrySnapshot[], hostname: string): string[] {
  const accounts = new Set<string>();
  for (const { service } of servicesOf(snapshots, hostname)) {
    for (const account of service.serviceAccounts ?? []) accounts.add(account);
    for (const endpoint of service.endpoints ?? [])
      if (endpoint.serviceAccount) accounts.add(endpoint.serviceAccount);
  }
  return [...accounts];
}
