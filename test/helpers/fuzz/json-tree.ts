/**
 * JSON trees that can say what JSON.stringify cannot: duplicate keys, `__proto__`, escaped keys, raw
 * number text such as 1e400. For the fuzz tests and the duplicate-key scanner's reference.
 */

export class Raw {
  constructor(readonly text: string) {}
}
export class Obj {
  constructor(readonly entries: [string, Tree][]) {}
}
export class Arr {
  constructor(readonly items: Tree[]) {}
}
export type Tree = null | boolean | number | string | Raw | Obj | Arr;

export function toTree(value: unknown): Tree {
  if (Array.isArray(value)) return new Arr(value.map(toTree));
  if (value !== null && typeof value === 'object') {
    return new Obj(Object.entries(value).map(([key, child]) => [key, toTree(child)]));
  }
  return value as Tree;
}

/** JSON text of the tree; `space` goes after every `{`, `[`, `:` and `,` (whitespace JSON allows). */
export function serialize(tree: Tree, space = ''): string {
  if (tree instanceof Raw) return tree.text;
  if (tree instanceof Arr)
    return `[${space}${tree.items.map((item) => serialize(item, space)).join(`,${space}`)}]`;
  if (tree instanceof Obj) {
    const entries = tree.entries.map(([key, value]) => `${quoteKey(key)}:${space}${serialize(value, space)}`);
    return `{${space}${entries.join(`,${space}`)}}`;
  }
  return JSON.stringify(tree);
}

/** Keys starting with `\\` are written as given (an escaped spelling); others are JSON-quoted. */
export function quoteKey(key: string): string {
  return key.startsWith('\\') ? `"${key.slice(1)}"` : JSON.stringify(key);
}

export interface Slot {
  get(): Tree;
  set(value: Tree): void;
  /** The key leading here, when the parent is an object. */
  key: string | undefined;
}

/** Every node of the tree with a way to replace it; the root first. */
export function slots(root: { tree: Tree }): Slot[] {
  const out: Slot[] = [{ get: () => root.tree, set: (value) => (root.tree = value), key: undefined }];
  const visit = (tree: Tree) => {
    if (tree instanceof Arr) {
      tree.items.forEach((child, index) => {
        out.push({
          get: () => tree.items[index] as Tree,
          set: (value) => (tree.items[index] = value),
          key: undefined,
        });
        visit(child);
      });
    } else if (tree instanceof Obj) {
      tree.entries.forEach((entry) => {
        out.push({ get: () => entry[1], set: (value) => (entry[1] = value), key: entry[0] });
        visit(entry[1]);
      });
    }
  };
  visit(root.tree);
  return out;
}

export function typeOf(tree: Tree): string {
  if (tree === null) return 'null';
  if (tree instanceof Arr) return 'array';
  if (tree instanceof Obj) return 'object';
  if (tree instanceof Raw) return 'number';
  return typeof tree;
}

/** A key written with its first UTF-16 unit as a `\uXXXX` escape (see quoteKey). */
export function escapedSpelling(key: string): string {
  if (key === '') return key;
  return `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${escapeRest(key)}`;
}

/** The decoded key of an entry (escaped spellings as JSON reads them). */
export function decodedKey(key: string): string {
  return key.startsWith('\\') ? (JSON.parse(`"${key.slice(1)}"`) as string) : key;
}

/** What findDuplicateKey must answer: the first repeated key in text order, with the path of its object. */
export function referenceDuplicate(tree: Tree, path: string): { key: string; path: string } | undefined {
  if (tree instanceof Arr) {
    for (const [index, item] of tree.items.entries()) {
      const found = referenceDuplicate(item, `${path}[${index}]`);
      if (found) return found;
    }
  } else if (tree instanceof Obj) {
    const seen = new Set<string>();
    for (const [raw, value] of tree.entries) {
      const key = decodedKey(raw);
      if (seen.has(key)) return { key, path };
      seen.add(key);
      const step = /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${path === '' ? '' : '.'}${key}`
        : `[${JSON.stringify(key).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}]`;
      const found = referenceDuplicate(value, path + step);
      if (found) return found;
    }
  }
  return undefined;
}

/** The rest of a key after its first character, JSON-escaped (for `\uXXXX` + rest spellings). */
export function escapeRest(key: string): string {
  return JSON.stringify(key.slice(1)).slice(1, -1);
}
