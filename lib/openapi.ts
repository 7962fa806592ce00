/**
 * The OpenAPI 3.1 description of every route the stack serves, generated from the zod schemas the
 * handlers validate requests with and the response schemas of lib/api-schemas.ts. Pure: `npm run
 * openapi` writes it to openapi.json, GET /openapi.json serves it, and a test keeps the two equal.
 */
import { type ZodType, z } from 'zod';
import * as api from './api-schemas.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { registryBodySchemaFor } from './registry-schema.ts';
import { snapshotBodySchema } from './schemas.ts';
import { sourceSchema } from './source-schema.ts';

export type Auth = 'admin' | 'read' | 'ingest' | 'none';
type Codes = readonly [string, ...string[]];

export interface RouteDoc {
  method: 'get' | 'put' | 'post' | 'delete';
  /** OpenAPI path template, e.g. `/registries/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  auth: Auth;
  body?: { schema: string; description: string };
  query?: { name: string; description: string; schema: object }[];
  /** Success statuses: a component schema name, `null` for an empty body, or a media type map. */
  ok: Record<number, { description: string; schema: string | null; mediaTypes?: string[]; etag?: boolean }>;
  /** Error statuses this route itself answers (auth, body and store errors are added by `auth`/`body`). */
  errors?: Record<number, Codes>;
}

const registryName = { name: 'name', description: 'The registry, a DNS label' };
const hostname = { name: 'hostname', description: 'A DNS name' };
const staleQuery = {
  name: 'stale',
  description: '`exclude` leaves the services of stale registries out',
  schema: { type: 'string', enum: ['include', 'exclude'], default: 'include' },
};
const portQuery = {
  name: 'port',
  description: 'A service port number (1-65535) or name',
  schema: { type: 'string' },
};
const healthQuery = {
  name: 'health',
  description: 'Which endpoints: all, the healthy ones, or the healthy ones unless none is',
  schema: { type: 'string', enum: ['all', 'healthy', 'healthy_or_else_all'], default: 'all' },
};

