/**
 * The merged view as Istio input: one `networking.istio.io/v1` ServiceEntry per hostname, in a
 * Kubernetes List, so that `kubectl apply -f` feeds the aggregate back into a mesh. Every object has to
 * pass Istio's CRD schema and its CEL rules (test/unit/istio-export.test.ts checks that against the CRD
 * Istio publishes), so the rules below shape the data to those rules rather than pass it through.
 * Pure: no AWS, no I/O.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { canonicalJson } from '../canonical-json.ts';
import { type ServiceEndpoint, selectEndpoints } from '../endpoints.ts';
import { canonicalProtocol } from '../protocol.ts';
import type { MergedService } from '../types.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'aggregate-registry';
export const CLUSTER_LABEL = 'topology.istio.io/cluster';
/** Set when a hostname had more endpoint entries than a ServiceEntry may hold; the value is how many. */
export const TRUNCATED_ANNOTATION = 'aggregate-registry/endpoints-left-out';

/** The CRD's maxItems for spec.endpoints, spec.ports and spec.addresses. */
const MAX_ENDPOINTS = 4096;
const MAX_PORTS = 256;
const MAX_ADDRESSES = 256;
/** The CRD's serviceAccount maxLength. */
const MAX_ACCOUNT = 253;
/** The CRD's rule for endpoint port keys (which are the service port names): `size(key) < 63` and this. */
const PORT_NAME = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const MAX_PORT_NAME = 62;
const MAX_OBJECT_NAME = 253;
/** Kubernetes label syntax, which Istio's validation applies to endpoint labels. */
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SPIFFE_ACCOUNT = /^spiffe:\/\/[^/]+\/ns\/[^/]+\/sa\/([^/]+)$/;

export interface ServiceEntryPort {
  number: number;
  name: string;
  protocol?: string;
  targetPort?: number;
}

export interface WorkloadEntry {
  address: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  locality?: string;
  network?: string;
  serviceAccount?: string;
}

export interface ServiceEntry {
  apiVersion: 'networking.istio.io/v1';
  kind: 'ServiceEntry';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    hosts: [string];
    addresses?: string[];
    ports?: ServiceEntryPort[];
    location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
    resolution: 'STATIC' | 'DNS' | 'NONE';
    endpoints?: WorkloadEntry[];
    subjectAltNames?: string[];
  };
}

export interface ServiceEntryList {
  apiVersion: 'v1';
  kind: 'List';
  items: ServiceEntry[];
}

export interface IstioExportInput {
  /** The merged view's services, in merged order; a hostname may appear more than once. */
  services: readonly MergedService[];
  /** Every registry's endpoints of a hostname, in registration order (InstancesByPort). */
  endpointsOf: (hostname: string) => readonly ServiceEndpoint[];
  /** The hostname's service accounts (GetIstioServiceAccounts). */
  serviceAccountsOf: (hostname: string) => readonly string[];
  /** Registry name → its Istio network, for registries that have one. */
  networks: ReadonlyMap<string, string>;
}

export interface IstioExportOptions {
  namespace: string;
  /** Default `healthy`: Istio would otherwise send traffic to endpoints their registry calls unhealthy. */
  health?: 'all' | 'healthy';
}

export function istioExport(input: IstioExportInput, options: IstioExportOptions): ServiceEntryList {
  const byHostname = new Map<string, MergedService[]>();
  for (const service of input.services) {
    const list = byHostname.get(service.hostname);
    if (list) list.push(service);
    else byHostname.set(service.hostname, [service]);
  }
  const names = objectNames([...byHostname.keys()]);
  const items: ServiceEntry[] = [];
  for (const [hostname, entries] of byHostname) {
    const endpoints = selectEndpoints(input.endpointsOf(hostname), { health: options.health ?? 'healthy' });
    items.push(
      serviceEntry(hostname, entries, endpoints, input, names.get(hostname) as string, options.namespace),
    );
  }
  return { apiVersion: 'v1', kind: 'List', items };
}

