/** Builders for the aggregation's input, so each test states only the fields it is about. */
import type { MergedService, RegistrySnapshot, Service } from '#lib/types.ts';

export type ServiceFields = Omit<Service, 'hostname'>;

/** `service('hello.default.svc.cluster.local', { address: '10.0.0.1' })` */
export function service(hostname: string, fields: ServiceFields = {}): Service {
  return { hostname, ...fields };
}

/** A healthy registry with a cluster id; its name defaults to the cluster id. */
export function clustered(
  clusterId: string,
  services: readonly Service[],
  options: { name?: string } = {},
): RegistrySnapshot {
  return { registry: { name: options.name ?? clusterId, clusterId }, services };
}

/** A healthy registry without a cluster id (Consul, ServiceEntries, static lists). */
export function unclustered(name: string, services: readonly Service[]): RegistrySnapshot {
  return { registry: { name }, services };
}

/** A registry whose last read failed; it may still carry (stale) services. */
export function failing(
  name: string,
  message: string,
  options: { clusterId?: string; services?: readonly Service[] } = {},
): RegistrySnapshot {
  const registry = options.clusterId === undefined ? { name } : { name, clusterId: options.clusterId };
  return options.services === undefined
    ? { registry, error: message }
    : { registry, error: message, services: options.services };
}

/** Freezes a value and everything reachable from it, so any write by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** A merged service's clusterVIPs as an ordinary object (the real one has a null prototype). */
export function vipsOf(merged: MergedService | undefined): Record<string, string> | undefined {
  const vips = merged?.clusterVIPs;
  return vips === undefined ? undefined : Object.fromEntries(Object.entries(vips));
}

/** The hostnames of merged services, in output order. */
export function hostnamesOf(services: readonly MergedService[]): string[] {
  return services.map((merged) => merged.hostname);
}