/** Every route of serverless.yml, in the order of the README's API table. */
export const routes: RouteDoc[] = [
  {
    method: 'put',
    path: '/registries/{name}',
    operationId: 'putRegistry',
    summary: "Create or replace a registry's settings",
    auth: 'admin',
    body: { schema: 'RegistryBody', description: "The registry's settings" },
    ok: {
      200: { description: 'Updated', schema: 'Registry' },
      201: { description: 'Created, with its ingest token (shown once)', schema: 'CreatedRegistry' },
    },
    errors: { 400: ['InvalidRegistryName'] },
  },
  {
    method: 'get',
    path: '/registries',
    operationId: 'listRegistries',
    summary: 'All registries in registration order',
    auth: 'read',
    ok: { 200: { description: 'The registries', schema: 'RegistryList' } },
  },
  {
    method: 'get',
    path: '/registries/{name}',
    operationId: 'getRegistry',
    summary: 'One registry',
    auth: 'read',
    ok: { 200: { description: 'The registry', schema: 'Registry' } },
    errors: { 400: ['InvalidRegistryName'], 404: ['RegistryNotFound'] },
  },
  {
    method: 'delete',
    path: '/registries/{name}',
    operationId: 'deleteRegistry',
    summary: 'Delete a registry; its services leave the merged view at once',
    auth: 'admin',
    ok: { 204: { description: 'Deleted', schema: null } },
    errors: { 400: ['InvalidRegistryName'], 404: ['RegistryNotFound'] },
  },
  {
    method: 'put',
    path: '/registries/{name}/snapshot',
    operationId: 'putSnapshot',
    summary: "Replace the registry's services",
    auth: 'ingest',
    body: {
      schema: 'SnapshotBody',
      description: 'The services (limits are configurable; the defaults are shown)',
    },
    ok: { 200: { description: 'Stored', schema: 'SnapshotWrite' } },
    errors: {
      400: ['InvalidRegistryName'],
      404: ['RegistryNotFound'],
      409: ['StaleGeneration', 'GenerationLimit'],
    },
  },
  {
    method: 'post',
    path: '/registries/{name}/token',
    operationId: 'rotateToken',
    summary: "Rotate the registry's ingest token; the old one stops working at once",
    auth: 'admin',
    ok: { 200: { description: 'The new token (shown once)', schema: 'IngestToken' } },
    errors: { 400: ['InvalidRegistryName'], 404: ['RegistryNotFound'] },
  },
  {
    method: 'post',
    path: '/registries/{name}/refresh',
    operationId: 'refreshRegistry',
    summary: 'Refresh a registry from its source now',
    auth: 'admin',
    ok: {
      200: { description: 'What the refresh did (a failing source is an outcome)', schema: 'RefreshResult' },
    },
    errors: { 400: ['InvalidRegistryName'], 404: ['RegistryNotFound'], 409: ['NoSource'] },
  },
  {
    method: 'get',
    path: '/services',
    operationId: 'getServices',
    summary: 'The merged view',
    auth: 'read',
    query: [
      staleQuery,
      { name: 'revision', description: 'The view as it was at that revision', schema: { type: 'integer' } },
      { name: 'limit', description: 'At most this many services per page', schema: { type: 'integer' } },
      { name: 'cursor', description: "A page's `next`", schema: { type: 'string' } },
    ],
    ok: {
      200: { description: 'The merged view, or a later page of it', schema: 'MergedViewOrPage', etag: true },
      304: { description: 'Not modified (If-None-Match)', schema: null, etag: true },
    },
    errors: { 400: ['InvalidQuery', 'InvalidCursor'], 410: ['RevisionNotReached', 'RevisionExpired'] },
  },
  {
    method: 'get',
    path: '/services/{hostname}',
    operationId: 'getService',
    summary: "The first merged entry for a hostname, as Istio's GetService answers",
    auth: 'read',
    ok: {
      200: { description: 'The service', schema: 'MergedService', etag: true },
      304: { description: 'Not modified (If-None-Match)', schema: null, etag: true },
    },
    errors: { 400: ['InvalidHostname'], 404: ['ServiceNotFound'] },
  },
  {
    method: 'get',
    path: '/services/{hostname}/endpoints',
    operationId: 'getEndpoints',
    summary: "Every registry's endpoints for a hostname (Istio's InstancesByPort)",
    auth: 'read',
    query: [
      portQuery,
      { name: 'labels', description: 'k=v[,k=v...]: every pair must match', schema: { type: 'string' } },
      healthQuery,
      staleQuery,
      { name: 'limit', description: 'At most this many endpoints per page', schema: { type: 'integer' } },
      { name: 'cursor', description: "A page's `nextCursor`", schema: { type: 'string' } },
    ],
    ok: {
      200: { description: 'The endpoints', schema: 'Endpoints', etag: true },
      304: { description: 'Not modified (If-None-Match)', schema: null, etag: true },
    },
    errors: {
      400: ['InvalidHostname', 'InvalidQuery', 'InvalidCursor'],
      404: ['ServiceNotFound'],
      406: ['ResponseTooLarge'],
    },
  },
  {
    method: 'get',
    path: '/services/{hostname}/service-accounts',
    operationId: 'getServiceAccounts',
    summary: "The service accounts of a hostname (Istio's GetIstioServiceAccounts)",
    auth: 'read',
    query: [portQuery, staleQuery],
    ok: { 200: { description: 'The accounts, first seen first', schema: 'ServiceAccounts' } },
    errors: { 400: ['InvalidHostname', 'InvalidQuery'], 404: ['ServiceNotFound'] },
  },
  {
    method: 'get',
    path: '/workloads/{address}',
    operationId: 'getWorkload',
    summary: "Every instance at an address (Istio's GetProxyServiceInstances)",
    auth: 'read',
    query: [
      { name: 'clusterId', description: 'Skip registries of other clusters', schema: { type: 'string' } },
      staleQuery,
    ],
    ok: { 200: { description: 'The instances', schema: 'Workload' } },
    errors: { 400: ['InvalidAddress', 'InvalidQuery'] },
  },
  {
    method: 'get',
    path: '/changes',
    operationId: 'getChanges',
    summary: 'What changed since a revision; waits for the next change with `wait`',
    auth: 'read',
    query: [
      { name: 'since', description: 'A revision', schema: { type: 'integer', minimum: 0 } },
      { name: 'wait', description: 'Seconds to wait for a change', schema: { type: 'integer', maximum: 20 } },
    ],
    ok: { 200: { description: 'The changes', schema: 'Changes' } },
    errors: { 400: ['InvalidQuery'], 410: ['RevisionNotReached', 'RevisionExpired', 'ChangesTooLarge'] },
  },
  {
    method: 'get',
    path: '/conflicts',
    operationId: 'getConflicts',
    summary: 'The conflicts of the merged view, per hostname and field',
    auth: 'read',
    query: [{ name: 'hostname', description: 'Only this hostname', schema: { type: 'string' } }],
    ok: {
      200: { description: 'The conflicts', schema: 'Conflicts', etag: true },
      304: { description: 'Not modified (If-None-Match)', schema: null, etag: true },
    },
    errors: { 400: ['InvalidHostname'] },
  },
  {
    method: 'post',
    path: '/preview',
    operationId: 'preview',
    summary: 'What a snapshot or a deletion would change, storing nothing',
    auth: 'admin',
    body: { schema: 'PreviewBody', description: 'A candidate snapshot or a deletion' },
    ok: { 200: { description: 'The changes and conflicts it would make', schema: 'Preview' } },
    errors: { 404: ['RegistryNotFound'] },
  },
  {
    method: 'get',
    path: '/exports/istio',
    operationId: 'exportIstio',
    summary: 'The merged view as Istio ServiceEntry objects',
    auth: 'read',
    query: [
      {
        name: 'namespace',
        description: 'metadata.namespace',
        schema: { type: 'string', default: 'istio-system' },
      },
      healthQuery,
      staleQuery,
    ],
    ok: {
      200: {
        description: 'A List of ServiceEntry (YAML with Accept: application/yaml)',
        schema: 'IstioExport',
        mediaTypes: ['application/json', 'application/yaml'],
      },
    },
    errors: { 400: ['InvalidQuery'] },
  },
  {
    method: 'get',
    path: '/exports/prometheus',
    operationId: 'exportPrometheus',
    summary: 'The endpoints as Prometheus HTTP service discovery targets',
    auth: 'read',
    query: [portQuery, healthQuery, staleQuery],
    ok: { 200: { description: 'Target groups', schema: 'PrometheusTargets' } },
    errors: { 400: ['InvalidQuery'] },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Whether the table answers',
    auth: 'none',
    ok: {
      200: { description: 'The table answers', schema: 'Health' },
      503: { description: 'The table does not answer (Retry-After)', schema: 'HealthUnavailable' },
    },
    errors: {},
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This description',
    auth: 'none',
    ok: { 200: { description: 'OpenAPI 3.1', schema: 'OpenApiDocument' } },
  },
  {
    method: 'get',
    path: '/',
    operationId: 'dashboard',
    summary: 'The dashboard (a page that embeds no data; it asks for a token)',
    auth: 'none',
    ok: { 200: { description: 'The page', schema: null, mediaTypes: ['text/html'] } },
  },
];

