/**
 * The query parameters of the endpoint routes (`port`, `labels`, `health`), parsed into the domain's
 * EndpointQuery. A bad value names its parameter, so the route can answer a 400 that says which one.
 * Pure: no AWS, no I/O.
 */
import type { EndpointQuery, HealthFilter, PortSelector } from './endpoints.ts';
import { LABEL_KEY } from './names.ts';

export type QueryParse<T> = { ok: true; value: T } | { ok: false; parameter: string; message: string };

const HEALTH_FILTERS: readonly HealthFilter[] = ['all', 'healthy', 'healthy_or_else_all'];
const MAX_PORT_NAME = 63;
const MAX_LABEL_KEY = 317;
const MAX_LABEL_VALUE = 256;
const MAX_SELECTOR_PAIRS = 64;

/** A service port number (1–65535) or a port name. */
export function parsePort(raw: string, parameter = 'port'): QueryParse<PortSelector> {
  const fail = (message: string) => ({ ok: false as const, parameter, message: `${parameter} ${message}` });
  if (raw === '') return fail('must be a service port number (1-65535) or name, not empty');
  if (/^[0-9]+$/.test(raw)) {
    const number = Number(raw);
    if (number < 1 || number > 65_535) return fail(`must be a port number from 1 to 65535, not ${raw}`);
    return { ok: true, value: number };
  }
  // Port names are IANA service names in Kubernetes; we only refuse what no stored name could be.
  if (raw.length > MAX_PORT_NAME || /[\s,]/.test(raw)) {
    return fail(
      'must be a service port number (1-65535) or name (at most 63 characters, no spaces or commas)',
    );
  }
  return { ok: true, value: raw };
}

/** One or more ports, comma separated (API Gateway joins a repeated parameter with commas). */
export function parsePorts(raw: string, parameter = 'port'): QueryParse<PortSelector[]> {
  const ports: PortSelector[] = [];
  for (const part of raw.split(',')) {
    const parsed = parsePort(part, parameter);
    if (!parsed.ok) return parsed;
    ports.push(parsed.value);
  }
  return { ok: true, value: ports };
}

/**
 * A Kubernetes equality selector, `k=v[,k=v…]` (`k==v` too). Built with Object.fromEntries so that a
 * key such as `__proto__` is an ordinary own key.
 */
export function parseLabels(raw: string, parameter = 'labels'): QueryParse<Record<string, string>> {
  const fail = (message: string) => ({ ok: false as const, parameter, message: `${parameter} ${message}` });
  if (raw === '') return fail('must be a selector k=v[,k=v...], not empty');
  const pairs = raw.split(',');
  if (pairs.length > MAX_SELECTOR_PAIRS) return fail(`has more than ${MAX_SELECTOR_PAIRS} pairs`);
  const entries: [string, string][] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 0) return fail(`must be k=v pairs separated by commas; "${clip(pair)}" has no "="`);
    const key = pair.slice(0, at);
    let value = pair.slice(at + 1);
    if (value.startsWith('=')) value = value.slice(1);
    if (key.endsWith('!')) return fail('supports equality only (k=v), not k!=v');
    if (key === '' || key.length > MAX_LABEL_KEY || !LABEL_KEY.test(key)) {
      return fail(`has "${clip(key)}", which is not a label key`);
    }
    if (value.length > MAX_LABEL_VALUE || value.includes('=')) {
      return fail(`has a bad value for "${clip(key)}"`);
    }
    entries.push([key, value]);
  }
  return { ok: true, value: Object.fromEntries(entries) };
}

export function parseHealth(raw: string, parameter = 'health'): QueryParse<HealthFilter> {
  const found = HEALTH_FILTERS.find((filter) => filter === raw);
  if (found !== undefined) return { ok: true, value: found };
  return {
    ok: false,
    parameter,
    message: `${parameter} must be one of ${HEALTH_FILTERS.join(', ')} (default all), not "${clip(raw)}"`,
  };
}

/** The endpoint query of GET /services/{hostname}/endpoints; absent parameters filter nothing. */
export function parseEndpointQuery(
  params: Readonly<Record<string, string | undefined>>,
): QueryParse<EndpointQuery> {
  const query: EndpointQuery = {};
  if (params.port !== undefined) {
    const port = parsePort(params.port);
    if (!port.ok) return port;
    query.port = port.value;
  }
  if (params.labels !== undefined) {
    const labels = parseLabels(params.labels);
    if (!labels.ok) return labels;
    query.labels = labels.value;
  }
  if (params.health !== undefined) {
    const health = parseHealth(params.health);
    if (!health.ok) return health;
    query.health = health.value;
  }
  return { ok: true, value: query };
}

/** Echoes a client's text in a message without letting it run long. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
