/**
 * Port protocols as Istio names them. Istio parses protocol names case-insensitively and derives a
 * Kubernetes port's protocol from its appProtocol or the prefix of its name (istio/istio
 * pkg/config/kube ConvertProtocol); we do the same, and write the names in upper case, so that a
 * pulled cluster and a pushed snapshot of the same service agree on their ports.
 */

/** The protocols Istio knows, by lower-case name. */
const KNOWN: ReadonlyMap<string, string> = new Map(
  [
    'TCP',
    'UDP',
    'GRPC',
    'GRPC-WEB',
    'HTTP',
    'HTTP_PROXY',
    'HTTP2',
    'HTTPS',
    'TLS',
    'MONGO',
    'REDIS',
    'MYSQL',
  ].map((name) => [name.toLowerCase(), name]),
);

/** Kubernetes' standard appProtocol names (only valid as appProtocol, never as a port name). */
const KUBERNETES_APP_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['kubernetes.io/h2c', 'HTTP2'],
  ['kubernetes.io/ws', 'HTTP'],
  ['kubernetes.io/wss', 'HTTPS'],
]);

/** Ports whose traffic Istio never sniffs: without a protocol they are TCP. */
const WELL_KNOWN_TCP_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

/** The canonical (upper-case) name of a protocol Istio knows, or undefined (Istio then sniffs). */
export function canonicalProtocol(name: string | undefined): string | undefined {
  return name === undefined ? undefined : KNOWN.get(name.toLowerCase());
}

/**
 * A pushed port's protocol: a name Istio knows becomes its canonical form; any other name is kept as
 * given (it is the pusher's, and Istio would treat it as unknown either way).
 */
export function normalizeProtocol(name: string | undefined): string | undefined {
  return name === undefined ? undefined : (canonicalProtocol(name) ?? name);
}

export interface KubernetesPort {
  port: number;
  name?: string;
  /** The Kubernetes L4 protocol: TCP (default), UDP or SCTP. */
  protocol?: string;
  appProtocol?: string;
}

/** Istio's ConvertProtocol: the protocol of a Kubernetes Service port, or undefined when Istio sniffs. */
export function kubernetesPortProtocol(port: KubernetesPort): string | undefined {
  if (port.protocol === 'UDP') return 'UDP';
  let name = port.name ?? '';
  if (port.appProtocol !== undefined) {
    name = port.appProtocol;
    const standard = KUBERNETES_APP_PROTOCOLS.get(name);
    if (standard) return standard;
  }
  // "grpc-web" contains the separator, so it is matched before the prefix is cut.
  if (name.toLowerCase().startsWith('grpc-web')) return 'GRPC-WEB';
  const dash = name.indexOf('-');
  const prefix = dash >= 0 ? name.slice(0, dash) : name;
  const known = canonicalProtocol(prefix);
  if (known) return known;
  return WELL_KNOWN_TCP_PORTS.has(port.port) ? 'TCP' : undefined;
}
