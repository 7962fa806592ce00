/** The exports' input from registry snapshots, for tests, through the same rules the routes use. */
import { aggregateServices } from '#lib/aggregate.ts';
import { buildEndpointIndex } from '#lib/endpoints.ts';
import type { IstioExportInput } from '#lib/exports/istio.ts';
import type { RegistrySnapshot } from '#lib/types.ts';

export function exportInput(
  snapshots: readonly RegistrySnapshot[],
  networks: Record<string, string> = {},
): IstioExportInput {
  const index = buildEndpointIndex(snapshots);
  return {
    services: aggregateServices(snapshots).services,
    endpointsOf: (hostname) => index.endpointsOf(hostname) ?? [],
    serviceAccountsOf: (hostname) => index.serviceAccountsOf(hostname) ?? [],
    networks: new Map(Object.entries(networks)),
  };
}
