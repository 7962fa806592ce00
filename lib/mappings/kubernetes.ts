/**
 * Kubernetes → snapshot: core/v1 Services and discovery.k8s.io/v1 EndpointSlices, in the shapes the
 * API server returns them (the fields read are typed below; `null` where the server writes it, e.g.
 * the `endpoints` and `ports` of an emptied slice), become `Service`s the way Istio's Kubernetes
 * registry converts them. Pure: no I/O; the adapter (functions/sources/kubernetes-source.ts) lists.
 *
 * - hostname `<name>.<namespace>.svc.<clusterDomain>` (default `cluster.local`);
 * - ClusterIP services: address = spec.clusterIP, resolution `ClientSideLB`;
 *   headless (clusterIP `None`): no address, resolution `Passthrough`;
 *   ExternalName: no address, resolution `DNS`, meshExternal, one endpoint per port at the external name;
 * - port protocol as Istio derives it (lib/protocol.ts `kubernetesPortProtocol`: UDP stays UDP, the
 *   standard `kubernetes.io/*` appProtocols, else the appProtocol or the name's prefix before `-`);
 *   a port Istio would sniff has no protocol;
 * - labels = metadata.labels; serviceAccounts from Istio's `alpha.istio.io/canonical-serviceaccounts`
 *   (verbatim) and `alpha.istio.io/kubernetes-serviceaccounts` (as
 *   `spiffe://cluster.local/ns/<ns>/sa/<name>`, Istio's default trust domain) annotations;
 * - endpoints from the EndpointSlices labelled `kubernetes.io/service-name`: every address × every
 *   slice port, portName = the slice port's name (it matches the service port's name),
 *   healthy = `conditions.ready !== false` (unset means ready, as in Kubernetes), locality = zone.
 *   EndpointSlices do not say which service account a pod runs as, so endpoints carry none.
 *
 * Objects without a name or namespace cannot be named and are skipped, with a reason.
 */
import { kubernetesPortProtocol } from '../protocol.ts';
import type { Endpoint, Port, Service } from '../types.ts';
import { shortName, toLabels } from './labels.ts';
import type { Mapped } from './mapped.ts';

export interface KubeObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
}

export interface KubeServicePort {
  name?: string | null;
  port: number;
  protocol?: string | null;
  appProtocol?: string | null;
}

export interface KubeService {
  metadata?: KubeObjectMeta | null;
  spec?: {
    type?: string | null;
    clusterIP?: string | null;
    externalName?: string | null;
    ports?: KubeServicePort[] | null;
  } | null;
}

export interface KubeEndpoint {
  addresses?: string[] | null;
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null } | null;
  zone?: string | null;
}

export interface KubeEndpointSlice {
  metadata?: KubeObjectMeta | null;
  addressType?: string;
  endpoints?: KubeEndpoint[] | null;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

export interface KubernetesMappingOptions {
  clusterDomain?: string;
  maxLabels: number;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const CANONICAL_SA_ANNOTATION = 'alpha.istio.io/canonical-serviceaccounts';
const KUBERNETES_SA_ANNOTATION = 'alpha.istio.io/kubernetes-serviceaccounts';

export function kubernetesToSnapshot(
  services: readonly KubeService[],
  slices: readonly KubeEndpointSlice[],
  options: KubernetesMappingOptions,
): Mapped {
  const clusterDomain = options.clusterDomain ?? 'cluster.local';
  const slicesByService = new Map<string, KubeEndpointSlice[]>();
  for (const slice of slices) {
    const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const namespace = slice.metadata?.namespace;
    if (!name || !namespace) continue;
    const key = `${namespace}/${name}`;
    const list = slicesByService.get(key);
    if (list === undefined) slicesByService.set(key, [slice]);
    else list.push(slice);
  }

  const out: Service[] = [];
  const skipped: string[] = [];
  for (const item of services) {
    const name = item.metadata?.name;
    const namespace = item.metadata?.namespace;
    if (!name || !namespace) {
      skipped.push(
        `a Service without ${name ? 'namespace' : 'name'}${name ? ` ("${shortName(name)}")` : ''}`,
      );
      continue;
    }
    out.push(toService(item, name, namespace, slicesByService, clusterDomain, options.maxLabels));
  }
  out.sort((a, b) => compare(a.hostname, b.hostname));
  return { services: out, skipped };
}

function toService(
  item: KubeService,
  name: string,
  namespace: string,
  slicesByService: Map<string, KubeEndpointSlice[]>,
  clusterDomain: string,
  maxLabels: number,
): Service {
  const spec = item.spec ?? {};
  const service: Service = { hostname: `${name}.${namespace}.svc.${clusterDomain}`, namespace };
  const ports: Port[] = (spec.ports ?? []).map((port) => {
    const protocol = kubernetesPortProtocol({
      port: port.port,
      ...(port.name ? { name: port.name } : {}),
      ...(port.protocol ? { protocol: port.protocol } : {}),
      ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}),
    });
    return {
      ...(port.name ? { name: port.name } : {}),
      port: port.port,
      ...(protocol === undefined ? {} : { protocol }),
    };
  });
  service.ports = ports;
  const labels = toLabels(Object.entries(item.metadata?.labels ?? {}), maxLabels);
  if (Object.keys(labels).length > 0) service.labels = labels;
  const serviceAccounts = annotatedServiceAccounts(item.metadata?.annotations ?? {}, namespace);
  if (serviceAccounts.length > 0) service.serviceAccounts = serviceAccounts;

  if (spec.type === 'ExternalName') {
    service.resolution = 'DNS';
    service.meshExternal = true;
    const externalName = spec.externalName;
    service.endpoints = externalName
      ? ports.map((port) => ({
          address: externalName,
          port: port.port,
          ...(port.name ? { portName: port.name } : {}),
        }))
      : [];
    return service;
  }
  if (!spec.clusterIP || spec.clusterIP === 'None') {
    service.resolution = 'Passthrough';
  } else {
    service.address = spec.clusterIP;
    service.resolution = 'ClientSideLB';
  }
  service.endpoints = toEndpoints(slicesByService.get(`${namespace}/${name}`) ?? []);
  return service;
}

function toEndpoints(slices: readonly KubeEndpointSlice[]): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    const ports = (slice.ports ?? []).filter((port) => typeof port.port === 'number');
    for (const endpoint of slice.endpoints ?? []) {
      const healthy = endpoint.conditions?.ready !== false;
      for (const address of endpoint.addresses ?? []) {
        for (const port of ports) {
          // The same endpoint can show up in two slices while the controller moves it.
          const key = `${address}|${port.port}|${port.name ?? ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({
            address,
            port: port.port as number,
            ...(port.name ? { portName: port.name } : {}),
            ...(endpoint.zone ? { locality: endpoint.zone } : {}),
            healthy,
          });
        }
      }
    }
  }
  return out.sort((a, b) => compare(a.address, b.address) || a.port - b.port);
}

function annotatedServiceAccounts(annotations: Record<string, string>, namespace: string): string[] {
  const split = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
  const accounts = [
    ...split(annotations[CANONICAL_SA_ANNOTATION]),
    ...split(annotations[KUBERNETES_SA_ANNOTATION]).map(
      (name) => `spiffe://cluster.local/ns/${namespace}/sa/${name}`,
    ),
  ];
  return [...new Set(accounts)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
