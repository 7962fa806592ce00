/**
 * The one way adapters reach the network. Every connection goes through an undici Agent whose
 * connector refuses denied addresses (deny-list.ts): a literal IP is checked as it is, and a host
 * name is resolved by our `lookup`, which checks every address it returns, right where the socket
 * connects. The address checked is the address connected to, so a DNS answer that changes between a
 * check and the connection (rebinding) cannot slip past, and no adapter can forget the check.
 *
 * On top: redirects are never followed (they could carry our headers to another host), every body
 * is read with a size cap counted after decompression (a gzip bomb stops at the cap), and every
 * request carries the fetch's signal (its timeout and the caller's cancellation).
 */
import dns, { type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch } from 'undici';
import type { DenyList } from './deny-list.ts';
import { excerpt, networkCode, SourceError } from './errors.ts';

export interface TransportResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text, at most the transport's `maxBytes` after decompression. */
  text: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** How the request is named in messages, e.g. `GET /v1/catalog/services`. */
  request?: string;
}

export interface Transport {
  /**
   * Sends one request and returns the answer, whatever its status, except a redirect, which is a
   * SourceError (kind 'status'). Network failures and denied addresses are SourceErrors too.
   */
  send(url: URL, options?: SendOptions): Promise<TransportResponse>;
  /**
   * GET a JSON document. A non-2xx answer is a SourceError (kind 'status') whose message has the
   * status only; the upstream's words are in `detail`, for logs.
   */
  getJson(url: URL, options?: Omit<SendOptions, 'method' | 'body'>): Promise<unknown>;
  /** The same transport trusting these CA certificates (PEM) for https. */
  withCa(ca: string): Transport;
}

export interface TransportOptions {
  denyList: DenyList;
  signal: AbortSignal;
  /** The cap of one answer, counted after decompression. */
  maxBytes: number;
  /**
   * The cap of all answers of one fetch together (default 4 × maxBytes): a paged Kubernetes list or a
   * Consul catalog of many services cannot add up to more than this, page by page.
   */
  maxTotalBytes?: number;
  /** How the upstream is named in messages, e.g. `Consul http://consul:8500/`. */
  what: string;
}

/** Raised inside the connector; turned into a SourceError (kind 'denied') by `send`. */
class DeniedAddressError extends Error {
  override readonly name = 'DeniedAddressError';
}

/** A name that does not resolve; turned into a SourceError (kind 'unreachable'). */
class UnresolvedError extends Error {
  override readonly name = 'UnresolvedError';
  constructor(
    readonly host: string,
    readonly code: string | undefined,
  ) {
    super(`could not resolve ${host}${code === undefined ? '' : ` (${code})`}`);
  }
}

const DENIED_HINT =
  '(link-local and cloud metadata addresses are not allowed as sources; see SOURCE_DENY_CIDRS)';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** `net.connect`'s lookup, checking every address a name resolves to. */
function checkedLookup(denyList: DenyList) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    // Through the module object, looked up at call time, so tests can stand in for DNS.
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) {
        callback(new UnresolvedError(hostname, typeof error.code === 'string' ? error.code : undefined), []);
        return;
      }
      if (addresses.length === 0) {
        callback(new UnresolvedError(hostname, undefined), []);
        return;
      }
      for (const { address } of addresses) {
        const rule = denyList.match(address);
        if (rule !== undefined) {
          callback(
            new DeniedAddressError(
              `${hostname} resolves to ${address}, which is in the denied range ${rule} ${DENIED_HINT}`,
            ),
            [],
          );
          return;
        }
      }
      const [first] = addresses as [LookupAddress];
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

function guardedAgent(denyList: DenyList, ca?: string): Agent {
  const connector = buildConnector({
    lookup: checkedLookup(denyList),
    ...(ca === undefined ? {} : { ca }),
  } as buildConnector.BuildOptions);
  return new Agent({
    connect: (options, callback) => {
      const host = options.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) !== 0) {
        const rule = denyList.match(host);
        if (rule !== undefined) {
          callback(
            new DeniedAddressError(`address ${host} is in the denied range ${rule} ${DENIED_HINT}`),
            null,
          );
          return;
        }
      }
      connector(options, callback);
    },
  });
}

