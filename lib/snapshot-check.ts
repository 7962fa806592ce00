/**
 * The snapshot body's fast path: a hand-written check of the common, valid snapshot that returns what
 * `snapshotBodySchema` would return for it (the same values, hostnames and protocols normalised, keys
 * in the schema's order), or undefined for anything it does not accept, which then goes to the schema
 * itself, so every refusal and its message stay zod's. test/unit/snapshot-check.property.test.ts holds
 * the two to that on random valid and invalid snapshots.
 *
 * Hand-written because the schema is most of a push's CPU: zod runs a generic parse per field of every
 * service and endpoint (issue lists, payload objects, union attempts), 2.5× the floor of gzip +
 * BatchWrite + TransactWrite for 5,000 services; this is plain loops and the same regular expressions.
 * Rare forms (IPv6, CIDR) are checked with the schema's own pieces, so nothing is re-implemented there.
 * It never changes its input, and where an object is already as the schema would output it (its keys in
 * the schema's order, nothing to normalise), the output is that object: JSON.parse's tree, not a copy,
 * which saves most of the allocation (and the collector's time) of a large push.
 */
import { DEFAULT_LIMITS, type Limits } from './limits.ts';
import { LABEL_KEY, parseHostname } from './names.ts';
import { normalizeProtocol } from './protocol.ts';
import {
  CIDRV4,
  IPV4,
  ipOrCidr,
  ipv6Address,
  type Parsed,
  parseWith,
  SHORT_TOKEN,
  type SnapshotBody,
  snapshotBodySchema,
} from './schemas.ts';
import type { Endpoint, Port, Service } from './types.ts';

type Input = Record<string, unknown>;

/** Parses a snapshot body: the fast path when it accepts, the schema (and its messages) otherwise. */
export function snapshotBodyParser(
  limits: Limits = DEFAULT_LIMITS,
): (input: unknown) => Parsed<SnapshotBody> {
  const schema = snapshotBodySchema(limits);
  return (input) => {
    const value = checkSnapshotBody(input, limits);
    return value ? { ok: true, value } : parseWith(schema, input);
  };
}