function serviceEntry(
  hostname: string,
  entries: readonly MergedService[],
  endpoints: readonly ServiceEndpoint[],
  input: IstioExportInput,
  name: string,
  namespace: string,
): ServiceEntry {
  const first = entries[0] as MergedService;
  const ports = exportPorts(first);
  const built = workloadEntries(endpoints, ports, input.networks);
  const meshExternal = first.meshExternal === true;
  const resolution = resolutionOf(hostname, built.entries, meshExternal);
  // Istio's CEL rule: CIDR addresses only with NONE or STATIC resolution.
  const addresses = vips(entries).filter((vip) => resolution !== 'DNS' || !vip.includes('/'));
  const accounts = input.serviceAccountsOf(hostname);
  const spec: ServiceEntry['spec'] = {
    hosts: [hostname],
    ...(addresses.length > 0 ? { addresses: addresses.slice(0, MAX_ADDRESSES) } : {}),
    ...(ports.length > 0 ? { ports: ports.map((port) => withTargetPort(port, built.targetPorts)) } : {}),
    location: meshExternal ? 'MESH_EXTERNAL' : 'MESH_INTERNAL',
    resolution,
    ...(built.entries.length > 0 && resolution !== 'NONE'
      ? { endpoints: built.entries.slice(0, MAX_ENDPOINTS) }
      : {}),
    ...(accounts.length > 0 ? { subjectAltNames: [...accounts] } : {}),
  };
  const leftOut = built.entries.length - MAX_ENDPOINTS;
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: {
      name,
      namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      ...(leftOut > 0 ? { annotations: { [TRUNCATED_ANNOTATION]: String(leftOut) } } : {}),
    },
    spec,
  };
}

/** A port of the export, with what it was given so that endpoints of other registries can find it. */
interface ExportPort extends ServiceEntryPort {
  givenName: string | undefined;
}

/**
 * The first merged entry's ports: numbers unique (a later duplicate, such as UDP 53 beside TCP 53, is
 * left out: the CRD forbids it), names unique and valid as endpoint port keys.
 */
function exportPorts(service: MergedService): ExportPort[] {
  const result: ExportPort[] = [];
  const numbers = new Set<number>();
  const names = new Set<string>();
  for (const port of service.ports ?? []) {
    if (numbers.has(port.port) || result.length >= MAX_PORTS) continue;
    numbers.add(port.port);
    const protocol = canonicalProtocol(port.protocol);
    const name = portName(port.name, port.port, protocol, names);
    names.add(name);
    result.push({
      number: port.port,
      name,
      ...(protocol ? { protocol } : {}),
      givenName: port.name,
    });
  }
  return result;
}

function portName(
  given: string | undefined,
  number: number,
  protocol: string | undefined,
  taken: ReadonlySet<string>,
): string {
  const generated = `${protocol ? protocol.toLowerCase().replace(/_/g, '-') : 'port'}-${number}`;
  const candidates = [];
  if (given) {
    const cleaned = given
      .replace(/[^a-zA-Z0-9-]+/g, '-')
      .slice(0, MAX_PORT_NAME)
      .replace(/^-+|-+$/g, '');
    if (cleaned) candidates.push(cleaned, `${cleaned.slice(0, MAX_PORT_NAME - 6)}-${number}`);
  }
  candidates.push(generated);
  for (const candidate of candidates)
    if (PORT_NAME.test(candidate) && !taken.has(candidate)) return candidate;
  // Only reached when given names mimic generated ones; a counter keeps the name unique.
  for (let i = 2; ; i++) if (!taken.has(`${generated}-${i}`)) return `${generated}-${i}`;
}

/** The export port an endpoint's service port is: by its given name, else by its number. */
function exportPortOf(endpoint: ServiceEndpoint, ports: readonly ExportPort[]): ExportPort | undefined {
  const own = endpoint.servicePort;
  if (!own) return undefined;
  if (own.name !== undefined) {
    const named = ports.find((port) => port.givenName === own.name);
    if (named) return named;
  }
  return ports.find((port) => port.number === own.port);
}

interface BuiltEntries {
  entries: WorkloadEntry[];
  /** Per port name, the one target port every endpoint uses, or null when they differ. */
  targetPorts: Map<string, number | null>;
}

/**
 * Endpoints of one address, registry, label set, locality and account share one entry as long as they
 * use different service ports. An endpoint that belongs to none of the exported ports is left out: with
 * no `ports` Istio would send it traffic on the service port numbers, not on its own port.
 */
function workloadEntries(
  endpoints: readonly ServiceEndpoint[],
  ports: readonly ExportPort[],
  networks: ReadonlyMap<string, string>,
): BuiltEntries {
  const entries: WorkloadEntry[] = [];
  const groups = new Map<string, WorkloadEntry[]>();
  const targetPorts = new Map<string, number | null>();
  for (const endpoint of endpoints) {
    const port = exportPortOf(endpoint, ports);
    if (!port) continue;
    const known = targetPorts.get(port.name);
    targetPorts.set(port.name, known === undefined || known === endpoint.port ? endpoint.port : null);
    const labels = kubernetesLabels(endpoint.labels);
    if (endpoint.clusterId) labels[CLUSTER_LABEL] = endpoint.clusterId;
    const network = networks.get(endpoint.registry);
    const account = accountName(endpoint.serviceAccount);
    const key = canonicalJson([endpoint.address, endpoint.registry, labels, endpoint.locality, account]);
    const group = groups.get(key) ?? [];
    const shared = group.find((entry) => entry.ports?.[port.name] === undefined);
    if (shared?.ports) {
      shared.ports[port.name] = endpoint.port;
      continue;
    }
    const entry: WorkloadEntry = {
      address: endpoint.address,
      ports: { [port.name]: endpoint.port },
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(endpoint.locality ? { locality: endpoint.locality } : {}),
      ...(network ? { network } : {}),
      ...(account ? { serviceAccount: account } : {}),
    };
    group.push(entry);
    groups.set(key, group);
    entries.push(entry);
  }
  return { entries, targetPorts };
}

