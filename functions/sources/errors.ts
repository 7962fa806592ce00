/** The one error type the source adapters throw. Its message is safe to show to users. */
import { inspect } from 'node:util';

export type SourceErrorKind =
  /** The source configuration is not valid. */
  | 'config'
  /** A secret reference could not be resolved. */
  | 'secret'
  /** No connection: refused, DNS failure, TLS failure, reset. */
  | 'unreachable'
  /** The source's host is, or resolves to, an address in the deny list (SOURCE_DENY_CIDRS). */
  | 'denied'
  /** The upstream answered with a non-2xx status (or a redirect, which is not followed). */
  | 'status'
  /** The upstream answered 2xx with a body we cannot use; the message names the field. */
  | 'invalid'
  /** The upstream did not answer within the timeout. */
  | 'timeout'
  /** The caller's signal aborted the fetch. */
  | 'aborted'
  /** Anything else (a bug, most likely). */
  | 'unexpected';

export interface SourceErrorOptions {
  kind: SourceErrorKind;
  cause?: unknown;
  /** The upstream HTTP status, for kind 'status'. */
  status?: number;
  /** The upstream's own words (an excerpt of its error body): for logs only, never shown to readers. */
  detail?: string;
}

export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly kind: SourceErrorKind;
  readonly status: number | undefined;
  readonly detail: string | undefined;

  constructor(message: string, options: SourceErrorOptions) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.kind = options.kind;
    this.status = options.status;
    this.detail = options.detail;
  }
}

export function isSourceError(error: unknown): error is SourceError {
  return error instanceof SourceError;
}

const REDACTED = '[redacted]';

/** Replace every known secret value in `text`, longest first (so a secret's prefix cannot leak). */
export function redact(text: string, secrets: ReadonlySet<string>): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '') out = out.replaceAll(secret, REDACTED);
  }
  return out;
}

function mentionsSecret(text: string, secrets: ReadonlySet<string>): boolean {
  for (const secret of secrets) if (secret !== '' && text.includes(secret)) return true;
  return false;
}

/**
 * A copy of `error` with secret values removed from its message, stack and causes. Errors that do
 * not mention a secret are returned unchanged, so their type and fields survive for debugging.
 */
export function scrubError(error: unknown, secrets: ReadonlySet<string>, depth = 0): unknown {
  if (secrets.size === 0) return error;
  const text = error instanceof Error ? inspect(error, { depth: 6 }) : String(error);
  if (!mentionsSecret(text, secrets)) return error;
  if (error instanceof SourceError) {
    const copy = new SourceError(redact(error.message, secrets), {
      kind: error.kind,
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.detail === undefined ? {} : { detail: redact(error.detail, secrets) }),
      ...('cause' in error && depth < 5 ? { cause: scrubError(error.cause, secrets, depth + 1) } : {}),
    });
    return copy;
  }
  if (error instanceof Error) {
    const copy = new Error(
      redact(error.message, secrets),
      'cause' in error && depth < 5 ? { cause: scrubError(error.cause, secrets, depth + 1) } : undefined,
    );
    copy.name = error.name;
    copy.stack = redact(error.stack ?? '', secrets);
    return copy;
  }
  return redact(text, secrets);
}

/** `https://host:port/path` without query string or user info: safe to put in a message. */
export function describeUrl(url: string | URL): string {
  const parsed = typeof url === 'string' ? URL.parse(url) : url;
  if (parsed === null) return '(invalid URL)';
  return `${parsed.origin}${parsed.pathname}`;
}

/** A short, single-line, printable excerpt of an upstream error body (for messages). */
export function excerpt(text: string, max = 200): string {
  const line = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** The system error code inside a fetch failure (`ECONNREFUSED`, `ENOTFOUND`, ...), if any. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
