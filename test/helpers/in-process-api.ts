/**
 * The API in process: requests as bytes and a path, routed as API Gateway routes them, answered by the
 * routes' handlers over one in-memory store. It plays the gateway's part: dot segments resolved and
 * the path percent-decoded once per segment (a segment that does not decode, or no matching route, is
 * the gateway's own answer), headers lower-cased, a body that is not UTF-8 text (or is compressed)
 * handed over base64. Answers come back as `RawReply`, so the same checks run here and over HTTP.
 */
import type { RegistryStore } from '#store/port.ts';
import { httpEvent, lambdaContext } from './http-event.ts';
import { inflate, type RawReply, type RawRequest } from './raw-http.ts';
import { ROUTES, type Route, type RouteHandler, routeKey } from './routes.ts';

export interface InProcessApi {
  send(request: RawRequest): Promise<RawReply>;
  /** The handler of a route, e.g. `handlerOf('GET /registries')`. */
  handlerOf(key: string): RouteHandler;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export async function inProcessApi(
  store: RegistryStore,
  routes: readonly Route[] = ROUTES,
): Promise<InProcessApi> {
  const handlers = new Map<string, RouteHandler>();
  for (const route of routes) handlers.set(routeKey(route), (await route.load()).makeHandler({ store }));
  const handlerOf = (key: string) => {
    const handler = handlers.get(key);
    if (!handler) throw new Error(`no route ${key}`);
    return handler;
  };

  const send = async (request: RawRequest): Promise<RawReply> => {
    const started = performance.now();
    const [rawPath = '/', rawQuery = ''] = request.path.split('?', 2);
    let segments: string[];
    try {
      segments = new URL(rawPath, 'http://gateway').pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return gatewayReply(400, 'Bad Request', started);
    }
    const match = matchRoute(routes, request.method, segments);
    if (!match) return gatewayReply(404, 'Not Found', started);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
    const bytes = request.body === undefined ? undefined : Buffer.from(request.body);
    let body: string | undefined;
    let isBase64Encoded = false;
    if (bytes !== undefined && bytes.length > 0) {
      const text = headers['content-encoding'] ? undefined : asText(bytes);
      isBase64Encoded = text === undefined;
      body = text ?? bytes.toString('base64');
    }
    const event = httpEvent({
      method: request.method,
      route: match.route.route,
      path: rawPath,
      pathParameters: match.parameters,
      query: Object.fromEntries(new URLSearchParams(rawQuery)),
      headers,
      ...(body === undefined ? {} : { body }),
      isBase64Encoded,
    });
    // httpEvent sets a JSON content type for a body; the request's own headers are what was sent.
    event.headers = headers;
    const result = await handlerOf(routeKey(match.route))(event, lambdaContext());
    const replyHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) {
      replyHeaders[name.toLowerCase()] = String(value);
    }
    const raw = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
    const text = inflate(raw, replyHeaders['content-encoding']).toString('utf8');
    return {
      status: result.statusCode ?? 200,
      headers: replyHeaders,
      raw,
      text,
      json: parseOrUndefined(text),
      ms: performance.now() - started,
    };
  };
  return { send, handlerOf };
}

function matchRoute(routes: readonly Route[], method: string, segments: string[]) {
  for (const route of routes) {
    if (route.method !== method) continue;
    const template = route.route.split('/').slice(1);
    if (template.length !== segments.length) continue;
    const parameters: Record<string, string> = {};
    const matches = template.every((part, i) => {
      const segment = segments[i] as string;
      if (part.startsWith('{')) {
        parameters[part.slice(1, -1)] = segment;
        return segment !== '';
      }
      return part === segment;
    });
    if (matches) return { route, parameters };
  }
  return undefined;
}

function asText(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function parseOrUndefined(text: string): any {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What API Gateway answers itself (`{"message":"Not Found"}`); isGatewayReply recognises it. */
function gatewayReply(status: number, message: string, started: number): RawReply {
  const text = JSON.stringify({ message });
  return {
    status,
    headers: { 'content-type': 'application/json' },
    raw: Buffer.from(text),
    text,
    json: { message },
    ms: performance.now() - started,
  };
}
