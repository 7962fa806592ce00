/** The API as the CLI calls it: JSON over fetch, errors as one-line messages with the API's code. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ClientOptions {
  url: string;
  token?: string | undefined;
}

/** An error the CLI reports as one line and a non-zero exit. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface Reply<T> {
  status: number;
  body: T;
  headers: Headers;
}

export class Client {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      ...extra,
    };
  }

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Reply<T>> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new CliError(`cannot reach ${this.base}: ${causeOf(error)}`);
    }
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: parseReply<T>(method, path, response.status, text),
    };
  }

  /** Sends raw bytes with a known length, reporting progress (fetch cannot report upload progress). */
  send<T>(
    method: string,
    path: string,
    bytes: Buffer,
    headers: Record<string, string>,
    onProgress?: (sent: number) => void,
  ): Promise<Reply<T>> {
    const url = new URL(`${this.base}${path}`);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        { method, headers: this.headers({ ...headers, 'content-length': String(bytes.length) }) },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            const status = incoming.statusCode ?? 0;
            try {
              const body = parseReply<T>(method, path, status, Buffer.concat(chunks).toString('utf8'));
              resolve({ status, body, headers: new Headers(incoming.headers as Record<string, string>) });
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      outgoing.on('error', (error) => reject(new CliError(`cannot reach ${this.base}: ${causeOf(error)}`)));
      const CHUNK = 64 * 1024;
      let offset = 0;
      const writeMore = () => {
        while (offset < bytes.length) {
          const chunk = bytes.subarray(offset, offset + CHUNK);
          offset += chunk.length;
          onProgress?.(offset);
          if (!outgoing.write(chunk)) {
            outgoing.once('drain', writeMore);
            return;
          }
        }
        outgoing.end();
      };
      writeMore();
    });
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The body of a 2xx or 304; anything else becomes a CliError naming the API's code and message. */
function parseReply<T>(method: string, path: string, status: number, text: string): T {
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if ((status >= 200 && status < 300) || status === 304) return body as T;
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string') {
    const hint =
      status === 401 ? ' (the token is missing or wrong: --token or AGGREGATE_REGISTRY_TOKEN)' : '';
    throw new CliError(`${error.code}: ${String(error.message ?? '')}${hint}`);
  }
  // Not our error body: a route this deployment does not serve, or something in between.
  const route = `${method} ${path.split('?')[0]}`;
  if (status === 404) throw new CliError(`NotServed: this deployment does not serve ${route}`);
  throw new CliError(`HTTP ${status} from ${route}`);
}

export function isNotServed(error: unknown): boolean {
  return error instanceof CliError && error.message.startsWith('NotServed:');
}
