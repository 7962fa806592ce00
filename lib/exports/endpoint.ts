/**
 * What the exports need of an endpoint: the fields of the endpoints route (InstancesByPort), so that
 * `ServiceEndpoint` of lib/endpoints.ts is assignable to it.
 */
export interface ExportEndpoint {
  registry: string;
  clusterId?: string;
  address: string;
  /** The endpoint's own (target) port. */
  port: number;
  portName?: string;
  /** The service port it belongs to, by the port rule of the endpoints route; absent when none. */
  servicePort?: { name?: string; port: number; protocol?: string };
  labels?: Record<string, string>;
  locality?: string;
  serviceAccount?: string;
  healthy: boolean;
}

export type HealthFilter = 'all' | 'healthy';

export function selectHealth<T extends ExportEndpoint>(
  endpoints: readonly T[],
  health: HealthFilter,
): readonly T[] {
  return health === 'all' ? endpoints : endpoints.filter((endpoint) => endpoint.healthy);
}

/** As `?port=` on the endpoints route: a service port number, or a service port name. */
export type PortSelector = { number: number } | { name: string };

export function belongsToPort(endpoint: ExportEndpoint, selector: PortSelector): boolean {
  const port = endpoint.servicePort;
  if (!port) return false;
  return 'number' in selector ? port.port === selector.number : port.name === selector.name;
}
