/**
 * Names as the API accepts them (DNS labels and names, label keys), without zod: the read routes
 * check their parameters with these at every request, and a function that only reads should not
 * evaluate the schema library at its cold start. The body schemas (schemas.ts) use the same patterns.
 */

/** RFC 1123 label: lower case, digits and '-', 1-63 chars. Registry names live in URL paths. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS name of labels of letters, digits, '-' and '_', an optional leading `*.` and trailing dot. */
export const HOSTNAME =
  /^(\*\.)?[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?)*\.?$/;

export const MAX_HOSTNAME_LENGTH = 253;

/** A Kubernetes label key: an optional DNS-prefix and '/', then a name. */
export const LABEL_KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** As DNS compares names: lower case, without the root's trailing dot. */
export function normalizeHostname(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The normalised hostname, or undefined when `raw` is not one (the `hostname` schema's rule). */
export function parseHostname(raw: string): string | undefined {
  if (raw.length < 1 || raw.length > MAX_HOSTNAME_LENGTH || !HOSTNAME.test(raw)) return undefined;
  return normalizeHostname(raw);
}