/** The errors a route can answer: its own, and those of its auth, its body and the store. */
export function routeErrors(route: RouteDoc): Record<number, Codes> {
  const errors: Record<number, string[]> = {};
  const add = (status: number, ...codes: string[]) => {
    errors[status] = [...new Set([...(errors[status] ?? []), ...codes])];
  };
  for (const [status, codes] of Object.entries(route.errors ?? {})) add(Number(status), ...codes);
  if (route.auth !== 'none') {
    add(401, 'Unauthorized');
    add(403, 'Forbidden');
    add(503, 'StoreUnavailable');
    add(500, 'Internal');
  }
  if (route.body) {
    add(400, 'InvalidBody', 'MalformedJson', 'InvalidEncoding');
    add(413, 'PayloadTooLarge');
    add(415, 'UnsupportedMediaType', 'UnsupportedContentEncoding');
  }
  return Object.fromEntries(
    Object.entries(errors)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, codes]) => [status, codes as unknown as Codes]),
  );
}

const errorSchemaId = (route: RouteDoc, status: number | string) => `${route.operationId}.${status}`;

/** JSON Schemas of every component, request bodies included, with `$ref`s between them. */
function componentSchemas(): Record<string, object> {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const schema of Object.values(api)) {
    if (!(schema instanceof z.ZodType)) continue;
    const meta = api.apiSchemas.get(schema);
    if (meta) registry.add(schema, meta);
  }
  registry.add(snapshotBodySchema(DEFAULT_LIMITS), { id: 'SnapshotBody' });
  // The stage only narrows where SSM references may point (a refinement JSON Schema cannot express).
  registry.add(registryBodySchemaFor({ ssmPrefix: '/' }), { id: 'RegistryBody' });
  registry.add(sourceSchema, {
    id: 'Source',
    description: 'Where the scheduled refresh pulls services from',
  });
  registry.add(z.union([api.mergedViewSchema, api.servicesPageSchema]), {
    id: 'MergedViewOrPage',
    description:
      'The first page (or the whole view) carries errors, conflicts and registries; later pages only services',
  });
  registry.add(z.looseObject({ openapi: z.string() }) as ZodType, {
    id: 'OpenApiDocument',
    description: 'An OpenAPI 3.1 document (this one)',
  });
  for (const route of routes) {
    for (const [status, codes] of Object.entries(routeErrors(route))) {
      registry.add(api.errorBodySchema(codes), {
        id: errorSchemaId(route, status),
        description: `${route.operationId} answers ${status} with one of: ${codes.join(', ')}`,
      });
    }
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // In OpenAPI a component is named by its key; a `$id` or `$schema` per component would only confuse.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $id: _id, $schema: _schema, ...schema }]) => [id, schema]),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function operation(route: RouteDoc) {
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      description:
        name === 'name'
          ? registryName.description
          : name === 'hostname'
            ? hostname.description
            : 'An IP address or DNS name',
      schema: { type: 'string' },
    })),
    ...(route.query ?? []).map((q) => ({ ...q, in: 'query', required: q.name === 'since' })),
    ...(Object.values(route.ok).some((ok) => ok.etag)
      ? [{ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }]
      : []),
  ];
  const responses: Record<string, object> = {};
  for (const [status, ok] of Object.entries(route.ok)) {
    const headers = ok.etag ? { headers: { ETag: { schema: { type: 'string' } } } } : {};
    const content =
      ok.mediaTypes && ok.schema === null
        ? { content: Object.fromEntries(ok.mediaTypes.map((type) => [type, { schema: { type: 'string' } }])) }
        : ok.schema === null
          ? {}
          : {
              content: Object.fromEntries(
                (ok.mediaTypes ?? ['application/json']).map((type) => [
                  type,
                  { schema: ref(ok.schema as string) },
                ]),
              ),
            };
    responses[status] = { description: ok.description, ...headers, ...content };
  }
  for (const [status, codes] of Object.entries(routeErrors(route))) {
    responses[status] = {
      description: codes.join(', '),
      content: { 'application/json': { schema: ref(errorSchemaId(route, status)) } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.auth === 'none' ? { security: [] } : {}),
    ...(route.auth !== 'none' ? { description: `Token: ${authText[route.auth]}` } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            description: route.body.description,
            content: { 'application/json': { schema: ref(route.body.schema) } },
          },
        }
      : {}),
    responses,
  };
}

const authText: Record<Exclude<Auth, 'none'>, string> = {
  admin: 'admin',
  read: 'reader or admin (none with PUBLIC_READ=true)',
  ingest: "the registry's ingest token, or admin",
};

export function openApiDocument(version = '0.1.0') {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'aggregate-registry',
      version,
      description:
        "Istio's aggregate service registry as an HTTP API: registries push or are pulled, and the merged " +
        'view answers as Istio would. Every error is `{"error": {"code", "message"}}`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: componentSchemas(),
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
