/**
 * Request bodies, from the bytes API Gateway hands over to a parsed JSON value, each step answering its
 * own 4xx: base64 (API Gateway's binary bodies) and `Content-Encoding: gzip` with a limit on the inflated
 * size (a gzip bomb is a 413, not an OOM); bytes must be valid UTF-8; an empty body is `MissingBody`; the
 * media type must be JSON. Then one linear pass over the text (`measureJson`) refuses nesting deeper than
 * `MAX_JSON_DEPTH` before any parser sees it (`TooDeep`: a parser's recursion, and the schema's after it,
 * is what deep nesting attacks) and counts the keys; one `JSON.parse`; and a key repeated within one
 * object is refused (`DuplicateKey`: `JSON.parse` keeps the last one silently, so
 * `{"generation": 1, ..., "generation": 9}` would mean something else to every other JSON reader).
 *
 * Hand-written rather than @middy/http-json-body-parser: that parser refuses a `__proto__` key as if the
 * JSON were malformed, while `JSON.parse` defines such a key as an ordinary own property (it never sets
 * a prototype), which the strict schemas then name as an unknown field; and the depth limit and the
 * duplicate check need the text before any parse.
 */
import { gunzipSync } from 'node:zlib';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiError } from './errors.ts';

/** Deeper than any snapshot or registry body (a label value sits at depth 5). */
export const MAX_JSON_DEPTH = 64;

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function jsonBody(options: { maxBytes: number }): MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: ({ event }) => {
      const text = bodyText(event, options.maxBytes);
      const contentType = event.headers['content-type'] ?? '';
      if (!JSON_CONTENT_TYPE.test(contentType)) {
        throw apiError(415, 'UnsupportedMediaType', 'Content-Type must be application/json');
      }
      (event as { body: unknown }).body = parseJson(text);
      event.isBase64Encoded = false;
      delete event.headers['content-encoding'];
    },
  };
}

/** The body as text, decoded and inflated; 400 `MissingBody` when there is none. */
function bodyText(event: APIGatewayProxyEventV2, maxBytes: number): string {
  const tooLarge = () => apiError(413, 'PayloadTooLarge', `the body is larger than ${maxBytes} bytes`);
  const missing = () => apiError(400, 'MissingBody', 'this request needs a JSON body');
  const encoding = (event.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw apiError(415, 'UnsupportedContentEncoding', 'Content-Encoding must be gzip or identity');
  }
  const body: unknown = event.body;
  if (body === undefined || body === null || body === '') throw missing();
  // API Gateway always hands over text; serverless-offline hands over a JSON body that parses to
  // a falsy value (`-0`, `false`) already parsed. Back to text, so it is judged like any other.
  const input = typeof body === 'string' ? body : JSON.stringify(body);
  let text: string;
  if (!event.isBase64Encoded && encoding === 'identity') {
    // Already text: measured without copying it, and not at all when its length settles it (UTF-8
    // takes one to three bytes per UTF-16 unit): a 4.4 MB push saves a pass over it.
    const undecided = input.length <= maxBytes && input.length * 3 > maxBytes;
    if (input.length > maxBytes || (undecided && Buffer.byteLength(input, 'utf8') > maxBytes))
      throw tooLarge();
    text = input;
  } else {
    let raw = event.isBase64Encoded ? Buffer.from(input, 'base64') : Buffer.from(input, 'utf8');
    if (encoding === 'gzip') {
      try {
        raw = gunzipSync(raw, { maxOutputLength: maxBytes });
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
        throw apiError(400, 'InvalidEncoding', 'the body is not valid gzip');
      }
    }
    if (raw.length > maxBytes) throw tooLarge();
    try {
      text = strictUtf8.decode(raw);
    } catch {
      throw apiError(400, 'InvalidEncoding', 'the body is not valid UTF-8');
    }
  }
  if (text.trim() === '') throw missing();
  return text;
}

/**
 * The JSON value of `text`: 400 `TooDeep` (before parsing), `MalformedJson` or `DuplicateKey`. One
 * parse. `JSON.parse` makes one property per distinct key of an object, so the value has as many keys
 * as the text exactly when no object repeats one; only when they differ (a refusal) is the text scanned
 * again for which key and where. Counting both costs about two thirds of tracking every object's keys
 * on the way (7 ms against 10 on a 5,000-service push's 4.4 MB), which only bad input needs.
 */
