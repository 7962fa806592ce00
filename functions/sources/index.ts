/**
 * Source adapters for the refresh: read a registry's upstream (an HTTP snapshot, a Kubernetes API
 * server, a Consul agent) and return validated `Service`s. No AWS here: secrets come through an
 * injected resolver (`envSecretResolver` for environment variables; the refresh worker injects SSM).
 *
 * Every adapter reaches the network only through the transport (transport.ts): the deny list is
 * checked on every connection, no redirect is followed, every body is capped, and the deadline
 * (`AbortSignal.any` of the timeout and the caller's signal) goes with every request.
 *
 * Every failure is a `SourceError` whose message is safe to show readers: the upstream (URL without
 * query string), an HTTP status or a short reason, never the upstream's body (that is in `detail`,
 * for logs). Resolved secret values are scrubbed from messages, details and causes.
 */

import { z } from 'zod';
import { DEFAULT_LIMITS, type Limits } from '#lib/limits.ts';
import type { SkippedObjects } from '#lib/registry.ts';
import { parseWith, serviceSchema } from '#lib/schemas.ts';
import {
  type SecretRef,
  type SecretRules,
  type Source,
  sourceSchema,
  sourceSchemaFor,
} from '#lib/source-schema.ts';
import type { Service } from '#lib/types.ts';
import { adapterFor } from './adapters.ts';
import { DenyList } from './deny-list.ts';
import { redact, SourceError, scrubError } from './errors.ts';
import { describeSecretRef, type SecretResolver } from './secrets.ts';
import { createTransport } from './transport.ts';

export { DEFAULT_DENY_CIDRS, DenyList } from './deny-list.ts';
export { SourceError, type SourceErrorKind } from './errors.ts';
export { envSecretResolver, type SecretResolver } from './secrets.ts';

const MAX_TIMEOUT_MS = 2_147_483_647;
/** How many skip reasons a registry shows; the count says how many there were. */
export const MAX_SKIPPED_EXAMPLES = 5;

export interface FetchServicesOptions {
  resolveSecret: SecretResolver;
  /** The whole fetch (secrets, every request, parsing) must finish within this many milliseconds. */
  timeoutMs: number;
  /** Cancels the fetch (e.g. the Lambda's remaining time); it then fails with kind 'aborted'. */
  signal?: AbortSignal;
  /** Caps on what a source may return; defaults to DEFAULT_LIMITS. */
  limits?: Limits;
  /**
   * Addresses no connection may reach (CIDRs); defaults to `SOURCE_DENY_CIDRS` from the environment,
   * else DEFAULT_DENY_CIDRS (link-local 169.254.0.0/16 and fe80::/10, EC2's fd00:ec2::254).
   * A denied destination fails the fetch with kind 'denied'.
   */
  denyCidrs?: readonly string[];
  /** Where secret references may point; given, a source breaking them fails as kind 'config'. */
  secretRules?: SecretRules;
}

export interface FetchedSnapshot {
  services: Service[];
  /** Upstream objects left out because they do not fit the snapshot schema. */
  skipped: SkippedObjects;
}

/** How a source is named in messages: its type and URL without query or user info. */
export function describeSource(source: Source): string {
  return adapterFor(source).describe(source);
}

/** Fetch a source's services, validated against `serviceSchema()`. Throws only `SourceError`. */
export async function fetchServices(source: Source, options: FetchServicesOptions): Promise<Service[]> {
  return (await fetchSnapshot(source, options)).services;
}

/**
 * Fetch a source's services; those that do not fit the snapshot schema are left out and counted
 * (pulled from another system) or fail the fetch (an HTTP source's own format). Throws only
 * `SourceError`.
 */
