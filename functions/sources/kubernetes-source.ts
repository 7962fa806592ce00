/**
 * `{"type": "kubernetes", "server", "token"?, "caData"?, "namespaces"?, "clusterDomain"?}`: Services
 * and discovery.k8s.io/v1 EndpointSlices, read with @kubernetes/client-node, become `Service`s the
 * way Istio's Kubernetes registry converts them:
 *
 * - hostname `<name>.<namespace>.svc.<clusterDomain>` (default `cluster.local`);
 * - ClusterIP services: address = spec.clusterIP, resolution `ClientSideLB`;
 *   headless (clusterIP `None`): no address, resolution `Passthrough`;
 *   ExternalName: no address, resolution `DNS`, meshExternal, one endpoint per port at the external name;
 * - port protocol = appProtocol when it is a plain token (`kubernetes.io/h2c` becomes `h2c`), else
 *   the port's protocol (`TCP`, `UDP`, `SCTP`);
 * - labels = metadata.labels; serviceAccounts from Istio's `alpha.istio.io/canonical-serviceaccounts`
 *   (verbatim) and `alpha.istio.io/kubernetes-serviceaccounts` (as
 *   `spiffe://cluster.local/ns/<ns>/sa/<name>`, Istio's default trust domain) annotations;
 * - endpoints from the EndpointSlices labelled `kubernetes.io/service-name`: every address × every
 *   slice port, portName = the slice port's name (it matches the service port's name),
 *   healthy = `conditions.ready !== false` (unset means ready, as in Kubernetes), locality = zone.
 *   Endpoints that are neither ready nor serving are kept with healthy false. EndpointSlices do not
 *   say which service account a pod runs as, so endpoints carry none.
 */
import {
  ApiException,
  CoreV1Api,
  createConfiguration,
  DiscoveryV1Api,
  KubeConfig,
  ServerConfiguration,
  type V1EndpointSlice,
  type V1ListMeta,
  type V1Service,
} from '@kubernetes/client-node';
import type { KubernetesSource } from '#lib/source-schema.ts';
import type { Endpoint, Port, Service } from '#lib/types.ts';
import { mapLimit, type SourceContext, toLabels } from './context.ts';
import { excerpt, networkCode, SourceError } from './errors.ts';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const PAGE_SIZE = 500;
/** A runaway guard: a server that keeps returning `continue` tokens. */
const MAX_PAGES = 1000;
const NAMESPACE_CONCURRENCY = 8;
const PROTOCOL_TOKEN = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,31}$/;
const CANONICAL_SA_ANNOTATION = 'alpha.istio.io/canonical-serviceaccounts';
const KUBERNETES_SA_ANNOTATION = 'alpha.istio.io/kubernetes-serviceaccounts';

interface Listed<T> {
  items: T[];
  metadata?: V1ListMeta;
}