export function parseJson(text: string): unknown {
  const measured = measureJson(text);
  if (measured.tooDeep) {
    throw apiError(400, 'TooDeep', `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw apiError(400, 'MalformedJson', 'the body is not valid JSON');
  }
  const duplicate = keyCount(value) === measured.keys ? undefined : scanJson(text).duplicate;
  if (duplicate !== undefined) {
    const path = duplicate.path.length > 200 ? `${duplicate.path.slice(0, 200)}…` : duplicate.path;
    const where = path === '' ? 'the body' : path;
    throw apiError(400, 'DuplicateKey', `duplicate key ${quote(duplicate.key)} in ${where}`);
  }
  return value;
}

/** A key as it may appear in a message: JSON-quoted, printable ASCII, at most ~100 characters. */
function quote(key: string): string {
  const short = key.length > 100 ? `${key.slice(0, 100)}…` : key;
  return JSON.stringify(short).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

const OBJECT = 1;
const ARRAY = 2;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SMALL_OBJECT_KEYS = 16;

/**
 * One pass over `text`, strings skipped with `indexOf`: whether it nests deeper than `maxDepth` (the
 * same answer as `scanJson`'s, for any text), and how many colons stand outside strings, which in JSON
 * is the number of keys. A loop of its own rather than `scanJson`'s with a flag or a callback: this one
 * runs on every body, that one only on a refusal, and either would cost a check per character here.
 */
function measureJson(text: string, maxDepth = MAX_JSON_DEPTH): { tooDeep: boolean; keys: number } {
  let depth = -1;
  let keys = 0;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (end === -1) break;
      i = end + 1;
      continue;
    }
    if (c === 0x3a /* : */) keys++;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth >= maxDepth) return { tooDeep: true, keys };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth >= 0) depth--;
    }
    i++;
  }
  return { tooDeep: false, keys };
}

/** The own keys of every object in a parsed JSON value (its depth is bounded by the scan before). */
function keyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) count += keyCount(value[i]);
    return count;
  }
  // JSON.parse's objects inherit from Object.prototype, which has no enumerable keys.
  for (const key in value) count += 1 + keyCount((value as Record<string, unknown>)[key]);
  return count;
}

/** The index of the quote that closes the string opening at `start`: the first not escaped; -1 if none. */
function closingQuote(text: string, start: number): number {
  let end = start;
  for (;;) {
    end = text.indexOf('"', end + 1);
    if (end === -1) return -1;
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
}

interface JsonScan {
  /** Nesting deeper than MAX_JSON_DEPTH somewhere (the scan stops there). */
  tooDeep: boolean;
  /** The first key that appears twice in one object, with the path of that object. */
  duplicate?: { key: string; path: string };
}

/**
 * One pass over `text` (strings are skipped with `indexOf`; a short list or a `Set` of keys per nesting
 * level): whether it nests deeper than `maxDepth`, and the first key that appears twice in one object,
 * with the path of that object (`services[3].ports[0]`, `''` for the top level). Keys are compared after
 * unescaping, so `"a"` and `"\u0061"` are the same key, as they are to `JSON.parse`.
 *
 * Exact for valid JSON; on anything else it still ends, in linear time, with an answer that means
 * nothing for duplicates — callers confirm with `JSON.parse` before they act on one. The depth answer
 * holds for any text: brackets outside strings are counted as a parser would meet them.
 */
export function scanJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonScan {
  const kinds: number[] = [];
  // Keys seen per level: a short list for small objects (most are), a Set once an object grows.
  const small: string[][] = [];
  const large: (Set<string> | undefined)[] = [];
  const lastKey: string[] = [];
  const index: number[] = [];
  let duplicate: { key: string; path: string } | undefined;
  let depth = -1;
  let expectKey = false;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      if (end === -1) return duplicate ? { tooDeep: false, duplicate } : { tooDeep: false };
      if (duplicate === undefined && expectKey && depth >= 0 && kinds[depth] === OBJECT) {
        let key: string | undefined = text.slice(i + 1, end);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            // Not JSON: the parse will say so; duplicates mean nothing any more.
            key = undefined;
            duplicate = { key: '', path: '' };
          }
        }
        if (key !== undefined) {
          const set = large[depth];
          if (set !== undefined ? set.has(key) : (small[depth] as string[]).includes(key)) {
            duplicate = { key, path: pathOf(kinds, lastKey, index, depth) };
          } else if (set !== undefined) set.add(key);
          else {
            const list = small[depth] as string[];
            list.push(key);
            if (list.length > SMALL_OBJECT_KEYS) large[depth] = new Set(list);
          }
          lastKey[depth] = key;
        }
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      if (depth >= maxDepth) return { tooDeep: true };
      if (c === 0x7b) {
        kinds[depth] = OBJECT;
        const list = small[depth];
        if (list === undefined) small[depth] = [];
        else list.length = 0;
        large[depth] = undefined;
        expectKey = true;
      } else {
        kinds[depth] = ARRAY;
        index[depth] = 0;
        expectKey = false;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      // Unbalanced: not JSON, but keep counting depth from here.
      if (depth >= 0) depth--;
      expectKey = false;
    } else if (c === 0x2c /* , */ && depth >= 0) {
      if (kinds[depth] === OBJECT) expectKey = true;
      else index[depth] = (index[depth] ?? 0) + 1;
    }
    i++;
  }
  return duplicate ? { tooDeep: false, duplicate } : { tooDeep: false };
}

function pathOf(kinds: number[], lastKey: string[], index: number[], depth: number): string {
  let path = '';
  // Level d's entry (its current key or index) leads to level d + 1; the duplicate is in level `depth`.
  for (let d = 0; d < depth; d++) {
    if (kinds[d] === OBJECT) {
      const key = lastKey[d] ?? '';
      path += /^[A-Za-z_$][\w$]*$/.test(key) ? `${path === '' ? '' : '.'}${key}` : `[${quote(key)}]`;
    } else {
      path += `[${index[d] ?? 0}]`;
    }
  }
  return path;
}
