/**
 * `{"type": "consul", "address", "datacenter"?, "token"?, "domain"?}`: the catalog's services
 * (`/v1/catalog/services`) and their instances (`/v1/health/service/<name>`) become `Service`s:
 *
 * - hostname `<service>.service.<domain>` (default domain `consul`), no address (Consul has no VIPs),
 *   resolution `ClientSideLB`;
 * - one endpoint per instance: Service.Address, or Node.Address when that is empty; Service.Port;
 *   healthy = every check (node and service) is `passing`; locality = the node's datacenter;
 *   instances without a port (Port 0) cannot be addressed and are skipped;
 * - labels: instance tags and Service.Meta. A tag `key=value` (or Istio's `key|value`) becomes
 *   label `key` = `value`, a bare tag `v1` becomes label `v1` = `""`; Meta wins over a tag with the
 *   same key. Tags that do not form a valid label key are dropped, and at most `limits.maxLabels`
 *   labels are kept (Meta first, then tags in Consul's order). Endpoint labels are the instance's
 *   own; the service's labels are those every instance has (same key and value), or the catalog's
 *   tags when there are no instances;
 * - ports: the distinct instance ports; protocol from Meta `protocol` when given.
 * The token is sent as `X-Consul-Token`, the datacenter as `?dc=`.
 */

import { z } from 'zod';
import type { ConsulSource } from '#lib/source-schema.ts';
import type { Endpoint, Port, Service } from '#lib/types.ts';
import { mapLimit, type SourceContext, toLabels } from './context.ts';
import { SourceError } from './errors.ts';
import { getJson } from './http-client.ts';

/** `GET /v1/catalog/services`: service name → the union of its instances' tags. */
export type ConsulCatalogServices = Record<string, string[] | null>;

/** One element of `GET /v1/health/service/<name>` (only the fields we read). */
export interface ConsulServiceEntry {
  Node: { Node: string; Address: string; Datacenter?: string };
  Service: {
    ID: string;
    Service: string;
    Tags?: string[] | null;
    Address?: string;
    Meta?: Record<string, string> | null;
    Port: number;
  };
  Checks?: ConsulCheck[] | null;
}

export interface ConsulCheck {
  CheckID: string;
  Status: 'passing' | 'warning' | 'critical' | 'maintenance' | (string & {});
  ServiceID?: string;
}

// Runtime checks for the shapes above; unknown fields are allowed (Consul adds them over time).
const catalogServicesSchema = z.record(z.string(), z.array(z.string()).nullable());
const serviceEntriesSchema = z.array(
  z.looseObject({
    Node: z.looseObject({ Node: z.string(), Address: z.string(), Datacenter: z.string().exactOptional() }),
    Service: z.looseObject({
      ID: z.string(),
      Service: z.string(),
      Tags: z.array(z.string()).nullable().exactOptional(),
      Address: z.string().exactOptional(),
      Meta: z.record(z.string(), z.string()).nullable().exactOptional(),
      Port: z.int().min(0).max(65_535),
    }),
    Checks: z
      .array(
        z.looseObject({ CheckID: z.string(), Status: z.string(), ServiceID: z.string().exactOptional() }),
      )
      .nullable()
      .exactOptional(),
  }),
);
type Assignable<A extends B, B> = A;
export type _EntriesInSync = Assignable<z.infer<typeof serviceEntriesSchema>, ConsulServiceEntry[]>;

const HEALTH_CONCURRENCY = 8;
const PROTOCOL_TOKEN = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,31}$/;

