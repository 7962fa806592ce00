/**
 * Validation schemas for what clients send: a registry and a snapshot body. Unknown fields are
 * rejected (a typo such as "clusterID" must not be silently dropped from a control-plane object).
 */
import { z } from 'zod';
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import { DNS_LABEL, HOSTNAME, LABEL_KEY, MAX_HOSTNAME_LENGTH, normalizeHostname } from './names.ts';
import { normalizeProtocol } from './protocol.ts';
import type { Port, Service } from './types.ts';

export { DNS_LABEL, LABEL_KEY, normalizeHostname } from './names.ts';

/** Names such as a namespace, a resolution or a protocol. */
export const SHORT_TOKEN = /^[A-Za-z0-9][-A-Za-z0-9_.]*$/;
/** The patterns of zod's own `ipv4` and `cidrv4` formats, for the hand-written fast path. */
export const IPV4: RegExp = z.regexes.ipv4;
export const CIDRV4: RegExp = z.regexes.cidrv4;

export const registryName = z.string().regex(DNS_LABEL, 'must be a DNS label (a-z, 0-9, "-", at most 63)');
/**
 * A DNS name, normalised as DNS compares names: lower case, without the root's trailing dot, so
 * `Hello.Example.COM.` and `hello.example.com` are one service to the merge and the conflict report.
 * (`overwrite`, not `transform`: the type stays a string and the schema stays JSON-Schema-describable.)
 */
export const hostname = z
  .string()
  .min(1)
  .max(MAX_HOSTNAME_LENGTH)
  .regex(HOSTNAME, 'must be a DNS name (labels of letters, digits, "-", "_"; optional leading "*.")')
  .overwrite(normalizeHostname);

/** zod's IPv6 check (a pattern and a URL parse), for the fast path's rare IPv6 endpoints. */
export const ipv6Address = z.ipv6();
export const ipOrCidr = z.union([z.ipv4(), ipv6Address, z.cidrv4(), z.cidrv6()]);
export const shortToken = (max: number) =>
  z.string().min(1).max(max).regex(SHORT_TOKEN, 'has characters that are not allowed');

const labels = (limits: Limits) =>
  z
    .record(z.string().max(317).regex(LABEL_KEY, 'is not a valid label key'), z.string().max(256))
    .refine((value) => Object.keys(value).length <= limits.maxLabels, {
      message: `at most ${limits.maxLabels} labels`,
    });

const port = z.strictObject({
  name: z.string().max(63).exactOptional(),
  port: z.int().min(1).max(65_535),
  // Canonical as Istio names it (`http` → `HTTP`), so pushed and pulled registries agree on ports.
  protocol: shortToken(32)
    .transform((value) => normalizeProtocol(value) ?? value)
    .exactOptional(),
});

const endpoint = (limits: Limits) =>
  z.strictObject({
    address: z.union([z.ipv4(), z.ipv6(), hostname]),
    port: z.int().min(1).max(65_535),
    portName: z.string().max(63).exactOptional(),
    labels: labels(limits).exactOptional(),
    locality: z.string().max(256).exactOptional(),
    serviceAccount: z.string().min(1).max(512).exactOptional(),
    healthy: z.boolean().exactOptional(),
  });

export const serviceSchema = (limits: Limits = DEFAULT_LIMITS) =>
  z.strictObject({
    hostname,
    address: z.union([z.literal(''), ipOrCidr]).exactOptional(),
    ports: z.array(port).max(limits.maxPortsPerService).exactOptional(),
    namespace: shortToken(253).exactOptional(),
    serviceAccounts: z.array(z.string().min(1).max(512)).max(limits.maxServiceAccounts).exactOptional(),
    resolution: shortToken(32).exactOptional(),
    meshExternal: z.boolean().exactOptional(),
    labels: labels(limits).exactOptional(),
    endpoints: z.array(endpoint(limits)).max(limits.maxEndpointsPerService).exactOptional(),
  });

export const snapshotBodySchema = (limits: Limits = DEFAULT_LIMITS) =>
  z.strictObject({
    services: z.array(serviceSchema(limits)).max(limits.maxServicesPerSnapshot),
    generation: z.int().min(1).max(Number.MAX_SAFE_INTEGER).exactOptional(),
  });

export type SnapshotBody = { services: Service[]; generation?: number };

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Validate and say which field is wrong, e.g. `services[3].ports[0].port: Too big: expected <=65535`. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  // An unknown field is named by its own path (`services[0].clusterID`), not by its parent object's.
  const problems = result.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'Unrecognized key' }))
      : [{ path: issue.path, message: issue.message }],
  );
  const first = problems.slice(0, 3).map(({ path, message }) => {
    const where = path.reduce<string>(
      (text, key) =>
        typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
      '',
    );
    return where ? `${where}: ${message}` : message;
  });
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
  return { ok: false, message: first.join('; ') + more };
}

// Keep the schema and the domain type in step: a schema change that breaks the type fails typecheck.
type Assignable<A extends B, B> = A;
export type _ServiceInSync = Assignable<z.infer<ReturnType<typeof serviceSchema>>, Service>;
export type _PortInSync = Assignable<z.infer<typeof port>, Port>;
