/**
 * Source adapters for the scheduled refresh: read a registry's upstream (an HTTP snapshot, a
 * Kubernetes API server, a Consul agent) and return validated `Service`s. No AWS here: secrets come
 * through an injected resolver (`envSecretResolver` for environment variables; the Lambda injects
 * SSM).
 *
 * No request goes to a link-local or cloud metadata address (deny-list.ts, `SOURCE_DENY_CIDRS`): each
 * adapter checks its destination, resolved with `dns.lookup`, right before every request.
 *
 * Every failure is a `SourceError` whose message is safe to show users: it names the upstream (URL
 * without query string) and, for a bad body, the field; resolved secret values are scrubbed from the
 * message and from the error's causes.
 */

import { z } from 'zod';
import { DEFAULT_LIMITS, type Limits } from '#lib/limits.ts';
import { parseWith, serviceSchema } from '#lib/schemas.ts';
import { type SecretRef, type Source, sourceSchema } from '#lib/source-schema.ts';
import type { Service } from '#lib/types.ts';
import { fetchConsulServices } from './consul-source.ts';
import type { SourceContext } from './context.ts';
import { checkDestination, DenyList } from './deny-list.ts';
import { describeUrl, redact, SourceError, scrubError } from './errors.ts';
import { fetchHttpServices } from './http-source.ts';
import { fetchKubernetesServices } from './kubernetes-source.ts';
import { describeSecretRef, type SecretResolver } from './secrets.ts';

export { DEFAULT_DENY_CIDRS, DenyList } from './deny-list.ts';
export { SourceError, type SourceErrorKind } from './errors.ts';
export { envSecretResolver, type SecretResolver } from './secrets.ts';

const MAX_TIMEOUT_MS = 2_147_483_647;

export interface FetchServicesOptions {
  resolveSecret: SecretResolver;
  /** The whole fetch (secrets, every request, parsing) must finish within this many milliseconds. */
  timeoutMs: number;
  /** Cancels the fetch (e.g. the Lambda's remaining time); it then fails with kind 'aborted'. */
  signal?: AbortSignal;
  /** Caps on what a source may return; defaults to DEFAULT_LIMITS. */
  limits?: Limits;
  /**
   * Addresses no request may go to (CIDRs); defaults to `SOURCE_DENY_CIDRS` from the environment,
   * else DEFAULT_DENY_CIDRS (link-local 169.254.0.0/16 and EC2's IPv6 metadata fd00:ec2::254).
   * A denied destination fails the fetch with kind 'denied'.
   */
  denyCidrs?: readonly string[];
}

/** How a source is named in messages: its type and URL without query or user info. */
export function describeSource(source: Source): string {
  switch (source.type) {
    case 'http':
      return `HTTP source ${describeUrl(source.url)}`;
    case 'kubernetes':
      return `Kubernetes API ${describeUrl(source.server)}`;
    case 'consul':
      return `Consul ${describeUrl(source.address)}`;
  }
}

/** Fetch a source's services, validated against `serviceSchema()`. Throws only `SourceError`. */
export async function fetchServices(source: Source, options: FetchServicesOptions): Promise<Service[]> {
  const checked = parseWith(sourceSchema, source);
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
  const what = describeSource(config);
  const secrets = new Set<string>();

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  const onCallerAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onCallerAbort();
  else options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const ctx: SourceContext = {
    resolveSecret: (ref) => resolveSecret(ref, options.resolveSecret, secrets),
    signal: controller.signal,
    limits,
    what,
    checkDestination: (url, request) => checkDestination(url, denyList, what, request),
  };
  // An adapter that ignores the signal still cannot hold the caller past the deadline.
  const deadline = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  const work = controller.signal.aborted ? deadline : run(config, ctx);
  work.catch(() => {});
  deadline.catch(() => {});

  let raw: unknown[];
  try {
    raw = await Promise.race([work, deadline]);
  } catch (error) {
    if (timedOut) {
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
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }

  const parsed = parseWith(
    z.strictObject({ services: z.array(serviceSchema(limits)).max(limits.maxServicesPerSnapshot) }),
    { services: raw },
  );
  if (!parsed.ok) {
    const intro =
      config.type === 'http' ? 'invalid snapshot body' : 'the upstream data gives an invalid service';
    const message = `${what}: ${intro}${namedService(raw, parsed.message)}: ${parsed.message}`;
    throw new SourceError(redact(message, secrets), { kind: 'invalid' });
  }
  return parsed.value.services;
}

function run(source: Source, ctx: SourceContext): Promise<unknown[]> {
  switch (source.type) {
    case 'http':
      return fetchHttpServices(source, ctx);
    case 'kubernetes':
      return fetchKubernetesServices(source, ctx);
    case 'consul':
      return fetchConsulServices(source, ctx);
  }
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
      {
        kind: 'secret',
      },
    );
  }
  secrets.add(trimmed);
  return trimmed;
}

/** ` (service "a.ns.svc.cluster.local")` for a message about `services[3]...`, when it has a hostname. */
function namedService(raw: unknown[], message: string): string {
  const index = /^services\[(\d+)\]/.exec(message)?.[1];
  if (index === undefined) return '';
  const item = raw[Number(index)];
  const hostname =
    item !== null && typeof item === 'object' && 'hostname' in item && typeof item.hostname === 'string'
      ? item.hostname
      : undefined;
  return hostname !== undefined && hostname.length <= 253 && /^[\x21-\x7e]+$/.test(hostname)
    ? ` (service "${hostname}")`
    : '';
}
