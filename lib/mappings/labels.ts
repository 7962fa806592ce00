/** Labels from upstream systems, kept to what the snapshot schema can represent. Pure. */

/** Same as lib/schemas.ts: a label key the service schema accepts. */
const LABEL_KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export function isLabelKey(key: string): boolean {
  return key.length <= 317 && LABEL_KEY.test(key);
}

/**
 * Keep the labels the schema can represent (valid key, value of at most 256 characters), at most
 * `max` of them in the given order. Upstream systems allow more than we store; dropping an odd label
 * is better than failing the whole registry.
 */
export function toLabels(entries: Iterable<[string, string]>, max: number): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of entries) {
    if (count >= max) break;
    if (!isLabelKey(key) || typeof value !== 'string' || value.length > 256 || Object.hasOwn(out, key))
      continue;
    out[key] = value;
    count += 1;
  }
  return out;
}

/** A short, printable name of an upstream object for a skip reason (never more than 100 characters). */
export function shortName(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]+/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
