/**
 * Request bodies from bytes to a JSON value (functions/http/body.ts), in process: the one-pass scan
 * (nesting limit, duplicate keys), one parse per body, `__proto__`, empty bodies. (The cost on a 30 MB
 * body: test/handlers/large-body.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { jsonBody, MAX_JSON_DEPTH, parseJson, scanJson } from '#http/body.ts';
import { ApiError } from '#http/errors.ts';
import { FUZZ_SEED } from '../helpers/fuzz/check.ts';
import {
  Arr,
  escapedSpelling,
  Obj,
  referenceDuplicate,
  serialize,
  type Tree,
} from '../helpers/fuzz/json-tree.ts';

const LIMIT = 32 * 1024 * 1024;

/** Runs the body middleware on an event as API Gateway hands it over; the error it throws, if any. */
function decode(
  body: string | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  isBase64Encoded = false,
  maxBytes = LIMIT,
) {
  const event = { headers: { ...headers }, isBase64Encoded, ...(body === undefined ? {} : { body }) };
  const started = performance.now();
  try {
    jsonBody({ maxBytes }).before?.({ event } as never);
    return { body: (event as { body?: unknown }).body, ms: performance.now() - started };
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    return { error, ms: performance.now() - started };
  }
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('size limit', () => {
  const JSON_TYPE = { 'content-type': 'application/json' };
  test('a text body counts in UTF-8 bytes, not characters', () => {
    // 10 characters, 18 bytes: "é" is two bytes, "€" three.
    const body = '"éé€€€aaa"';
    assert.equal(Buffer.byteLength(body), 18);
    assert.equal(decode(body, JSON_TYPE, false, 30).body, 'éé€€€aaa');
    assert.equal(decode(body, JSON_TYPE, false, 18).body, 'éé€€€aaa');
    assert.equal(decode(body, JSON_TYPE, false, 17).error?.code, 'PayloadTooLarge');
    assert.equal(decode(body, JSON_TYPE, false, 10).error?.code, 'PayloadTooLarge');
  });
  test('an ASCII body of exactly the limit passes, one byte more does not', () => {
    assert.equal(decode('"abcdefgh"', JSON_TYPE, false, 10).body, 'abcdefgh');
    assert.equal(decode('"abcdefghi"', JSON_TYPE, false, 10).error?.code, 'PayloadTooLarge');
  });
});

describe('nesting limit', () => {
  test(`nesting of exactly ${MAX_JSON_DEPTH} levels is parsed`, () => {
    assert.deepEqual(decode(nested(MAX_JSON_DEPTH)).error, undefined);
    assert.deepEqual(decode(nestedObjects(MAX_JSON_DEPTH)).error, undefined);
  });

  test(`nesting of ${MAX_JSON_DEPTH + 1} levels is 400 TooDeep, arrays or objects`, () => {
    for (const text of [nested(MAX_JSON_DEPTH + 1), nestedObjects(MAX_JSON_DEPTH + 1)]) {
      const { error } = decode(text);
      assert.equal(error?.status, 400);
      assert.equal(error?.code, 'TooDeep');
    }
  });

  test('32 KB of gzip inflating to 16 Mi brackets is refused as TooDeep in milliseconds', () => {
    const depth = 8 * 1024 * 1024;
    const zipped = gzipSync(nested(depth), { level: 9 });
    const { error, ms } = decode(
      zipped.toString('base64'),
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      true,
    );
    assert.ok(zipped.length < 64 * 1024, `${zipped.length} bytes of gzip`);
    assert.equal(error?.code, 'TooDeep');
    assert.ok(ms < 1_000, `${Math.round(ms)} ms`);
  });

  test('brackets inside strings do not count', () => {
    const text = JSON.stringify({ description: '['.repeat(10_000) });
    assert.equal(scanJson(text).tooDeep, false);
    assert.equal(decode(text).error, undefined);
  });

  test('unbalanced brackets deeper than the limit are TooDeep, not a parse', () => {
    assert.equal(decode('['.repeat(MAX_JSON_DEPTH + 1)).error?.code, 'TooDeep');
    assert.equal(decode('['.repeat(MAX_JSON_DEPTH)).error?.code, 'MalformedJson');
  });
});

describe('parsing', () => {
  test('a body is parsed exactly once', () => {
    const original = JSON.parse;
    const parsed: string[] = [];
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
      parsed.push(args[0]);
      return original(...args);
    }) as typeof JSON.parse;
    const bodies = [
      JSON.stringify({ services: [{ hostname: 'a.example.com', labels: { 'a\\"b': 'x' } }] }),
      '{"a":1,"a":2}',
      '{"b":{"a\\u0022":1,"a\\"":2}}',
    ];
    try {
      for (const body of bodies) decode(body);
    } finally {
      JSON.parse = original;
    }
    // Besides each body once, only the escaped key of the body refused for it (the scan that names a
    // duplicate decodes escaped keys one by one; a body without one is never scanned for it).
    assert.deepEqual(parsed, [...bodies, '"a\\u0022"', '"a\\""']);
  });

  test('a __proto__ key is an ordinary own property, not MalformedJson, and sets no prototype', () => {
    const { body, error } = decode('{"__proto__":{"polluted":true},"services":[]}');
    assert.equal(error, undefined);
    const value = body as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.ok(Object.hasOwn(value, '__proto__'));
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  test('text that is not JSON is 400 MalformedJson', () => {
    for (const text of ['{"services": [', 'nope', '{"a":1,}', "{'a':1}"]) {
      assert.equal(decode(text).error?.code, 'MalformedJson', text);
    }
  });

  test('a duplicate key in invalid JSON is MalformedJson: the parse decides', () => {
    assert.equal(decode('{"a":1,"a":2').error?.code, 'MalformedJson');
  });
});

describe('empty bodies', () => {
  test('no body, an empty one, a blank one, an empty gzip: 400 MissingBody', () => {
    const gzip = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const cases = [
      decode(undefined),
      decode(''),
      decode(' \n\t'),
      decode(gzipSync('').toString('base64'), gzip, true),
      decode(gzipSync('  ').toString('base64'), gzip, true),
    ];
    for (const { error } of cases) {
      assert.equal(error?.status, 400);
      assert.equal(error?.code, 'MissingBody');
      assert.doesNotMatch(error?.message ?? '', /null/);
    }
  });
});

describe('duplicate keys', () => {
  test('agree with a reference on random JSON with repeated keys', () => {
    // Few distinct keys, so duplicates are common; some need escaping, some are written escaped.
    const keyArb = fc.constantFrom('a', 'b', 'é', 'a"b', 'a\\', '', '\u2028', '𝒳');
    const { tree } = fc.letrec<{ tree: Tree }>((recurse) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null)),
        fc.array(recurse('tree'), { maxLength: 4 }).map((items) => new Arr(items)),
        fc
          .array(fc.tuple(keyArb, fc.boolean(), recurse('tree')), { maxLength: 4 })
          .map(
            (entries) =>
              new Obj(entries.map(([key, escaped, value]) => [escaped ? escapedSpelling(key) : key, value])),
          ),
      ),
    }));
    let withDuplicates = 0;
    fc.assert(
      fc.property(tree, fc.boolean(), (value, spaced) => {
        const text = serialize(value, spaced ? ' \n ' : '');
        const expected = referenceDuplicate(value, '');
        if (expected) withDuplicates++;
        assert.deepEqual(scanJson(text).duplicate, expected, text);
      }),
      { numRuns: 2000, seed: FUZZ_SEED },
    );
    console.log(
      `# duplicate-key scanner vs reference: 2000 random JSON texts (${withDuplicates} with a duplicate) agree`,
    );
  });

  test('agree with the reference in objects past the small-object size, some keys escaped', () => {
    // Many distinct keys and large objects: the scanner keeps a small object's keys in a list and
    // switches to a Set past 16 keys; some keys are written escaped.
    const keyArb = fc.oneof(
      fc.integer({ min: 0, max: 60 }).map((n) => `k${n}`),
      fc.constantFrom('k1', 'é', 'a"b', ''),
    );
    const objectArb = fc
      .array(fc.tuple(keyArb, fc.integer({ min: 0, max: 40 }), fc.integer()), { maxLength: 40 })
      .map(
        (entries) =>
          new Obj(
            entries.map(([key, spelling, value]) => [spelling === 0 ? escapedSpelling(key) : key, value]),
          ),
      );
    const tree = fc.array(objectArb, { maxLength: 3 }).map((items) => new Arr(items));
    fc.assert(
      fc.property(tree, (value) => {
        const text = serialize(value);
        assert.deepEqual(scanJson(text).duplicate, referenceDuplicate(value, ''), text);
      }),
      { numRuns: 1000, seed: FUZZ_SEED },
    );
  });

  test('are refused by the parse exactly when the reference finds one, and never otherwise', () => {
    // parseJson compares the keys in the text with the parsed value's and scans only on a difference.
    const keyArb = fc.constantFrom('a', 'b', 'é', 'a"b', 'a\\', '', '__proto__', '𝒳');
    const { tree } = fc.letrec<{ tree: Tree }>((recurse) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(':'), fc.constant(null)),
        fc.array(recurse('tree'), { maxLength: 4 }).map((items) => new Arr(items)),
        fc
          .array(fc.tuple(keyArb, fc.boolean(), recurse('tree')), { maxLength: 4 })
          .map(
            (entries) =>
              new Obj(entries.map(([key, escaped, value]) => [escaped ? escapedSpelling(key) : key, value])),
          ),
      ),
    }));
    fc.assert(
      fc.property(tree, fc.boolean(), (value, spaced) => {
        const text = serialize(value, spaced ? ' \n ' : '');
        const expected = referenceDuplicate(value, '');
        let code: string | undefined;
        try {
          assert.deepEqual(parseJson(text), JSON.parse(text));
        } catch (error) {
          code = (error as ApiError).code;
        }
        assert.equal(code, expected ? 'DuplicateKey' : undefined, text);
      }),
      { numRuns: 2000, seed: FUZZ_SEED },
    );
  });

  test('are named with their key and the path of their object', () => {
    assert.throws(
      () => parseJson('{"services":[{"labels":{"app":"a","app":"b"}}]}'),
      (error: ApiError) =>
        error.code === 'DuplicateKey' && error.message === 'duplicate key "app" in services[0].labels',
    );
  });
});
