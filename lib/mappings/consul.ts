/**
 * Consul → snapshot: the catalog's services (`GET /v1/catalog/services`: name → tags) and their
 * instances (`GET /v1/health/service/<name>`) become `Service`s. Pure: no I/O; the adapter
 * (functions/sources/consul-source.ts) reads the API.
 *
 * - hostname `<service>.service.<domain>` (default domain `consul`), no address (Consul has no VIPs),
 *   resolution `ClientSideLB`;
 * - one endpoint per instance: Service.Address, or Node.Address when that is empty; Service.Port;
 *   healthy = every check (node and service) is `passing`; locality = the node's datacenter;
 *   instances without a port (Port 0) cannot be addressed and are left out;
 * - labels: instance tags and Service.Meta. A tag `key=value` (or Istio's `key|value`) becomes
 *   label `key` = `value`, a bare tag `v1` becomes label `v1` = `""`; Meta wins over a tag with the
 *   same key. Tags that do not form a valid label key are dropped, and at most `maxLabels` labels
 *   are kept (Meta first, then tags in Consul's order). Endpoint labels are the instance's own; the
 *   service's labels are those every instance has (same key and value), or the catalog's tags when
 *   there are no instances;
 * - ports: the distinct instance ports; protocol from Meta `protocol`, canonical as Istio names it.
 *
 * A service name that is not a DNS label (Consul accepts `Web Frontend` with a warning that it will
 * not be discoverable by DNS) is skipped with a reason rather than renamed: a sanitised name such as
 * `web-frontend` is a hostname Consul's DNS does not answer, so clients could not use it, and two
 * names could sanitise to the same hostname.
 */
import { normalizeProtocol } from '../protocol.ts';
import type { Endpoint, Port, Service } from '../types.ts';
import { shortName, toLabels } from './labels.ts';
import type { Mapped } from './mapped.ts';

/** `GET /v1/catalog/services`: service name → the union of its instances' tags. */
export type ConsulCatalogServices = Record<string, string[] | null>;

/** One element of `GET /v1/health/service/<name>` (only the fields read). */
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

export interface ConsulMappingOptions {
  domain?: string;
  /** The datacenter asked for: the locality of instances whose node does not say. */
  datacenter?: string;
  maxLabels: number;
}

/** What Consul's DNS interface can answer for: one DNS label (letters, digits, '-'), case-insensitive. */
const DNS_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;
const PROTOCOL_TOKEN = /^[A-Za-z0-9][-A-Za-z0-9_.]{0,31}$/;

/** Whether a Consul service name can become a hostname; the reason why not otherwise. */
export function consulNameProblem(name: string): string | undefined {
  if (DNS_LABEL.test(name)) return undefined;
  return `Consul service "${shortName(name)}": the name is not a DNS label (letters, digits, "-", at most 63), so Consul's DNS cannot serve it`;
}

export function consulToSnapshot(
  catalog: ConsulCatalogServices,
  health: ReadonlyMap<string, readonly ConsulServiceEntry[]>,
  options: ConsulMappingOptions,
): Mapped {
  const services: Service[] = [];
  const skipped: string[] = [];
  for (const name of Object.keys(catalog).sort()) {
    const problem = consulNameProblem(name);
    if (problem !== undefined) {
      skipped.push(problem);
      continue;
    }
    services.push(toService(name, catalog[name] ?? [], health.get(name) ?? [], options));
  }
  return { services, skipped };
}

function toService(
  name: string,
  catalogTags: readonly string[],
  entries: readonly ConsulServiceEntry[],
  options: ConsulMappingOptions,
): Service {
  const { maxLabels } = options;
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
      metaProtocol !== undefined && PROTOCOL_TOKEN.test(metaProtocol)
        ? normalizeProtocol(metaProtocol)
        : undefined;
    const portKey = `${port}|${protocol ?? ''}`;
    if (!ports.has(portKey)) ports.set(portKey, { port, ...(protocol === undefined ? {} : { protocol }) });
    const locality = entry.Node.Datacenter || options.datacenter;
    endpoints.push({
      address: entry.Service.Address || entry.Node.Address,
      port,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(locality ? { locality } : {}),
      healthy: (entry.Checks ?? []).every((check) => check.Status === 'passing'),
    });
  }
  const serviceLabels =
    instanceLabels.length > 0 ? commonLabels(instanceLabels) : catalogLabels(catalogTags, maxLabels);
  return {
    hostname: `${name}.service.${options.domain ?? 'consul'}`,
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
