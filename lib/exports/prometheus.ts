/**
 * The merged view's endpoints as Prometheus HTTP service discovery: one target group per endpoint, so
 * each target keeps its own `__meta_aggregate_*` labels for relabelling (Prometheus drops `__meta_*`
 * labels after relabelling, as with its Kubernetes SD). Pure: no AWS, no I/O.
 */
import { isIP } from 'node:net';
import { type EndpointQuery, type ServiceEndpoint, selectEndpoints } from '../endpoints.ts';
import { normalizeProtocol } from '../protocol.ts';
import type { MergedService } from '../types.ts';

export interface TargetGroup {
  targets: [string];
  labels: Record<string, string>;
}

export interface PrometheusExportInput {
  services: readonly MergedService[];
  endpointsOf: (hostname: string) => readonly ServiceEndpoint[];
}

const META = '__meta_aggregate_';

/** Every endpoint by default (monitoring wants the unhealthy ones too); `port` and `health` filter. */
export function prometheusTargets(
  input: PrometheusExportInput,
  query: Pick<EndpointQuery, 'port' | 'health'> = {},
): TargetGroup[] {
  const namespaces = namespacesByHostname(input.services);
  const groups: TargetGroup[] = [];
  for (const [hostname, byRegistry] of namespaces) {
    const endpoints = selectEndpoints(input.endpointsOf(hostname), {
      health: query.health ?? 'all',
      ...port(query),
    });
    for (const endpoint of endpoints) {
      const namespace = byRegistry.get(endpoint.registry) ?? byRegistry.values().next().value;
      groups.push({ targets: [target(endpoint)], labels: labelsOf(hostname, endpoint, namespace) });
    }
  }
  return groups;
}

function port(query: Pick<EndpointQuery, 'port'>): Pick<EndpointQuery, 'port'> {
  return query.port === undefined ? {} : { port: query.port };
}

/** `host:port`, with an IPv6 address in brackets as Prometheus parses it. */
export function target(endpoint: Pick<ServiceEndpoint, 'address' | 'port'>): string {
  return isIP(endpoint.address) === 6
    ? `[${endpoint.address}]:${endpoint.port}`
    : `${endpoint.address}:${endpoint.port}`;
}

/** `[^a-zA-Z0-9_]` → `_`, as Prometheus' Kubernetes SD names `__meta_kubernetes_pod_label_*`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function labelsOf(
  hostname: string,
  endpoint: ServiceEndpoint,
  namespace: string | undefined,
): Record<string, string> {
  const labels: Record<string, string> = {
    [`${META}hostname`]: hostname,
    [`${META}registry`]: endpoint.registry,
  };
  if (endpoint.clusterId) labels[`${META}cluster_id`] = endpoint.clusterId;
  if (namespace) labels[`${META}namespace`] = namespace;
  const portName = endpoint.servicePort?.name ?? endpoint.portName;
  if (portName) labels[`${META}port_name`] = portName;
  const protocol = normalizeProtocol(endpoint.servicePort?.protocol);
  if (protocol) labels[`${META}port_protocol`] = protocol;
  labels[`${META}healthy`] = String(endpoint.healthy);
  if (endpoint.locality) labels[`${META}locality`] = endpoint.locality;
  for (const [key, value] of Object.entries(endpoint.labels ?? {})) {
    // Two keys that sanitise alike (`a.b`, `a_b`): the first keeps the name, as the first label wins.
    const name = `${META}label_${sanitizeLabelName(key)}`;
    if (!(name in labels)) labels[name] = value;
  }
  return labels;
}

/** Hostnames in merged order, each with the namespace its registries' entries give. */
function namespacesByHostname(
  services: readonly MergedService[],
): Map<string, Map<string, string | undefined>> {
  const result = new Map<string, Map<string, string | undefined>>();
  for (const service of services) {
    let byRegistry = result.get(service.hostname);
    if (!byRegistry) {
      byRegistry = new Map();
      result.set(service.hostname, byRegistry);
    }
    if (!byRegistry.has(service.registry)) byRegistry.set(service.registry, service.namespace);
  }
  return result;
}