/**
 * The endpoint's labels that are valid Kubernetes labels: Istio refuses a ServiceEntry with any other,
 * and no selector could match them anyway. Object.fromEntries keeps any key, `__proto__` too, an own key.
 */
function kubernetesLabels(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels ?? {}).filter(
      ([key, value]) => isLabelKey(key) && value.length <= 63 && LABEL_VALUE.test(value),
    ),
  );
}

function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && (slash > 253 || !LABEL_PREFIX.test(key.slice(0, slash)))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** A ServiceEntry port's targetPort is only worth stating when every endpoint agrees on one. */
function withTargetPort(port: ExportPort, targetPorts: ReadonlyMap<string, number | null>): ServiceEntryPort {
  const { givenName: _givenName, ...rest } = port;
  const target = targetPorts.get(port.name);
  return typeof target === 'number' && target !== port.number ? { ...rest, targetPort: target } : rest;
}

/**
 * STATIC when every address is an IP, DNS when some are names. Without endpoints: NONE, except for a
 * mesh-external host, which Istio then resolves by DNS itself; a wildcard host cannot be resolved, so
 * Istio's validation wants NONE there.
 */
function resolutionOf(
  hostname: string,
  entries: readonly WorkloadEntry[],
  meshExternal: boolean,
): ServiceEntry['spec']['resolution'] {
  if (entries.length === 0) return meshExternal && !hostname.startsWith('*') ? 'DNS' : 'NONE';
  return entries.every((entry) => isIP(entry.address) !== 0) ? 'STATIC' : 'DNS';
}

/** The VIPs of every merged entry of the hostname that are IPs or CIDRs, in first-seen order. */
function vips(entries: readonly MergedService[]): string[] {
  const seen = new Set<string>();
  for (const entry of entries) {
    const values = entry.clusterVIPs ? Object.values(entry.clusterVIPs) : [entry.address ?? ''];
    for (const value of values) if (isIpOrCidr(value)) seen.add(value);
  }
  return [...seen];
}

function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return isIP(value) !== 0;
  const family = isIP(value.slice(0, slash));
  const bits = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Istio's endpoint serviceAccount is an account name in the entry's namespace, not a SPIFFE id. */
function accountName(account: string | undefined): string | undefined {
  if (account === undefined) return undefined;
  if (account.startsWith('spiffe://')) return SPIFFE_ACCOUNT.exec(account)?.[1];
  return account.length <= MAX_ACCOUNT ? account : undefined;
}

/**
 * Object names: the hostname itself when it is already a DNS-1123 subdomain; otherwise a cleaned form
 * with a short hash of the hostname, so that names stay stable from one export to the next and two
 * hostnames that clean to the same text do not collide.
 */
export function objectNames(hostnames: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  const unchanged = hostnames.filter((hostname) => cleanName(hostname) === hostname);
  for (const hostname of unchanged) {
    names.set(hostname, hostname);
    taken.add(hostname);
  }
  for (const hostname of hostnames) {
    if (names.has(hostname)) continue;
    const base = cleanName(hostname) || 'service';
    const hash = createHash('sha256').update(hostname).digest('hex');
    for (let length = 8; ; length += 4) {
      const suffix = `-${hash.slice(0, length)}`;
      const head = base.slice(0, MAX_OBJECT_NAME - suffix.length).replace(/[-.]+$/, '');
      const name = `${head}${suffix}`;
      if (!taken.has(name)) {
        names.set(hostname, name);
        taken.add(name);
        break;
      }
    }
  }
  return names;
}

/** Lower case, `*` as "wildcard", other characters as "-", labels trimmed to start and end alphanumeric. */
function cleanName(hostname: string): string {
  return hostname
    .toLowerCase()
    .split('.')
    .map((label) =>
      label
        .replace(/^\*$/, 'wildcard')
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, ''),
    )
    .filter((label) => label !== '')
    .join('.')
    .slice(0, MAX_OBJECT_NAME)
    .replace(/[-.]+$/, '');
}