/** Plain objects and arrays only (what JSON.parse makes; what the schema outputs); the rest is the schema's. */
function plain(value: unknown): value is Input {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
function list(value: unknown, max: number): value is unknown[] {
  return Array.isArray(value) && value.length <= max && Object.getPrototypeOf(value) === Array.prototype;
}

const text = (value: unknown, max: number, min = 0): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max;
const token = (value: unknown, max: number): value is string =>
  text(value, max, 1) && SHORT_TOKEN.test(value);
const portNumber = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= 65_535;

/** The `hostname` schema's rule and normalisation (held to it by hand-checks.property.test.ts). */
const hostname = (value: unknown): string | undefined =>
  typeof value === 'string' ? parseHostname(value) : undefined;

/** Each item checked; the input array itself when every item came back as it was. */
function checkAll<T>(items: unknown[], check: (item: unknown) => T | undefined): T[] | undefined {
  let out: T[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const checked = check(item);
    if (checked === undefined) return undefined;
    if (out === undefined && checked !== item) out = items.slice(0, i) as T[];
    if (out !== undefined) out.push(checked);
  }
  return out ?? (items as T[]);
}

/** The schema's key order of each object; an input whose keys come in it (and change in nothing) is kept. */
const rankOf = (keys: string[]): ReadonlyMap<string, number> => new Map(keys.map((key, i) => [key, i + 1]));
const SERVICE_ORDER = rankOf([
  'hostname',
  'address',
  'ports',
  'namespace',
  'serviceAccounts',
  'resolution',
  'meshExternal',
  'labels',
  'endpoints',
]);
const ENDPOINT_ORDER = rankOf([
  'address',
  'port',
  'portName',
  'labels',
  'locality',
  'serviceAccount',
  'healthy',
]);

export function checkSnapshotBody(input: unknown, limits: Limits): SnapshotBody | undefined {
  if (!plain(input)) return undefined;
  let items: unknown;
  let generation: unknown;
  for (const key in input) {
    const value = input[key];
    if (value === undefined) return undefined;
    if (key === 'services') items = value;
    else if (key === 'generation') generation = value;
    else return undefined;
  }
  if (!list(items, limits.maxServicesPerSnapshot)) return undefined;
  if (generation !== undefined && !(Number.isSafeInteger(generation) && (generation as number) >= 1)) {
    return undefined;
  }
  const services = checkAll(items, (item) => checkService(item, limits));
  if (services === undefined) return undefined;
  return generation === undefined ? { services } : { services, generation: generation as number };
}

function checkService(input: unknown, limits: Limits): Service | undefined {
  if (!plain(input)) return undefined;
  let name: string | undefined;
  let address: string | undefined;
  let ports: Port[] | undefined;
  let namespace: string | undefined;
  let accounts: string[] | undefined;
  let resolution: string | undefined;
  let meshExternal: boolean | undefined;
  let labels: Record<string, string> | undefined;
  let endpoints: Endpoint[] | undefined;
  let rank = 0;
  let same = true;
  for (const key in input) {
    const value = input[key];
    const next = SERVICE_ORDER.get(key) ?? 0;
    if (next <= rank) same = false;
    rank = next;
    switch (key) {
      case 'hostname':
        name = hostname(value);
        if (name === undefined) return undefined;
        break;
      case 'address':
        if (!serviceAddress(value)) return undefined;
        address = value;
        break;
      case 'ports':
        ports = checkPorts(value, limits.maxPortsPerService);
        if (ports === undefined) return undefined;
        break;
      case 'namespace':
        if (!token(value, 253)) return undefined;
        namespace = value;
        break;
      case 'serviceAccounts':
        accounts = checkAccounts(value, limits.maxServiceAccounts);
        if (accounts === undefined) return undefined;
        break;
      case 'resolution':
        if (!token(value, 32)) return undefined;
        resolution = value;
        break;
      case 'meshExternal':
        if (typeof value !== 'boolean') return undefined;
        meshExternal = value;
        break;
      case 'labels':
        labels = checkLabels(value, limits.maxLabels);
        if (labels === undefined) return undefined;
        break;
      case 'endpoints':
        endpoints = checkEndpoints(value, limits);
        if (endpoints === undefined) return undefined;
        break;
      default:
        return undefined;
    }
  }
  if (name === undefined) return undefined;
  if (
    same &&
    name === input.hostname &&
    ports === input.ports &&
    accounts === input.serviceAccounts &&
    labels === input.labels &&
    endpoints === input.endpoints
  ) {
    return input as unknown as Service;
  }
  // The schema's key order, so the stored JSON is byte for byte what the schema's output gives.
  const service: Service = { hostname: name };
  if (address !== undefined) service.address = address;
  if (ports !== undefined) service.ports = ports;
  if (namespace !== undefined) service.namespace = namespace;
  if (accounts !== undefined) service.serviceAccounts = accounts;
  if (resolution !== undefined) service.resolution = resolution;
  if (meshExternal !== undefined) service.meshExternal = meshExternal;
  if (labels !== undefined) service.labels = labels;
  if (endpoints !== undefined) service.endpoints = endpoints;
  return service;
}

/** `''`, IPv4 or an IPv4 CIDR here; IPv6 forms by the schema's own check (they are rarer, and subtle). */
function serviceAddress(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (value === '' || IPV4.test(value) || CIDRV4.test(value)) return true;
  return value.includes(':') && ipOrCidr.safeParse(value).success;
}

function checkPorts(input: unknown, max: number): Port[] | undefined {
  return list(input, max) ? checkAll(input, checkPort) : undefined;
}

function checkPort(item: unknown): Port | undefined {
  if (!plain(item)) return undefined;
  let name: string | undefined;
  let port: number | undefined;
  let protocol: string | undefined;
  // In the schema's order (name, port, protocol) unless a key comes after one that follows it.
  let same = true;
  for (const key in item) {
    const value = item[key];
    if (key === 'port' && portNumber(value)) {
      if (protocol !== undefined) same = false;
      port = value;
    } else if (key === 'name' && text(value, 63)) {
      if (port !== undefined || protocol !== undefined) same = false;
      name = value;
    } else if (key === 'protocol' && token(value, 32)) {
      protocol = normalizeProtocol(value) ?? value;
      if (protocol !== value) same = false;
    } else return undefined;
  }
  if (port === undefined) return undefined;
  if (same) return item as unknown as Port;
  const out: Port = name === undefined ? { port } : { name, port };
  if (protocol !== undefined) out.protocol = protocol;
  return out;
}

function checkAccounts(input: unknown, max: number): string[] | undefined {
  if (!list(input, max)) return undefined;
  for (const account of input) if (!text(account, 512, 1)) return undefined;
  return input as string[];
}

function checkLabels(input: unknown, max: number): Record<string, string> | undefined {
  if (!plain(input)) return undefined;
  let count = 0;
  for (const key in input) {
    // `__proto__` is one the schema drops silently; left to it, as is every other doubt.
    if (key === '__proto__' || key.length > 317 || !LABEL_KEY.test(key) || !text(input[key], 256)) {
      return undefined;
    }
    count++;
  }
  // A record comes out of the schema with the input's keys in the input's order: as it is.
  return count <= max ? (input as Record<string, string>) : undefined;
}

function checkEndpoints(input: unknown, limits: Limits): Endpoint[] | undefined {
  if (!list(input, limits.maxEndpointsPerService)) return undefined;
  return checkAll(input, (item) => checkEndpoint(item, limits.maxLabels));
}

function checkEndpoint(input: unknown, maxLabels: number): Endpoint | undefined {
  if (!plain(input)) return undefined;
  let address: string | undefined;
  let port: number | undefined;
  let portName: string | undefined;
  let labels: Record<string, string> | undefined;
  let locality: string | undefined;
  let account: string | undefined;
  let healthy: boolean | undefined;
  let rank = 0;
  let same = true;
  for (const key in input) {
    const value = input[key];
    const next = ENDPOINT_ORDER.get(key) ?? 0;
    if (next <= rank) same = false;
    rank = next;
    switch (key) {
      case 'address':
        address = endpointAddress(value);
        if (address === undefined) return undefined;
        break;
      case 'port':
        if (!portNumber(value)) return undefined;
        port = value;
        break;
      case 'portName':
        if (!text(value, 63)) return undefined;
        portName = value;
        break;
      case 'labels':
        labels = checkLabels(value, maxLabels);
        if (labels === undefined) return undefined;
        break;
      case 'locality':
        if (!text(value, 256)) return undefined;
        locality = value;
        break;
      case 'serviceAccount':
        if (!text(value, 512, 1)) return undefined;
        account = value;
        break;
      case 'healthy':
        if (typeof value !== 'boolean') return undefined;
        healthy = value;
        break;
      default:
        return undefined;
    }
  }
  if (address === undefined || port === undefined) return undefined;
  if (same && address === input.address && labels === input.labels) return input as unknown as Endpoint;
  const endpoint: Endpoint = { address, port };
  if (portName !== undefined) endpoint.portName = portName;
  if (labels !== undefined) endpoint.labels = labels;
  if (locality !== undefined) endpoint.locality = locality;
  if (account !== undefined) endpoint.serviceAccount = account;
  if (healthy !== undefined) endpoint.healthy = healthy;
  return endpoint;
}

/** The schema's union in its order: IPv4 as it is, IPv6 (the schema's check) as it is, else a hostname. */
function endpointAddress(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (IPV4.test(value)) return value;
  if (value.includes(':')) return ipv6Address.safeParse(value).success ? value : undefined;
  return hostname(value);
}