export async function fetchConsulServices(source: ConsulSource, ctx: SourceContext): Promise<Service[]> {
  const headers: Record<string, string> = {};
  if (source.token !== undefined) headers['X-Consul-Token'] = await ctx.resolveSecret(source.token);
  const base = new URL(source.address.endsWith('/') ? source.address : `${source.address}/`);
  const url = (path: string) => {
    const out = new URL(path, base);
    if (source.datacenter !== undefined) out.searchParams.set('dc', source.datacenter);
    return out;
  };
  const get = async <T>(path: string, schema: z.ZodType<T>): Promise<T> => {
    const request = `GET /${path}`;
    const body = await getJson(url(path), {
      headers,
      signal: ctx.signal,
      maxBytes: ctx.limits.maxBodyBytes,
      what: ctx.what,
      request,
      checkDestination: ctx.checkDestination,
    });
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.length ? ` at ${issue.path.map(String).join('.')}` : '';
      throw new SourceError(
        `${ctx.what}: unexpected answer to ${request}${at}: ${issue?.message ?? 'invalid'}`,
        {
          kind: 'invalid',
        },
      );
    }
    return parsed.data;
  };

  const catalog = await get('v1/catalog/services', catalogServicesSchema);
  const names = Object.keys(catalog).sort();
  if (names.length > ctx.limits.maxServicesPerSnapshot) {
    throw new SourceError(
      `${ctx.what}: ${names.length} services, more than the limit of ${ctx.limits.maxServicesPerSnapshot}`,
      { kind: 'invalid' },
    );
  }
  const domain = source.domain ?? 'consul';
  return mapLimit(names, HEALTH_CONCURRENCY, async (name) => {
    const entries = await get(`v1/health/service/${encodeURIComponent(name)}`, serviceEntriesSchema);
    return toService(name, catalog[name] ?? [], entries, domain, source.datacenter, ctx.limits.maxLabels);
  });
}

function toService(
  name: string,
  catalogTags: string[] | null,
  entries: ConsulServiceEntry[],
  domain: string,
  datacenter: string | undefined,
  maxLabels: number,
): Service {
  const endpoints: Endpoint[] = [];
  const ports = new Map<string, Port>();
  const instanceLabels: Record<string, string>[] = [];
  for (const entry of entries) {
    const labels = toLabels(
      [...Object.entries(entry.Service.Meta ?? {}), ...tagEntries(entry.Service.Tags ?? [])],
      maxLabels,
    );
    instanceLabels.push(labels);
    const port = entry.Service.Port;
    if (port === 0) continue;
    const metaProtocol = entry.Service.Meta?.protocol;
    const protocol =
      metaProtocol !== undefined && PROTOCOL_TOKEN.test(metaProtocol) ? metaProtocol : undefined;
    const portKey = `${port}|${protocol ?? ''}`;
    if (!ports.has(portKey)) ports.set(portKey, { port, ...(protocol === undefined ? {} : { protocol }) });
    const locality = entry.Node.Datacenter || datacenter;
    endpoints.push({
      address: entry.Service.Address || entry.Node.Address,
      port,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(locality ? { locality } : {}),
      healthy: (entry.Checks ?? []).every((check) => check.Status === 'passing'),
    });
  }
  const serviceLabels =
    instanceLabels.length > 0 ? commonLabels(instanceLabels) : catalogLabels(catalogTags ?? [], maxLabels);
  return {
    hostname: `${name}.service.${domain}`,
    resolution: 'ClientSideLB',
    ports: [...ports.values()].sort((a, b) => a.port - b.port),
    ...(Object.keys(serviceLabels).length > 0 ? { labels: serviceLabels } : {}),
    endpoints: endpoints.sort((a, b) =>
      a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port,
    ),
  };
}

/** `key=value` and `key|value` split at the first separator; anything else is a key with value "". */
function tagEntries(tags: readonly string[]): [string, string][] {
  return tags.map((tag) => {
    const at = tag.search(/[=|]/);
    return at === -1 ? [tag, ''] : [tag.slice(0, at), tag.slice(at + 1)];
  });
}

/** Labels with the same value on every instance. */
function commonLabels(all: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = all;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(first ?? {})) {
    if (rest.every((labels) => labels[key] === value)) out[key] = value;
  }
  return out;
}

/** The catalog's tag union; a key seen with two different values is ambiguous and dropped. */
function catalogLabels(tags: readonly string[], maxLabels: number): Record<string, string> {
  const values = new Map<string, string | null>();
  for (const [key, value] of tagEntries(tags)) {
    values.set(key, values.has(key) && values.get(key) !== value ? null : value);
  }
  return toLabels(
    [...values].filter((entry): entry is [string, string] => entry[1] !== null),
    maxLabels,
  );
}
