/**
 * The merged-view routes in-process over one MemoryRegistryStore, and the means to read their answers
 * as a client would (base64 and content coding undone).
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Service } from '#lib/types.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { httpEvent, lambdaContext, type TestRequest } from './http-event.ts';

export const ADMIN = 'admin-token-for-query-tests-0123456789';
export const READER = 'reader-token-for-query-tests-0123456789';
process.env.ADMIN_TOKEN = ADMIN;
process.env.READER_TOKEN = READER;
process.env.TABLE_NAME ??= 'query-tests';

const services = await import('../../functions/query/get-services.ts');
const service = await import('../../functions/query/get-service.ts');
const changes = await import('../../functions/query/get-changes.ts');
const conflicts = await import('../../functions/query/get-conflicts.ts');
const preview = await import('../../functions/query/post-preview.ts');

export type Result = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string> };

type Handler = (
  event: ReturnType<typeof httpEvent>,
  context: ReturnType<typeof lambdaContext>,
) => Promise<unknown>;

export interface QueryRoutes {
  store: MemoryRegistryStore;
  get(path: string, request?: TestRequest): Promise<Result>;
  post(path: string, body: unknown, request?: TestRequest): Promise<Result>;
}

export function queryRoutes(
  store: MemoryRegistryStore = new MemoryRegistryStore(),
  options: { pollIntervalMs?: number; remainingMs?: number } = {},
): QueryRoutes {
  const routes: Record<string, Handler> = {
    'GET /services': services.makeHandler({ store }) as Handler,
    'GET /services/{hostname}': service.makeHandler({ store }) as Handler,
    'GET /changes': changes.makeHandler({
      store,
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    }) as Handler,
    'GET /conflicts': conflicts.makeHandler({ store }) as Handler,
    'POST /preview': preview.makeHandler({ store }) as Handler,
  };
  const call = async (method: string, path: string, request: TestRequest): Promise<Result> => {
    const hostname = /^\/services\/(.+)$/.exec(path)?.[1];
    const route = hostname ? '/services/{hostname}' : path;
    const handler = routes[`${method} ${route}`];
    if (!handler) throw new Error(`no route ${method} ${route}`);
    const context = lambdaContext();
    if (options.remainingMs !== undefined) {
      const until = Date.now() + options.remainingMs;
      context.getRemainingTimeInMillis = () => until - Date.now();
    }
    const event = httpEvent({
      method,
      route,
      path,
      token: READER,
      ...(hostname ? { pathParameters: { hostname } } : {}),
      ...request,
    });
    const result = (await handler(event, context)) as Result;
    return {
      ...result,
      headers: Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      ),
    };
  };
  return {
    store,
    get: (path, request = {}) => call('GET', path, request),
    post: (path, body, request = {}) =>
      call('POST', path, { token: ADMIN, body: body as object, ...request }),
  };
}

/** The body bytes as sent (base64 undone). */
export function rawBody(result: Result): Buffer {
  const body = result.body ?? '';
  return result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body);
}

/** The body as a client reads it: base64 and content coding undone, JSON parsed. */
export function bodyOf<T = any>(result: Result): T {
  const bytes = rawBody(result);
  const coding = result.headers['content-encoding'];
  const text =
    coding === 'gzip'
      ? gunzipSync(bytes).toString()
      : coding === 'br'
        ? brotliDecompressSync(bytes).toString()
        : bytes.toString();
  return JSON.parse(text) as T;
}

/** Bytes the response body takes in the Lambda payload (a binary body is base64 there). */
export function payloadBytes(result: Result): number {
  return Buffer.byteLength(result.body ?? '');
}

export async function registryWith(
  store: MemoryRegistryStore,
  name: string,
  list: Service[],
  settings: { clusterId?: string; provider?: string } = {},
): Promise<void> {
  await store.putRegistry(name, settings);
  await store.putSnapshot(name, list);
}

export function manyServices(count: number, prefix = 'svc', registry = 'r'): Service[] {
  return Array.from({ length: count }, (_, i) => ({
    hostname: `${prefix}-${i}.${registry}.svc.cluster.local`,
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
  }));
}
