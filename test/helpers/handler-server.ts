/**
 * A real HTTP server on loopback in front of in-process handlers (API Gateway payload 2.0 events), so
 * that an outside client such as Prometheus can call routes served from the in-memory store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import type { HttpResult } from '#http/handler.ts';
import { httpEvent, lambdaContext } from './http-event.ts';

export type RouteHandler = (event: ReturnType<typeof httpEvent>, context: Context) => Promise<HttpResult>;

export interface HandlerServer {
  url: string;
  stop(): Promise<void>;
}

export async function serveHandlers(routes: Record<string, RouteHandler>): Promise<HandlerServer> {
  const server: Server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const handler = routes[url.pathname];
      if (!handler || request.method !== 'GET') {
        response.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"code":"NotFound"}}');
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      const event = httpEvent({
        method: 'GET',
        route: url.pathname,
        headers,
        query: Object.fromEntries(url.searchParams),
      });
      const result = await handler(event, lambdaContext());
      const body = result.body ?? '';
      response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
    } catch {
      response.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
