/**
 * Zod schemas of what the API answers: the source of the OpenAPI description (lib/openapi.ts) and of
 * the contract tests that check real responses against it. Request bodies are validated by the
 * schemas in lib/schemas.ts and lib/registry-schema.ts; these describe responses only. Objects are
 * closed (`z.strictObject`), so a field the API starts sending without documenting it fails the
 * contract test instead of slipping into clients unannounced.
 */
import { z } from 'zod';
import type { ChangesBody, ConflictsBody, PreviewBody, ServicesBody, ServicesPageBody } from './api-types.ts';
import { sourceSchema } from './source-schema.ts';
import type { Conflict, MergedService, Port, RegistryError } from './types.ts';

/** Every named response schema: lib/openapi.ts turns them into `components.schemas`. */
export const apiSchemas = z.registry<{ id: string; description?: string }>();

const timestamp = z.iso.datetime({ offset: true }).register(apiSchemas, { id: 'Timestamp' });
const labels = z.record(z.string(), z.string());
const revision = z.int().min(0).meta({ description: 'The merged view revision this response shows' });

export const portSchema = z.strictObject({
  name: z.string().exactOptional(),
  port: z.int().min(1).max(65_535),
  protocol: z.string().exactOptional(),
});

export const mergedServiceSchema = z
  .strictObject({
    id: z
      .string()
      .meta({ description: 'Unique within the view, stable across revisions for the same entry' }),
    hostname: z.string(),
    address: z.string().exactOptional(),
    ports: z.array(portSchema).exactOptional(),
    namespace: z.string().exactOptional(),
    serviceAccounts: z.array(z.string()).exactOptional(),
    resolution: z.string().exactOptional(),
    meshExternal: z.boolean().exactOptional(),
    labels: labels.exactOptional(),
    registry: z.string().meta({ description: 'The registry whose service object was kept' }),
    clusterVIPs: z
      .record(z.string(), z.string())
      .exactOptional()
      .meta({ description: 'Cluster id to VIP; only on services of registries with a clusterId' }),
  })
  .register(apiSchemas, { id: 'MergedService' });

const sighting = z.strictObject({ registry: z.string(), value: z.unknown() });

export const conflictSchema = z
  .strictObject({ hostname: z.string(), field: z.string(), kept: sighting, ignored: sighting })
  .register(apiSchemas, {
    id: 'Conflict',
    description: 'A later sighting of a hostname that differs from the kept one',
  });

export const registryErrorSchema = z
  .strictObject({ registry: z.string(), message: z.string() })
  .register(apiSchemas, { id: 'RegistryError', description: 'A registry in error with nothing to serve' });

const skippedSchema = z.strictObject({ count: z.int().min(0), examples: z.array(z.string()) });

export const registryStatusValue = z
  .enum(['ok', 'stale', 'error', 'empty'])
  .register(apiSchemas, { id: 'RegistryStatusValue' });

export const registryStatusSchema = z
  .strictObject({
    name: z.string(),
    position: z.int(),
    clusterId: z.string().exactOptional(),
    provider: z.string().exactOptional(),
    network: z.string().exactOptional(),
    status: registryStatusValue,
    generation: z.int().nullable(),
    serviceCount: z.int().min(0),
    snapshotAt: timestamp.nullable(),
    lastError: z.string().nullable(),
    skipped: skippedSchema.exactOptional(),
  })
  .register(apiSchemas, {
    id: 'RegistryStatus',
    description: 'A registry as the merged view shows it, with its freshness',
  });

export const mergedViewSchema = z
  .strictObject({
    revision,
    services: z.array(mergedServiceSchema),
    errors: z.array(registryErrorSchema),
    conflicts: z.array(conflictSchema),
    registries: z.array(registryStatusSchema),
    total: z.int().min(0).exactOptional().meta({ description: 'Services in the whole view (paging)' }),
    next: z.string().exactOptional().meta({ description: 'Opaque cursor of the next page' }),
    truncated: z
      .literal(true)
      .exactOptional()
      .meta({ description: 'The whole view would not fit one response' }),
  })
  .register(apiSchemas, { id: 'MergedView' });

