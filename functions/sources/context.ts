/** What every adapter gets from `fetchServices`. */
import type { Limits } from '#lib/limits.ts';
import type { SecretRef } from '#lib/source-schema.ts';

export interface SourceContext {
  /** Resolves a reference; the value is trimmed, non-empty and remembered for redaction. */
  resolveSecret: (ref: SecretRef) => Promise<string>;
  /** Aborts on timeout or when the caller cancels: pass it to every request. */
  signal: AbortSignal;
  limits: Limits;
  /** How the source is named in messages, e.g. `Consul http://consul:8500/` (no secrets, no query). */
  what: string;
  /**
   * Rejects (SourceError, kind 'denied') when `url`'s host is or resolves to a denied address
   * (deny-list.ts). Await it right before every request; `request` names it in messages.
   */
  checkDestination: (url: URL, request?: string) => Promise<void>;
}

/** Run `fn` over `items` with at most `concurrency` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

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
