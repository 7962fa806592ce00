/** GET a JSON document with a size cap, no redirects and errors that are safe to show. */
import { excerpt, networkCode, SourceError } from './errors.ts';

export interface GetJsonOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  maxBytes: number;
  /** How the upstream is named in messages, e.g. `Consul http://consul:8500/`. */
  what: string;
  /** How this request is named in messages when `what` does not say it, e.g. `GET /v1/catalog/services`. */
  request?: string;
  /** The deny-list check (`SourceContext.checkDestination`), run before the request is sent. */
  checkDestination: (url: URL, request?: string) => Promise<void>;
}

export async function getJson(url: URL, options: GetJsonOptions): Promise<unknown> {
  const { what } = options;
  const forRequest = options.request === undefined ? '' : ` for ${options.request}`;
  const toRequest = options.request === undefined ? '' : ` to ${options.request}`;
  await options.checkDestination(url, options.request);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...options.headers },
      signal: options.signal,
      // A redirect could carry our headers (and the secrets in them) to another host.
      redirect: 'manual',
    });
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    const code = networkCode(error);
    throw new SourceError(`${what}: could not connect${forRequest}${code ? ` (${code})` : ''}`, {
      kind: 'unreachable',
      cause: error,
    });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    throw new SourceError(
      `${what}: HTTP ${response.status}${forRequest} (a redirect, which is not followed)`,
      {
        kind: 'status',
        status: response.status,
      },
    );
  }
  if (!response.ok) {
    const detail = await readText(response, 4096, options).then(
      (text) => excerpt(text),
      () => '',
    );
    throw new SourceError(`${what}: HTTP ${response.status}${forRequest}${detail ? `: ${detail}` : ''}`, {
      kind: 'status',
      status: response.status,
    });
  }
  const text = await readText(response, options.maxBytes, options);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SourceError(`${what}: the answer${toRequest} is not valid JSON`, {
      kind: 'invalid',
      cause: error,
    });
  }
}

/** Read at most `maxBytes` of the body; a larger body is an error, not a truncation. */
async function readText(response: Response, maxBytes: number, options: GetJsonOptions): Promise<string> {
  const toRequest = options.request === undefined ? '' : ` to ${options.request}`;
  const tooLarge = () =>
    new SourceError(`${options.what}: the answer${toRequest} is larger than ${maxBytes} bytes`, {
      kind: 'invalid',
    });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
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
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof SourceError) throw error;
    if (options.signal.aborted) throw options.signal.reason;
    throw new SourceError(`${options.what}: the connection broke while reading the answer${toRequest}`, {
      kind: 'unreachable',
      cause: error,
    });
  }
  return Buffer.concat(chunks).toString('utf8');
}