export const servicesPageSchema = z
  .strictObject({
    revision,
    services: z.array(mergedServiceSchema),
    total: z.int().min(0),
    next: z.string().exactOptional(),
  })
  .register(apiSchemas, { id: 'ServicesPage', description: 'A later page of GET /services (?cursor=)' });

export const registryViewSchema = z
  .strictObject({
    name: z.string(),
    incarnation: z.string().exactOptional(),
    position: z.int(),
    createdAt: timestamp,
    updatedAt: timestamp,
    clusterId: z.string().exactOptional(),
    provider: z.string().exactOptional(),
    description: z.string().exactOptional(),
    network: z.string().exactOptional(),
    source: sourceSchema.exactOptional(),
    refreshSeconds: z.int().exactOptional(),
    maxAgeSeconds: z.int().exactOptional(),
    generation: z.int().nullable(),
    serviceCount: z.int().min(0),
    snapshotAt: timestamp.nullable(),
    checkedAt: timestamp.exactOptional(),
    confirmedAt: timestamp.exactOptional(),
    lastError: z.string().exactOptional(),
    lastErrorAt: timestamp.exactOptional(),
    stale: z.boolean().exactOptional(),
    skipped: skippedSchema.exactOptional(),
    failures: z.int().min(0).exactOptional(),
  })
  .register(apiSchemas, { id: 'Registry' });

export const createdRegistrySchema = registryViewSchema
  .extend({
    ingestToken: z.string().meta({ description: "The registry's ingest token, shown this once" }),
  })
  .register(apiSchemas, { id: 'CreatedRegistry' });

export const registryListSchema = z
  .strictObject({ revision, registries: z.array(registryViewSchema) })
  .register(apiSchemas, { id: 'RegistryList' });

export const snapshotWriteSchema = z
  .strictObject({ registry: z.string(), generation: z.int().min(1), serviceCount: z.int().min(0) })
  .register(apiSchemas, { id: 'SnapshotWrite' });

export const ingestTokenSchema = z
  .strictObject({ registry: z.string(), ingestToken: z.string() })
  .register(apiSchemas, { id: 'IngestToken' });

export const refreshResultSchema = z
  .strictObject({
    registry: z.string(),
    outcome: z.enum(['updated', 'unchanged', 'failed']),
    generation: z.int().nullable(),
    error: z.string().exactOptional(),
  })
  .register(apiSchemas, { id: 'RefreshResult' });

const servicePortSchema = z.strictObject({
  name: z.string().exactOptional(),
  port: z.int(),
  protocol: z.string().exactOptional(),
});

const instanceFields = {
  registry: z.string(),
  clusterId: z.string().exactOptional(),
  port: z.int().min(1).max(65_535).meta({ description: "The endpoint's own (target) port" }),
  portName: z.string().exactOptional(),
  servicePort: servicePortSchema.exactOptional(),
  labels: labels.exactOptional(),
  locality: z.string().exactOptional(),
  serviceAccount: z.string().exactOptional(),
  healthy: z.boolean(),
};

export const endpointSchema = z
  .strictObject({ address: z.string(), ...instanceFields })
  .register(apiSchemas, { id: 'Endpoint' });

export const endpointsSchema = z
  .strictObject({
    hostname: z.string(),
    revision,
    endpoints: z.array(endpointSchema),
    errors: z.array(registryErrorSchema),
    truncated: z.literal(true).exactOptional().meta({ description: 'More endpoints than fit one response' }),
    nextCursor: z.string().exactOptional().meta({ description: 'Pass as ?cursor= for the next page' }),
  })
  .register(apiSchemas, { id: 'Endpoints' });

export const workloadsSchema = z
  .strictObject({
    address: z.string(),
    revision,
    instances: z.array(z.strictObject({ hostname: z.string(), ...instanceFields })),
    errors: z.array(registryErrorSchema),
  })
  .register(apiSchemas, { id: 'Workload' });

export const serviceAccountsSchema = z
  .strictObject({
    hostname: z.string(),
    revision,
    serviceAccounts: z.array(z.string()),
    errors: z.array(registryErrorSchema),
  })
  .register(apiSchemas, { id: 'ServiceAccounts' });

