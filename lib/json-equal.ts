/**
 * Equality of JSON-like values (what snapshots and merged views are made of), by content: the
 * prototype is ignored, so a null-prototype `clusterVIPs` equals the plain object JSON.parse gives.
 * Hand-written because `util.isDeepStrictEqual` compares prototypes and `assert.deepEqual`'s loose
 * mode equates 1 and "1"; both also do more work than plain data needs. Same references are equal
 * without a look inside, which is what makes comparing views that share most objects cheap.
 */

/** Equal content, object keys in any order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return same(a, b, false);
}

/** Equal content with object keys in the same order: the two give the same JSON text. */
export function jsonIdentical(a: unknown, b: unknown): boolean {
  return same(a, b, true);
}

function same(a: unknown, b: unknown, keyOrder: boolean): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i], keyOrder)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  // for...in walks the own keys of plain data (JSON objects have no enumerable inherited keys)
  // without allocating the key arrays Object.keys would.
  let count = 0;
  if (keyOrder) {
    const rightKeys = Object.keys(right);
    for (const key in left) {
      if (rightKeys[count++] !== key || !same(left[key], right[key], keyOrder)) return false;
    }
    return count === rightKeys.length;
  }
  for (const key in left) {
    count++;
    if (!Object.hasOwn(right, key) || !same(left[key], right[key], keyOrder)) return false;
  }
  for (const _key in right) count--;
  return count === 0;
}
