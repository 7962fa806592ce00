/** The wire and domain types shared by every function. Pure data: no AWS, no I/O. */

export interface RegistryRef {
  name: string;
  clusterId?: string;
  provider?: string;
}

export interface Port {
  name?: string;
  port: number;
  protocol?: string;
}

export interface Endpoint {
  address: string;
  port: number;
  portName?: string;
  labels?: Record<string, string>;
  locality?: string;
  serviceAccount?: string;
  healthy?: boolean;
}

export interface Service {
  hostname: string;
  address?: string;
  ports?: Port[];
  namespace?: string;
  serviceAccounts?: string[];
  resolution?: string;
  meshExternal?: boolean;
  labels?: Record<string, string>;
  endpoints?: Endpoint[];
}

export interface RegistrySnapshot {
  registry: RegistryRef;
  services?: readonly Service[];
  error?: string;
}

export interface MergedService extends Omit<Service, 'endpoints'> {
  /**
   * Unique within the view and stable across revisions: a clustered hostname's id is the hostname;
   * an unclustered entry's is `<registry>/<hostname>`, `#2`, `#3`... for the registry's duplicates.
   */
  id: string;
  /** The registry whose service object was kept. */
  registry: string;
  /** Only on services of registries with a clusterId. */
  clusterVIPs?: Record<string, string>;
}

export interface Conflict {
  hostname: string;
  field: string;
  kept: { registry: string; value: unknown };
  ignored: { registry: string; value: unknown };
}

export interface RegistryError {
  registry: string;
  message: string;
}

export interface Aggregate {
  services: MergedService[];
  errors: RegistryError[];
  conflicts: Conflict[];
}