export const changeSchema = z
  .strictObject({
    id: z.string(),
    hostname: z.string(),
    registry: z.string(),
    change: z.enum(['added', 'updated', 'removed']),
    service: mergedServiceSchema.exactOptional().meta({ description: 'The new entry; absent for removals' }),
  })
  .register(apiSchemas, { id: 'Change' });

export const changesSchema = z
  .strictObject({
    from: revision,
    revision,
    changes: z.array(changeSchema),
    registries: z.array(
      z.strictObject({
        name: z.string(),
        change: z.enum(['added', 'updated', 'removed']),
        registry: registryStatusSchema.exactOptional(),
      }),
    ),
  })
  .register(apiSchemas, { id: 'Changes' });

export const conflictGroupSchema = z
  .strictObject({ hostname: z.string(), field: z.string(), kept: sighting, ignored: z.array(sighting) })
  .register(apiSchemas, { id: 'ConflictGroup' });

export const conflictsSchema = z
  .strictObject({ revision, conflicts: z.array(conflictGroupSchema) })
  .register(apiSchemas, { id: 'Conflicts' });

export const previewBodySchema = z
  .union([
    z.strictObject({ registry: z.string(), services: z.array(z.unknown()) }),
    z.strictObject({ registry: z.string(), delete: z.literal(true) }),
  ])
  .register(apiSchemas, {
    id: 'PreviewBody',
    description: 'A candidate snapshot (its services validated as in a snapshot body), or a deletion',
  });

export const previewSchema = z
  .strictObject({
    revision,
    changes: z.array(changeSchema),
    conflicts: z.strictObject({ added: z.array(conflictSchema), removed: z.array(conflictSchema) }),
  })
  .register(apiSchemas, { id: 'Preview' });

export const istioExportSchema = z
  .strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('List'),
    items: z.array(
      z.object({
        apiVersion: z.literal('networking.istio.io/v1'),
        kind: z.literal('ServiceEntry'),
        metadata: z.object({ name: z.string(), namespace: z.string() }),
        spec: z.object({ hosts: z.array(z.string()) }),
      }),
    ),
  })
  .register(apiSchemas, {
    id: 'IstioExport',
    description: "ServiceEntry objects; their spec is Istio's (networking.istio.io/v1 CRD), checked there",
  });

export const prometheusExportSchema = z
  .array(z.strictObject({ targets: z.array(z.string()), labels: labels }))
  .register(apiSchemas, { id: 'PrometheusTargets', description: 'Prometheus HTTP service discovery' });

export const healthSchema = z
  .strictObject({ status: z.literal('ok') })
  .register(apiSchemas, { id: 'Health' });

/** GET /health's 503: a status for load balancers, not an error body (it names no detail). */
export const healthUnavailableSchema = z
  .strictObject({ status: z.literal('unavailable') })
  .register(apiSchemas, { id: 'HealthUnavailable' });

/** The error body of every 4xx and 5xx the functions answer. */
export function errorBodySchema(codes: readonly [string, ...string[]]) {
  return z.strictObject({ error: z.strictObject({ code: z.enum(codes), message: z.string() }) });
}

// Keep the documented shapes and the domain types in step: a change to one that breaks the other fails
// typecheck.
type Assignable<A extends B, B> = A;
export type _MergedServiceInSync = Assignable<MergedService, z.infer<typeof mergedServiceSchema>>;
export type _PortInSync = Assignable<Port, z.infer<typeof portSchema>>;
export type _ConflictInSync = Assignable<Conflict, z.infer<typeof conflictSchema>>;
export type _ServicesInSync = Assignable<ServicesBody, z.infer<typeof mergedViewSchema>>;
export type _ServicesPageInSync = Assignable<ServicesPageBody, z.infer<typeof servicesPageSchema>>;
export type _ChangesInSync = Assignable<ChangesBody, z.infer<typeof changesSchema>>;
export type _ConflictsInSync = Assignable<ConflictsBody, z.infer<typeof conflictsSchema>>;
export type _PreviewInSync = Assignable<PreviewBody, z.infer<typeof previewSchema>>;
export type _RegistryErrorInSync = Assignable<RegistryError, z.infer<typeof registryErrorSchema>>;