export async function fetchKubernetesServices(
  source: KubernetesSource,
  ctx: SourceContext,
): Promise<Service[]> {
  const token = source.token === undefined ? undefined : await ctx.resolveSecret(source.token);
  // The generated client appends paths to the server string as is.
  const server = source.server.replace(/\/+$/, '');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'source',
        server,
        // The client refuses http:// unless TLS verification is "skipped"; there is no TLS to verify
        // then (e.g. `kubectl proxy`). https:// servers are always verified.
        skipTLSVerify: new URL(server).protocol === 'http:',
        ...(source.caData === undefined ? {} : { caData: source.caData.replace(/\s+/g, '') }),
      },
    ],
    users: [{ name: 'source', ...(token === undefined ? {} : { token }) }],
    contexts: [{ name: 'source', cluster: 'source', user: 'source' }],
    currentContext: 'source',
  });
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [
      {
        pre: async (request) => {
          const url = new URL(request.getUrl());
          await ctx.checkDestination(url, `${request.getHttpMethod()} ${url.pathname}`);
          request.setSignal(ctx.signal);
          return request;
        },
        post: async (response) => response,
      },
    ],
  });
  const core = new CoreV1Api(configuration);
  const discovery = new DiscoveryV1Api(configuration);

  let services: V1Service[];
  let slices: V1EndpointSlice[];
  if (source.namespaces === undefined) {
    [services, slices] = await Promise.all([
      listAll(ctx, 'GET /api/v1/services', (page) => core.listServiceForAllNamespaces(page)),
      listAll(ctx, 'GET /apis/discovery.k8s.io/v1/endpointslices', (page) =>
        discovery.listEndpointSliceForAllNamespaces(page),
      ),
    ]);
  } else {
    const perNamespace = await mapLimit(source.namespaces, NAMESPACE_CONCURRENCY, (namespace) =>
      Promise.all([
        listAll(ctx, `GET /api/v1/namespaces/${namespace}/services`, (page) =>
          core.listNamespacedService({ namespace, ...page }),
        ),
        listAll(ctx, `GET /apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, (page) =>
          discovery.listNamespacedEndpointSlice({ namespace, ...page }),
        ),
      ]),
    );
    services = perNamespace.flatMap(([list]) => list);
    slices = perNamespace.flatMap(([, list]) => list);
  }
  if (services.length > ctx.limits.maxServicesPerSnapshot) {
    throw new SourceError(
      `${ctx.what}: ${services.length} services, more than the limit of ${ctx.limits.maxServicesPerSnapshot}`,
      { kind: 'invalid' },
    );
  }
  try {
    return toServices(services, slices, source.clusterDomain ?? 'cluster.local', ctx);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(`${ctx.what}: unexpected shape of a Service or EndpointSlice`, {
      kind: 'invalid',
      cause: error,
    });
  }
}

/** Follow `metadata.continue` until the list is complete. */
async function listAll<T>(
  ctx: SourceContext,
  request: string,
  list: (page: { limit: number; _continue?: string }) => Promise<Listed<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    let result: Listed<T>;
    try {
      result = await list({ limit: PAGE_SIZE, ...(next === undefined ? {} : { _continue: next }) });
    } catch (error) {
      throw kubeError(error, request, ctx);
    }
    if (!Array.isArray(result.items)) {
      throw new SourceError(`${ctx.what}: the answer to ${request} has no items list`, { kind: 'invalid' });
    }
    items.push(...result.items);
    next = result.metadata?._continue || undefined;
    if (next === undefined) return items;
  }
  throw new SourceError(`${ctx.what}: ${request} did not finish after ${MAX_PAGES} pages`, {
    kind: 'invalid',
  });
}

function kubeError(error: unknown, request: string, ctx: SourceContext): unknown {
  if (ctx.signal.aborted) return ctx.signal.reason;
  if (error instanceof ApiException) {
    const code = Number(error.code);
    const detail = statusMessage(error.body);
    return new SourceError(
      `${ctx.what}: HTTP ${code} for ${request}${detail ? `: ${detail}` : code === 401 ? ': Unauthorized' : ''}`,
      { kind: 'status', status: code, cause: error },
    );
  }
  const code = networkCode(error);
  if (error instanceof TypeError && code !== undefined) {
    return new SourceError(`${ctx.what}: could not reach the server for ${request} (${code})`, {
      kind: 'unreachable',
      cause: error,
    });
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return new SourceError(`${ctx.what}: could not reach the server for ${request}`, {
      kind: 'unreachable',
      cause: error,
    });
  }
  // Bodies that are not JSON (or not declared as JSON), or that do not deserialize as the list.
  if (
    error instanceof SyntaxError ||
    (error instanceof Error && /mediaType|deserializ|parse/i.test(error.message))
  ) {
    return new SourceError(`${ctx.what}: the answer to ${request} is not a valid Kubernetes list`, {
      kind: 'invalid',
      cause: error,
    });
  }
  return error;
}

/** The `message` of a Kubernetes `Status` body, or a short excerpt of whatever text came back. */
function statusMessage(body: unknown): string {
  if (typeof body !== 'string' || body === '') return '';
  try {
    const parsed: unknown = JSON.parse(body);
    if (
      parsed !== null &&
      typeof parsed === 'object' &&
      'message' in parsed &&
      typeof parsed.message === 'string'
    ) {
      return excerpt(parsed.message);
    }
  } catch {
    // not JSON: fall through to the excerpt
  }
  return excerpt(body);
}

function toServices(
  services: V1Service[],
  slices: V1EndpointSlice[],
  clusterDomain: string,
  ctx: SourceContext,
): Service[] {
  const slicesByService = new Map<string, V1EndpointSlice[]>();
  for (const slice of slices) {
    const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const namespace = slice.metadata?.namespace;
    if (name === undefined || namespace === undefined) continue;
    const key = `${namespace}/${name}`;
    const list = slicesByService.get(key);
    if (list === undefined) slicesByService.set(key, [slice]);
    else list.push(slice);
  }

  const out: Service[] = [];
  for (const item of services) {
    const name = item.metadata?.name;
    const namespace = item.metadata?.namespace;
    if (name === undefined || namespace === undefined) continue;
    const spec = item.spec ?? {};
    const service: Service = {
      hostname: `${name}.${namespace}.svc.${clusterDomain}`,
      namespace,
    };
    const ports: Port[] = (spec.ports ?? []).map((port) => {
      const protocol = portProtocol(port.appProtocol, port.protocol);
      return {
        ...(port.name ? { name: port.name } : {}),
        port: port.port,
        ...(protocol === undefined ? {} : { protocol }),
      };
    });
    service.ports = ports;
    const labels = toLabels(Object.entries(item.metadata?.labels ?? {}), ctx.limits.maxLabels);
    if (Object.keys(labels).length > 0) service.labels = labels;
    const serviceAccounts = annotatedServiceAccounts(item.metadata?.annotations ?? {}, namespace);
    if (serviceAccounts.length > 0) service.serviceAccounts = serviceAccounts;

    if (spec.type === 'ExternalName') {
      service.resolution = 'DNS';
      service.meshExternal = true;
      service.endpoints = spec.externalName
        ? ports.map((port) => ({
            address: spec.externalName as string,
            port: port.port,
            ...(port.name ? { portName: port.name } : {}),
          }))
        : [];
    } else {
      if (spec.clusterIP === undefined || spec.clusterIP === '' || spec.clusterIP === 'None') {
        service.resolution = 'Passthrough';
      } else {
        service.address = spec.clusterIP;
        service.resolution = 'ClientSideLB';
      }
      service.endpoints = toEndpoints(slicesByService.get(`${namespace}/${name}`) ?? []);
    }
    out.push(service);
  }
  return out.sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
}

function toEndpoints(slices: V1EndpointSlice[]): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    const ports = (slice.ports ?? []).filter((port) => typeof port.port === 'number');
    for (const endpoint of slice.endpoints ?? []) {
      const healthy = endpoint.conditions?.ready !== false;
      for (const address of endpoint.addresses ?? []) {
        for (const port of ports) {
          // The same endpoint can show up in two slices while the controller moves it.
          const key = `${address}|${port.port}|${port.name ?? ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({
            address,
            port: port.port as number,
            ...(port.name ? { portName: port.name } : {}),
            ...(endpoint.zone ? { locality: endpoint.zone } : {}),
            healthy,
          });
        }
      }
    }
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port || 0));
}

/** appProtocol when it fits our protocol field, else the L4 protocol. */
function portProtocol(appProtocol: string | undefined, protocol: string | undefined): string | undefined {
  if (appProtocol) {
    const plain = appProtocol.startsWith('kubernetes.io/')
      ? appProtocol.slice('kubernetes.io/'.length)
      : appProtocol;
    if (PROTOCOL_TOKEN.test(plain)) return plain;
  }
  return protocol && PROTOCOL_TOKEN.test(protocol) ? protocol : undefined;
}

function annotatedServiceAccounts(annotations: Record<string, string>, namespace: string): string[] {
  const split = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
  const accounts = [
    ...split(annotations[CANONICAL_SA_ANNOTATION]),
    ...split(annotations[KUBERNETES_SA_ANNOTATION]).map(
      (name) => `spiffe://cluster.local/ns/${namespace}/sa/${name}`,
    ),
  ];
  return [...new Set(accounts)];
}
