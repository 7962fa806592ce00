/**
 * Every HTTP route the stack serves, as a table the in-process tests are built from (the auth matrix,
 * the client-mistake matrix, the fuzz tests): adding a route is one line here. `scope` is who may call
 * it (`none`: no token needed); `load` imports the route's module, whose `makeHandler(deps)` builds the
 * handler over the store the test gives it.
 *
 * Modules read their configuration when loaded: set `process.env` (test/helpers/handler-env.ts) first.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { RegistryStore } from '#store/port.ts';

export type RouteScope = 'admin' | 'read' | 'ingest' | 'none';
export type RouteHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
export interface RouteModule {
  makeHandler(deps: { store: RegistryStore }): RouteHandler;
}

export interface Route {
  method: string;
  /** The route key's path, with `{parameters}`, as in serverless.yml. */
  route: string;
  scope: RouteScope;
  load: () => Promise<RouteModule>;
  /** A valid body for the route, when it takes one (the matrices send it with every credential). */
  body?: unknown;
}

/** A valid snapshot body. */
const SNAPSHOT = { services: [{ hostname: 'alpha-1.example.com', address: '10.0.0.1' }] };

function route(key: string, scope: RouteScope, load: () => Promise<unknown>, body?: unknown): Route {
  const [method = '', path = ''] = key.split(' ');
  return {
    method,
    route: path,
    scope,
    load: load as () => Promise<RouteModule>,
    ...(body === undefined ? {} : { body }),
  };
}

const fn = '../../functions';

// One line per route: `route('<method> <path>', scope, () => import(module), validBody?)`.
export const ROUTES: readonly Route[] = [
  route('PUT /registries/{name}', 'admin', () => import(`${fn}/registries/put-registry.ts`), {
    clusterId: 'c1',
  }),
  route('GET /registries', 'read', () => import(`${fn}/registries/list-registries.ts`)),
  route('GET /registries/{name}', 'read', () => import(`${fn}/registries/get-registry.ts`)),
  route('DELETE /registries/{name}', 'admin', () => import(`${fn}/registries/delete-registry.ts`)),
  route('POST /registries/{name}/token', 'admin', () => import(`${fn}/registries/rotate-token.ts`)),
  route('PUT /registries/{name}/snapshot', 'ingest', () => import(`${fn}/ingest/put-snapshot.ts`), SNAPSHOT),
  route('GET /health', 'none', () => import(`${fn}/http/health.ts`)),
  route('GET /services', 'read', () => import(`${fn}/query/get-services.ts`)),
  route('GET /services/{hostname}', 'read', () => import(`${fn}/query/get-service.ts`)),
  route('GET /services/{hostname}/endpoints', 'read', () => import(`${fn}/query/get-endpoints.ts`)),
  route(
    'GET /services/{hostname}/service-accounts',
    'read',
    () => import(`${fn}/query/get-service-accounts.ts`),
  ),
  route('GET /workloads/{address}', 'read', () => import(`${fn}/query/get-workload.ts`)),
  route('GET /changes', 'read', () => import(`${fn}/query/get-changes.ts`)),
  route('GET /conflicts', 'read', () => import(`${fn}/query/get-conflicts.ts`)),
  route('GET /exports/istio', 'read', () => import(`${fn}/exports/export-istio.ts`)),
  route('GET /exports/prometheus', 'read', () => import(`${fn}/exports/export-prometheus.ts`)),
  route('POST /preview', 'admin', () => import(`${fn}/query/post-preview.ts`), {
    registry: 'alpha',
    delete: true,
  }),
];

/** The value the matrices put in each path parameter: the seeded registry `alpha`, a service of it. */
export const EXAMPLE_PARAMETERS: Record<string, string> = {
  name: 'alpha',
  hostname: 'alpha-0.example.com',
  address: '10.0.0.1',
};

/** `PUT /registries/{name}` */
export const routeKey = (route: Pick<Route, 'method' | 'route'>) => `${route.method} ${route.route}`;