export async function fetchSnapshot(source: Source, options: FetchServicesOptions): Promise<FetchedSnapshot> {
  const checked = parseWith(
    options.secretRules === undefined ? sourceSchema : sourceSchemaFor(options.secretRules),
    source,
  );
  if (!checked.ok) {
    throw new SourceError(`invalid source configuration: ${checked.message}`, { kind: 'config' });
  }
  // setTimeout fires at once for delays above 2^31 - 1 ms.
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0 || options.timeoutMs > MAX_TIMEOUT_MS) {
    throw new SourceError(`invalid timeout: timeoutMs must be between 1 and ${MAX_TIMEOUT_MS}`, {
      kind: 'config',
    });
  }
  const config = checked.value;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const denyList =
    options.denyCidrs === undefined ? DenyList.fromEnv(process.env) : DenyList.parse(options.denyCidrs);
  const adapter = adapterFor(config);
  const what = adapter.describe(config);
  const secrets = new Set<string>();

  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const transport = createTransport({ denyList, signal, maxBytes: limits.maxBodyBytes, what });
  // An adapter that ignores the signal still cannot hold the caller past the deadline.
  let onAbort = () => {};
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const work = signal.aborted
    ? deadline
    : adapter.fetch(
        config,
        transport,
        { resolve: (ref) => resolveSecret(ref, options.resolveSecret, secrets) },
        { limits, what },
      );
  work.catch(() => {});
  deadline.catch(() => {});

  let mapped: Awaited<typeof work>;
  try {
    mapped = await Promise.race([work, deadline]);
  } catch (error) {
    if (timeout.aborted) {
      throw new SourceError(`${what}: no answer within ${options.timeoutMs} ms`, { kind: 'timeout' });
    }
    if (options.signal?.aborted) {
      throw new SourceError(`${what}: the fetch was cancelled`, { kind: 'aborted' });
    }
    if (error instanceof SourceError) throw scrubError(error, secrets);
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new SourceError(`${what}: unexpected failure: ${redact(message, secrets)}`, {
      kind: 'unexpected',
      cause: scrubError(error, secrets),
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    await transport.close();
  }
  return validate(mapped.services, mapped.skipped, adapter.skipInvalid, { limits, what, secrets, config });
}

function validate(
  raw: readonly unknown[],
  mappingSkips: readonly string[],
  skipInvalid: boolean,
  { limits, what, secrets, config }: { limits: Limits; what: string; secrets: Set<string>; config: Source },
): FetchedSnapshot {
  const envelope = parseWith(z.array(z.unknown()).max(limits.maxServicesPerSnapshot), raw);
  if (!envelope.ok) {
    throw new SourceError(redact(`${what}: too many services: ${envelope.message}`, secrets), {
      kind: 'invalid',
    });
  }
  const schema = serviceSchema(limits);
  const services: Service[] = [];
  const reasons = [...mappingSkips];
  raw.forEach((item, index) => {
    const parsed = parseWith(schema, item);
    if (parsed.ok) {
      services.push(parsed.value);
      return;
    }
    const name = namedService(item);
    if (!skipInvalid) {
      const intro =
        config.type === 'http' ? 'invalid snapshot body' : 'the upstream data gives an invalid service';
      const where = prefixPaths(parsed.message, `services[${index}]`);
      const service = name === '' ? '' : ` (service${name})`;
      throw new SourceError(redact(`${what}: ${intro}${service}: ${where}`, secrets), { kind: 'invalid' });
    }
    reasons.push(`service${name || ` #${index}`}: ${parsed.message}`);
  });
  const examples = reasons.slice(0, MAX_SKIPPED_EXAMPLES).map((reason) => {
    const clean = redact(reason, secrets);
    return clean.length > 240 ? `${clean.slice(0, 240)}…` : clean;
  });
  return { services, skipped: { count: reasons.length, examples } };
}

/** `ports[0].port: ...; hostname: ...` → `services[3].ports[0].port: ...; services[3].hostname: ...`. */
function prefixPaths(message: string, prefix: string): string {
  return message
    .split('; ')
    .map((part) =>
      /^[A-Za-z[]/.test(part) && part.includes(':') ? `${prefix}.${part}` : `${prefix}: ${part}`,
    )
    .join('; ');
}

async function resolveSecret(
  ref: SecretRef,
  resolver: SecretResolver,
  secrets: Set<string>,
): Promise<string> {
  let value: unknown;
  try {
    value = await resolver(ref);
  } catch (error) {
    if (error instanceof SourceError) throw error;
    throw new SourceError(`could not resolve secret ${describeSecretRef(ref)}`, {
      kind: 'secret',
      cause: error,
    });
  }
  if (typeof value !== 'string') {
    throw new SourceError(`secret ${describeSecretRef(ref)} did not resolve to a string`, { kind: 'secret' });
  }
  secrets.add(value);
  // Secrets read from files often end in a newline; a token never starts or ends with whitespace.
  const trimmed = value.trim();
  if (trimmed === '') throw new SourceError(`secret ${describeSecretRef(ref)} is empty`, { kind: 'secret' });
  if (/[\r\n\0]/.test(trimmed)) {
    throw new SourceError(
      `secret ${describeSecretRef(ref)} contains a line break and cannot be sent in a header`,
      { kind: 'secret' },
    );
  }
  secrets.add(trimmed);
  return trimmed;
}

/** ` "a.ns.svc.cluster.local"` (with a leading space) for an item with a printable hostname. */
function namedService(item: unknown): string {
  const hostname =
    item !== null && typeof item === 'object' && 'hostname' in item && typeof item.hostname === 'string'
      ? item.hostname
      : undefined;
  return hostname !== undefined && hostname.length <= 253 && /^[\x20-\x7e]+$/.test(hostname)
    ? ` "${hostname}"`
    : '';
}