/** A transport for one fetch; `close()` drops its connections so nothing is reused by another fetch. */
export function createTransport(options: TransportOptions): Transport & { close(): Promise<void> } {
  const agents: Agent[] = [];
  const budget: ByteBudget = {
    left: options.maxTotalBytes ?? 4 * options.maxBytes,
    total: options.maxTotalBytes ?? 4 * options.maxBytes,
  };
  const make = (ca?: string): Transport => {
    const agent = guardedAgent(options.denyList, ca);
    agents.push(agent);
    const send = (url: URL, init: SendOptions = {}) => sendWith(agent, url, init, options, budget);
    return {
      send,
      getJson: async (url, init = {}) => {
        const response = await send(url, {
          ...init,
          headers: { accept: 'application/json', ...init.headers },
        });
        const forRequest = init.request === undefined ? '' : ` for ${init.request}`;
        if (response.status < 200 || response.status > 299) {
          throw statusError(options.what, response, forRequest);
        }
        try {
          return JSON.parse(response.text);
        } catch (error) {
          const toRequest = init.request === undefined ? '' : ` to ${init.request}`;
          throw new SourceError(`${options.what}: the answer${toRequest} is not valid JSON`, {
            kind: 'invalid',
            cause: error,
          });
        }
      },
      withCa: (pem) => make(pem),
    };
  };
  return {
    ...make(),
    close: async () => {
      await Promise.all(agents.map((agent) => agent.destroy().catch(() => {})));
    },
  };
}

/** `HTTP 503 from source` and the like; the upstream's body goes to `detail` (logs), never the message. */
export function statusError(what: string, response: TransportResponse, forRequest = ''): SourceError {
  return new SourceError(`${what}: HTTP ${response.status} from source${forRequest}`, {
    kind: 'status',
    status: response.status,
    detail: excerpt(response.text),
  });
}

interface ByteBudget {
  left: number;
  total: number;
}

async function sendWith(
  agent: Agent,
  url: URL,
  init: SendOptions,
  options: TransportOptions,
  budget: ByteBudget,
): Promise<TransportResponse> {
  const { what, signal } = options;
  const forRequest = init.request === undefined ? '' : ` for ${init.request}`;
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      ...(init.headers === undefined ? {} : { headers: init.headers }),
      ...(init.body === undefined ? {} : { body: init.body }),
      signal,
      redirect: 'manual',
      dispatcher: agent,
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const cause = innermost(error);
    if (cause instanceof DeniedAddressError) {
      throw new SourceError(`${what}: ${cause.message}`, { kind: 'denied' });
    }
    if (cause instanceof UnresolvedError) {
      throw new SourceError(`${what}: ${cause.message}${forRequest}`, {
        kind: 'unreachable',
      });
    }
    const code = networkCode(error);
    throw new SourceError(`${what}: could not connect${forRequest}${code ? ` (${code})` : ''}`, {
      kind: 'unreachable',
      cause: error,
    });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => {});
    throw new SourceError(
      `${what}: HTTP ${response.status}${forRequest} (a redirect, which is not followed)`,
      {
        kind: 'status',
        status: response.status,
      },
    );
  }
  const text = await readText(response, options, init.request, budget);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, text };
}

function innermost(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth += 1) {
    if (current instanceof DeniedAddressError || current instanceof UnresolvedError) return current;
    if (current === null || typeof current !== 'object' || !('cause' in current)) return current;
    current = current.cause;
  }
  return current;
}

/** Read at most `maxBytes` of the (decompressed) body; a larger body is an error, not a truncation. */
async function readText(
  response: Awaited<ReturnType<typeof fetch>>,
  options: TransportOptions,
  request: string | undefined,
  budget: ByteBudget,
): Promise<string> {
  const { maxBytes, signal } = options;
  const toRequest = request === undefined ? '' : ` to ${request}`;
  const tooLarge = () =>
    new SourceError(`${options.what}: the answer${toRequest} is larger than ${maxBytes} bytes`, {
      kind: 'invalid',
    });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      budget.left -= value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      if (budget.left < 0) {
        await reader.cancel().catch(() => {});
        throw new SourceError(`${options.what}: the answers add up to more than ${budget.total} bytes`, {
          kind: 'invalid',
        });
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    if (signal.aborted) throw signal.reason;
    throw new SourceError(`${options.what}: the connection broke while reading the answer${toRequest}`, {
      kind: 'unreachable',
      cause: error,
    });
  }
  return Buffer.concat(chunks).toString('utf8');
}
