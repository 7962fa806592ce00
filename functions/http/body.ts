/**
 * Request body decoding before JSON parsing: base64 (API Gateway's binary bodies) and
 * `Content-Encoding: gzip`, with a limit on the inflated size, so a gzip bomb is a 413, not an OOM.
 * Bytes that arrive as bytes (base64 or gzip) must be valid UTF-8, and a JSON body must not repeat a
 * key within one object: `JSON.parse` keeps the last one silently, so `{"generation": 1, ...,
 * "generation": 9}` would mean something else to every other JSON reader.
 */
import { gunzipSync } from 'node:zlib';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiError } from './errors.ts';

/** The content types @middy/http-json-body-parser parses; others get its 415. */
const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeBody(options: { maxBytes: number }): MiddlewareObj<APIGatewayProxyEventV2> {
  const tooLarge = () =>
    apiError(413, 'PayloadTooLarge', `the body is larger than ${options.maxBytes} bytes`);
  return {
    before: ({ event }) => {
      const body: unknown = event.body;
      if (body === undefined || body === null) return;
      // API Gateway always hands over text; serverless-offline hands over a JSON body that parses to
      // a falsy value (`-0`, `false`) already parsed. Back to text, so it is judged like any other.
      const input = typeof body === 'string' ? body : JSON.stringify(body);
      const encoding = (event.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (encoding !== 'gzip' && encoding !== 'identity') {
        throw apiError(415, 'UnsupportedContentEncoding', 'Content-Encoding must be gzip or identity');
      }
      let text: string;
      if (!event.isBase64Encoded && encoding === 'identity') {
        // Already text: measure it without copying it.
        if (Buffer.byteLength(input, 'utf8') > options.maxBytes) throw tooLarge();
        text = input;
      } else {
        let raw = event.isBase64Encoded ? Buffer.from(input, 'base64') : Buffer.from(input, 'utf8');
        if (encoding === 'gzip') {
          try {
            raw = gunzipSync(raw, { maxOutputLength: options.maxBytes });
          } catch (error) {
            if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
            throw apiError(400, 'InvalidEncoding', 'the body is not valid gzip');
          }
        }
        if (raw.length > options.maxBytes) throw tooLarge();
        try {
          text = strictUtf8.decode(raw);
        } catch {
          throw apiError(400, 'InvalidEncoding', 'the body is not valid UTF-8');
        }
      }
      if (JSON_CONTENT_TYPE.test(event.headers['content-type'] ?? '')) rejectDuplicateKeys(text);
      event.body = text;
      event.isBase64Encoded = false;
      delete event.headers['content-encoding'];
    },
  };
}

/**
 * Throws 400 `DuplicateKey` when `text` is valid JSON with a key twice in one object. Invalid JSON
 * passes through untouched: the JSON parser after this middleware answers it as `MalformedJson`.
 */
export function rejectDuplicateKeys(text: string): void {
  const duplicate = findDuplicateKey(text);
  if (duplicate === undefined || !isJson(text)) return;
  const path = duplicate.path.length > 200 ? `${duplicate.path.slice(0, 200)}…` : duplicate.path;
  const where = path === '' ? 'the body' : path;
  throw apiError(400, 'DuplicateKey', `duplicate key ${quote(duplicate.key)} in ${where}`);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
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
 * The first key that appears twice in one object of `text`, with the path of that object
 * (`services[3].ports[0]`, `''` for the top level). Keys are compared after unescaping, so `"a"` and
 * `"\u0061"` are the same key, as they are to `JSON.parse`.
 *
 * One pass over the text (strings are skipped with `indexOf`), a short list or a `Set` of keys per nesting level. Exact for
 * valid JSON; on anything else it still ends, in linear time, with an answer that means nothing —
 * callers confirm with `JSON.parse` before they act on it.
 */
export function findDuplicateKey(text: string): { key: string; path: string } | undefined {
  const kinds: number[] = [];
  // Keys seen per level: a short list for small objects (most are), a Set once an object grows.
  const small: string[][] = [];
  const large: (Set<string> | undefined)[] = [];
  const lastKey: string[] = [];
  const index: number[] = [];
  let depth = -1;
  let expectKey = false;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // The closing quote is the first one preceded by an even number of backslashes.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end === -1) return undefined;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      if (expectKey && depth >= 0 && kinds[depth] === OBJECT) {
        let key = text.slice(i + 1, end);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return undefined;
          }
        }
        const set = large[depth];
        if (set !== undefined ? set.has(key) : (small[depth] as string[]).includes(key)) {
          return { key, path: pathOf(kinds, lastKey, index, depth) };
        }
        if (set !== undefined) set.add(key);
        else {
          const list = small[depth] as string[];
          list.push(key);
          if (list.length > SMALL_OBJECT_KEYS) large[depth] = new Set(list);
        }
        lastKey[depth] = key;
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      depth++;
      kinds[depth] = OBJECT;
      const list = small[depth];
      if (list === undefined) small[depth] = [];
      else list.length = 0;
      large[depth] = undefined;
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      depth++;
      kinds[depth] = ARRAY;
      index[depth] = 0;
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth < 0) return undefined;
      depth--;
      expectKey = false;
    } else if (c === 0x2c /* , */ && depth >= 0) {
      if (kinds[depth] === OBJECT) expectKey = true;
      else index[depth] = (index[depth] ?? 0) + 1;
    }
    i++;
  }
  return undefined;
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
