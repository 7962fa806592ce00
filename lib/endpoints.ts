/**
 * The discovery half of Istio's aggregate controller: `InstancesByPort`, `GetProxyServiceInstances` and
 * `GetIstioServiceAccounts`. Unlike `Services()`, these do not merge by hostname: they concatenate what
 * every registry says, in registration order, clustered and unclustered alike. Within a registry, its
 * services in snapshot order, and each service's endpoints in snapshot order.
 *
 * Snapshots carrying an `error` contribute nothing, as in aggregateServices (the caller reports them).
 * Pure: no AWS, no I/O. The scan functions walk every snapshot; `buildEndpointIndex` answers the same
 * questions from maps built once per revision.
 */
import type { Endpoint, Port, RegistryError, RegistryRef, RegistrySnapshot, Service } from './types.ts';

export interface ServicePortRef {
  name?: string;
  port: number;
  protocol?: string;
}

export interface ServiceEndpoint {
  hostname: string;
  registry: string;
  /** Only for registries that have one. */
  clusterId?: string;
  address: string;
  /** The endpoint's own (target) port. */
  port: number;
  portName?: string;
  /** The service port the endpoint belongs to (see servicePortOf); absent when none. */
  servicePort?: ServicePortRef;
  labels?: Record<string, string>;
  locality?: string;
  serviceAccount?: string;
  /** True when the snapshot did not say. */
  healthy: boolean;
}

/** `healthy_or_else_all`: Cloud Map's rule, the healthy ones, or all of them when none is healthy. */
export type HealthFilter = 'all' | 'healthy' | 'healthy_or_else_all';

/** A service port, by number, or by name when a string (parsing "80" into 80 is the caller's job). */
export type PortSelector = number | string;

export interface EndpointQuery {
  port?: PortSelector;
  /** Equality selector: every pair must be among the endpoint's labels. */
  labels?: Record<string, string>;
  health?: HealthFilter;
}

/** An endpoint as GET /services/{hostname}/endpoints shows it: the hostname is the response's. */
export type EndpointView = Omit<ServiceEndpoint, 'hostname'>;
/** An endpoint as GET /workloads/{address} shows it: the address is the response's. */
export type InstanceView = Omit<ServiceEndpoint, 'address'>;

/**
 * The port of the endpoint's own service that the endpoint belongs to: the one named by its
 * `portName`; without a `portName`, the service's only port, or else the port whose number is the
 * endpoint's port; otherwise none. An empty `portName` counts as none (Kubernetes' unnamed ports).
 */
export function servicePortOf(service: Service, endpoint: Endpoint): Port | undefined {
  const ports = service.ports;
  if (ports === undefined || ports.length === 0) return undefined;
  const name = endpoint.portName;
  if (name !== undefined && name !== '') return ports.find((port) => port.name === name);
  if (ports.length === 1) return ports[0];
  return ports.find((port) => port.port === endpoint.port);
}

export function portMatches(port: ServicePortRef, selector: PortSelector): boolean {
  return typeof selector === 'number' ? port.port === selector : port.name === selector;
}

/** Every endpoint of every service with that hostname, in registration order, filtered by the query. */
export function instancesByPort(
  snapshots: readonly RegistrySnapshot[],
  hostname: string,
  query: EndpointQuery = {},
): ServiceEndpoint[] {
  const all: ServiceEndpoint[] = [];
  for (const snapshot of servingSnapshots(snapshots)) {
    for (const service of snapshot.services) {
      if (service.hostname !== hostname) continue;
      for (const endpoint of service.endpoints ?? []) {
        all.push(serviceEndpoint(snapshot.registry, service, endpoint));
      }
    }
  }
  return selectEndpoints(all, query);
}

/**
 * Every endpoint at `address`, in registration order. With a clusterId, registries with another
 * clusterId are skipped; registries without one are still searched (Istio's rule for a proxy that
 * knows its cluster).
 */
export function proxyServiceInstances(
  snapshots: readonly RegistrySnapshot[],
  address: string,
  options: { clusterId?: string } = {},
): ServiceEndpoint[] {
  const found: ServiceEndpoint[] = [];
  for (const snapshot of servingSnapshots(snapshots)) {
    if (!inCluster(snapshot.registry, options.clusterId)) continue;
    for (const service of snapshot.services) {
      for (const endpoint of service.endpoints ?? []) {
        if (endpoint.address === address) found.push(serviceEndpoint(snapshot.registry, service, endpoint));
      }
    }
  }
  return found;
}

/**
 * The union, in first-seen order, of the service accounts of every service with that hostname: per
 * service, its `serviceAccounts`, then its endpoints' `serviceAccount`. With ports, only services that
 * have one of them contribute, and of their endpoints only those that belong to one of them.
 */
