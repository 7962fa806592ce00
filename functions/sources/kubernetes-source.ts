/**
 * `{"type": "kubernetes", "server", "token"?, "caData"?, "namespaces"?, "clusterDomain"?}`: lists
 * core/v1 Services and discovery.k8s.io/v1 EndpointSlices with @kubernetes/client-node, paged with
 * `continue`; lib/mappings/kubernetes.ts makes the snapshot.
 *
 * The client's requests go through our transport (its `httpApi` is ours): the deny list applies to
 * every connection, no redirect is followed (the client's own fetch follows them), and every answer
 * is read with the size cap after decompression.
 */
import {
  ApiException,
  CoreV1Api,
  createConfiguration,
  DiscoveryV1Api,
  type RequestContext,
  ResponseContext,
  ServerConfiguration,
  type V1ListMeta,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import pMap from 'p-map';
import { type KubeEndpointSlice, type KubeService, kubernetesToSnapshot } from '#lib/mappings/kubernetes.ts';
import type { KubernetesSource } from '#lib/source-schema.ts';
import type { AdapterContext, SourceAdapter } from './adapter.ts';
import { describeUrl, excerpt, SourceError } from './errors.ts';
import type { Transport } from './transport.ts';

const PAGE_SIZE = 500;
/** A runaway guard: a server that keeps returning `continue` tokens. */
const MAX_PAGES = 1000;
const NAMESPACE_CONCURRENCY = 8;

interface Listed<T> {
  items: T[];
  metadata?: V1ListMeta;
}

export const kubernetesAdapter: SourceAdapter<KubernetesSource> = {
  describe: (source) => `Kubernetes API ${describeUrl(source.server)}`,
  skipInvalid: true,
  async fetch(source, transport, secrets, context) {
    const token = source.token === undefined ? undefined : await secrets.resolve(source.token);
    // The generated client appends paths to the server string as is.
    const server = source.server.replace(/\/+$/, '');
    const tls =
      source.caData === undefined
        ? transport
        : transport.withCa(Buffer.from(source.caData.replace(/\s+/g, ''), 'base64').toString('utf8'));
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(server, {}),
      httpApi: wrapHttpLibrary({ send: (request) => send(tls, request, token) }),
    });
    const core = new CoreV1Api(configuration);
    const discovery = new DiscoveryV1Api(configuration);

    let services: KubeService[];
    let slices: KubeEndpointSlice[];
    if (source.namespaces === undefined) {
      [services, slices] = await Promise.all([
        listAll(context, 'GET /api/v1/services', (page) => core.listServiceForAllNamespaces(page)),
        listAll(context, 'GET /apis/discovery.k8s.io/v1/endpointslices', (page) =>
          discovery.listEndpointSliceForAllNamespaces(page),
        ),
      ]);
    } else {
      const perNamespace = await pMap(
        source.namespaces,
        (namespace) =>
          Promise.all([
            listAll(context, `GET /api/v1/namespaces/${namespace}/services`, (page) =>
              core.listNamespacedService({ namespace, ...page }),
            ),
            listAll(context, `GET /apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, (page) =>
              discovery.listNamespacedEndpointSlice({ namespace, ...page }),
            ),
          ]),
        { concurrency: NAMESPACE_CONCURRENCY },
      );
      services = perNamespace.flatMap(([list]) => list);
      slices = perNamespace.flatMap(([, list]) => list);
    }
    if (services.length > context.limits.maxServicesPerSnapshot) {
      throw new SourceError(
        `${context.what}: ${services.length} services, more than the limit of ${context.limits.maxServicesPerSnapshot}`,
        { kind: 'invalid' },
      );
    }
    return kubernetesToSnapshot(services, slices, {
      ...(source.clusterDomain === undefined ? {} : { clusterDomain: source.clusterDomain }),
      maxLabels: context.limits.maxLabels,
    });
  },
};

/** The client's HTTP library: one request through our transport, the bearer token added. */
async function send(transport: Transport, request: RequestContext, token: string | undefined) {
  const url = new URL(request.getUrl());
  const method = request.getHttpMethod().toString();
  const body = request.getBody();
  const response = await transport.send(url, {
    method,
    headers: {
      ...request.getHeaders(),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(typeof body === 'string' ? { body } : {}),
    request: `${method} ${url.pathname}`,
  });
  return new ResponseContext(response.status, response.headers, {
    text: async () => response.text,
    binary: async () => Buffer.from(response.text, 'utf8'),
    stream: () => null,
  });
}

/** Follow `metadata.continue` until the list is complete. */
async function listAll<T>(
  context: AdapterContext,
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
      throw kubeError(error, request, context);
    }
    if (!Array.isArray(result.items)) {
      throw new SourceError(`${context.what}: the answer to ${request} has no items list`, {
        kind: 'invalid',
      });
    }
    items.push(...result.items);
    if (items.length > context.limits.maxServicesPerSnapshot * 10) {
      throw new SourceError(`${context.what}: ${request} lists more objects than any snapshot could hold`, {
        kind: 'invalid',
      });
    }
    next = result.metadata?._continue || undefined;
    if (next === undefined) return items;
  }
  throw new SourceError(`${context.what}: ${request} did not finish after ${MAX_PAGES} pages`, {
    kind: 'invalid',
  });
}

function kubeError(error: unknown, request: string, context: AdapterContext): unknown {
  if (error instanceof SourceError) return error;
  if (error instanceof ApiException) {
    const code = Number(error.code);
    return new SourceError(`${context.what}: HTTP ${code} from source for ${request}`, {
      kind: 'status',
      status: code,
      detail: statusMessage(error.body),
    });
  }
  // Bodies that are not JSON (or not declared as JSON), or that do not deserialize as the list.
  if (
    error instanceof SyntaxError ||
    (error instanceof Error && /mediaType|deserializ|parse|JSON/i.test(error.message))
  ) {
    return new SourceError(`${context.what}: the answer to ${request} is not a valid Kubernetes list`, {
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
