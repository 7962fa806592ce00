/**
 * An HTTP client for tests that try to break the API: the path is sent exactly as given (fetch would
 * resolve `%2e%2e` and `..` before sending), bodies are bytes, and every request has a deadline, so a
 * hang is a test failure with a name instead of a stuck suite.
 */
import { Agent, request } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  text: string;
  /** The parsed JSON body, or undefined when the body is empty or not JSON. */
  json: any;
  ms: number;
}

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encode what must be encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs?: number;
}

export class RequestTimeout extends Error {
  override readonly name = 'RequestTimeout';
}

/** `headers` go with every request unless the request sets the same header (e.g. `authorization`). */
export function rawClient(
  baseUrl: string,
  options: { maxSockets?: number; headers?: Record<string, string> } = {},
) {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
  const send = (req: RawRequest): Promise<RawReply> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      const headers: Record<string, string> = { ...options.headers, ...req.headers };
      if (body !== undefined) headers['content-length'] = String(body.length);
      const timeoutMs = req.timeoutMs ?? 15_000;
      const outgoing = request(
        {
          host: base.hostname,
          port: base.port,
          method: req.method,
          path: req.path,
          headers,
          agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            clearTimeout(timer);
            const raw = Buffer.concat(chunks);
            const text = inflate(raw, response.headers['content-encoding']).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? undefined : JSON.parse(text);
            } catch {}
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              raw,
              text,
              json,
              ms: performance.now() - started,
            });
          });
        },
      );
      const timer = setTimeout(() => {
        outgoing.destroy(
          new RequestTimeout(`${req.method} ${req.path.slice(0, 120)}: no answer in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      outgoing.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      outgoing.end(body);
    });
  return { send, close: () => agent.destroy() };
}

export type RawClient = ReturnType<typeof rawClient>;

/** The response body as sent before `Content-Encoding` (the raw bytes if they do not inflate). */
export function inflate(raw: Buffer, encoding: string | undefined): Buffer {
  try {
    if (encoding === 'gzip') return gunzipSync(raw);
    if (encoding === 'br') return brotliDecompressSync(raw);
    if (encoding === 'deflate') return inflateSync(raw);
  } catch {}
  return raw;
}

/** `{"error":{"code","message"}}` with string code and message, and nothing that looks like a stack. */
export function errorShapeProblem(reply: RawReply): string | undefined {
  const error = reply.json?.error;
  if (typeof error?.code !== 'string' || typeof error?.message !== 'string') {
    return `not the JSON error shape: ${reply.text.slice(0, 300)}`;
  }
  if (/\n\s+at |node_modules|\.ts:\d+/.test(reply.text))
    return `a stack trace leaked: ${reply.text.slice(0, 300)}`;
  return undefined;
}

/**
 * serverless-offline's own answers for requests no route matches or whose URL its HTTP server
 * (hapi) cannot decode. They never reach a function; API Gateway answers these itself in AWS
 * (`{"message":"Not Found"}`), so they are counted apart rather than held to our error shape.
 */
export function isGatewayReply(reply: RawReply): boolean {
  const body = reply.json;
  // API Gateway's own (and the in-process gateway's): `{"message": "Not Found"}`.
  if (
    reply.status >= 400 &&
    reply.status < 500 &&
    typeof body?.message === 'string' &&
    Object.keys(body).length === 1
  )
    return true;
  if (reply.status === 404 && typeof body?.error === 'string' && body.error.includes('route not found'))
    return true;
  // hapi's own error shape: a URL it cannot decode, a CORS preflight it refuses, a media type it
  // will not read for a route that does not exist.
  return (
    reply.status >= 400 &&
    reply.status < 500 &&
    body?.statusCode === reply.status &&
    typeof body?.error === 'string' &&
    typeof body?.message === 'string'
  );
}