export function serviceAccountsOf(
  snapshots: readonly RegistrySnapshot[],
  hostname: string,
  ports?: readonly PortSelector[],
): string[] {
  const accounts = new Set<string>();
  for (const snapshot of servingSnapshots(snapshots)) {
    for (const service of snapshot.services) {
      if (service.hostname === hostname) addAccounts(accounts, service, ports);
    }
  }
  return [...accounts];
}

/** Whether any registry that serves something has a service with that hostname. */
export function hasHostname(snapshots: readonly RegistrySnapshot[], hostname: string): boolean {
  for (const snapshot of servingSnapshots(snapshots)) {
    for (const service of snapshot.services) if (service.hostname === hostname) return true;
  }
  return false;
}

/** The registries in error, as GET /services reports them. */
export function registryErrors(snapshots: readonly RegistrySnapshot[]): RegistryError[] {
  const errors: RegistryError[] = [];
  for (const { registry, error } of snapshots) {
    if (error !== undefined) errors.push({ registry: registry.name, message: error });
  }
  return errors;
}

/** The port, label and health filters, in that order: health applies to what the others kept. */
export function selectEndpoints(
  endpoints: readonly ServiceEndpoint[],
  query: EndpointQuery = {},
): ServiceEndpoint[] {
  const { port, labels } = query;
  const wanted = labels === undefined ? [] : Object.entries(labels);
  const kept =
    port === undefined && wanted.length === 0
      ? [...endpoints]
      : endpoints.filter(
          (endpoint) =>
            (port === undefined ||
              (endpoint.servicePort !== undefined && portMatches(endpoint.servicePort, port))) &&
            hasLabels(endpoint.labels, wanted),
        );
  const health = query.health ?? 'all';
  if (health === 'all') return kept;
  const healthy = kept.filter((endpoint) => endpoint.healthy);
  return health === 'healthy' || healthy.length > 0 ? healthy : kept;
}

export function endpointView(endpoint: ServiceEndpoint): EndpointView {
  const view = { registry: endpoint.registry } as EndpointView;
  if (endpoint.clusterId !== undefined) view.clusterId = endpoint.clusterId;
  view.address = endpoint.address;
  return withDetails(view, endpoint);
}

export function instanceView(endpoint: ServiceEndpoint): InstanceView {
  const view = { hostname: endpoint.hostname, registry: endpoint.registry } as InstanceView;
  if (endpoint.clusterId !== undefined) view.clusterId = endpoint.clusterId;
  return withDetails(view, endpoint);
}

/** The fields after the address, in wire order. */
function withDetails<T extends Partial<ServiceEndpoint>>(view: T, endpoint: ServiceEndpoint): T {
  view.port = endpoint.port;
  if (endpoint.portName !== undefined) view.portName = endpoint.portName;
  if (endpoint.servicePort !== undefined) view.servicePort = endpoint.servicePort;
  if (endpoint.labels !== undefined) view.labels = endpoint.labels;
  if (endpoint.locality !== undefined) view.locality = endpoint.locality;
  if (endpoint.serviceAccount !== undefined) view.serviceAccount = endpoint.serviceAccount;
  view.healthy = endpoint.healthy;
  return view;
}

// ---------------------------------------------------------------------------------------------------
// The index: hostname → its services (eagerly, one pass over services), hostname → endpoints (per
// hostname, on first use) and address → endpoints (one pass over every endpoint, on first use). Each
// Lambda function serves one of the routes, so it only pays for the maps its route reads.

export interface EndpointIndex {
  hasHostname(hostname: string): boolean;
  /** Undefined for a hostname no registry serves. */
  instancesByPort(hostname: string, query?: EndpointQuery): ServiceEndpoint[] | undefined;
  /** Every endpoint of the hostname, unfiltered: the same array on every call (do not modify it). */
  endpointsOf(hostname: string): readonly ServiceEndpoint[] | undefined;
  proxyServiceInstances(address: string, options?: { clusterId?: string }): ServiceEndpoint[];
  /** Undefined for a hostname no registry serves. */
  serviceAccountsOf(hostname: string, ports?: readonly PortSelector[]): string[] | undefined;
}

interface Sighting {
  registry: RegistryRef;
  service: Service;
}

export function buildEndpointIndex(snapshots: readonly RegistrySnapshot[]): EndpointIndex {
  return new SnapshotEndpointIndex(snapshots);
}

class SnapshotEndpointIndex implements EndpointIndex {
  private readonly sightings = new Map<string, Sighting[]>();
  private readonly endpoints = new Map<string, readonly ServiceEndpoint[]>();
  private addresses: Map<string, ServiceEndpoint[]> | undefined;

  constructor(private readonly snapshots: readonly RegistrySnapshot[]) {
    for (const snapshot of servingSnapshots(snapshots)) {
      const registry = snapshot.registry;
      for (const service of snapshot.services) {
        const list = this.sightings.get(service.hostname);
        if (list === undefined) this.sightings.set(service.hostname, [{ registry, service }]);
        else list.push({ registry, service });
      }
    }
  }

  hasHostname(hostname: string): boolean {
    return this.sightings.has(hostname);
  }

  endpointsOf(hostname: string): readonly ServiceEndpoint[] | undefined {
    const known = this.endpoints.get(hostname);
    if (known !== undefined) return known;
    const sightings = this.sightings.get(hostname);
    if (sightings === undefined) return undefined;
    const built: ServiceEndpoint[] = [];
    for (const { registry, service } of sightings) {
      for (const endpoint of service.endpoints ?? [])
        built.push(serviceEndpoint(registry, service, endpoint));
    }
    this.endpoints.set(hostname, built);
    return built;
  }

  instancesByPort(hostname: string, query: EndpointQuery = {}): ServiceEndpoint[] | undefined {
    const all = this.endpointsOf(hostname);
    return all === undefined ? undefined : selectEndpoints(all, query);
  }

  proxyServiceInstances(address: string, options: { clusterId?: string } = {}): ServiceEndpoint[] {
    const found = this.addressMap().get(address) ?? [];
    const clusterId = options.clusterId;
    return clusterId === undefined
      ? [...found]
      : found.filter((endpoint) => endpoint.clusterId === undefined || endpoint.clusterId === clusterId);
  }

  serviceAccountsOf(hostname: string, ports?: readonly PortSelector[]): string[] | undefined {
    const sightings = this.sightings.get(hostname);
    if (sightings === undefined) return undefined;
    const accounts = new Set<string>();
    for (const { service } of sightings) addAccounts(accounts, service, ports);
    return [...accounts];
  }

  private addressMap(): Map<string, ServiceEndpoint[]> {
    if (this.addresses !== undefined) return this.addresses;
    const map = new Map<string, ServiceEndpoint[]>();
    for (const snapshot of servingSnapshots(this.snapshots)) {
      for (const service of snapshot.services) {
        for (const endpoint of service.endpoints ?? []) {
          const built = serviceEndpoint(snapshot.registry, service, endpoint);
          const list = map.get(endpoint.address);
          if (list === undefined) map.set(endpoint.address, [built]);
          else list.push(built);
        }
      }
    }
    this.addresses = map;
    return map;
  }
}

// ---------------------------------------------------------------------------------------------------

type ServingSnapshot = RegistrySnapshot & { services: readonly Service[] };

function* servingSnapshots(snapshots: readonly RegistrySnapshot[]): Generator<ServingSnapshot> {
  for (const snapshot of snapshots) {
    if (snapshot.error === undefined && snapshot.services !== undefined) yield snapshot as ServingSnapshot;
  }
}

function inCluster(registry: RegistryRef, clusterId: string | undefined): boolean {
  return clusterId === undefined || !registry.clusterId || registry.clusterId === clusterId;
}

function serviceEndpoint(registry: RegistryRef, service: Service, endpoint: Endpoint): ServiceEndpoint {
  // Assigned in wire order, so serialising needs no reordering; plain assignments rather than
  // conditional spreads, which cost an object each (this runs once per endpoint of the mesh).
  const built = { hostname: service.hostname, registry: registry.name } as ServiceEndpoint;
  if (registry.clusterId) built.clusterId = registry.clusterId;
  built.address = endpoint.address;
  built.port = endpoint.port;
  if (endpoint.portName !== undefined) built.portName = endpoint.portName;
  const servicePort = servicePortOf(service, endpoint);
  if (servicePort !== undefined) built.servicePort = servicePort;
  if (endpoint.labels !== undefined) built.labels = endpoint.labels;
  if (endpoint.locality !== undefined) built.locality = endpoint.locality;
  if (endpoint.serviceAccount !== undefined) built.serviceAccount = endpoint.serviceAccount;
  built.healthy = endpoint.healthy ?? true;
  return built;
}

function hasLabels(labels: Record<string, string> | undefined, wanted: readonly [string, string][]): boolean {
  for (const [key, value] of wanted) {
    if (labels === undefined || !Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  return true;
}

function addAccounts(
  accounts: Set<string>,
  service: Service,
  ports: readonly PortSelector[] | undefined,
): void {
  const filtered = ports !== undefined && ports.length > 0;
  if (filtered && !(service.ports ?? []).some((port) => ports.some((want) => portMatches(port, want))))
    return;
  for (const account of service.serviceAccounts ?? []) accounts.add(account);
  for (const endpoint of service.endpoints ?? []) {
    if (endpoint.serviceAccount === undefined) continue;
    if (filtered) {
      const port = servicePortOf(service, endpoint);
      if (port === undefined || !ports.some((want) => portMatches(port, want))) continue;
    }
    accounts.add(endpoint.serviceAccount);
  }
}
