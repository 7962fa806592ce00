/**
 * Body decoding, fuzzed in process: stale snapshots in every encoding (gzip, truncated gzip, invalid
 * UTF-8 plain, identity or inside gzip) and media type, and bodies over the limit, plain or as gzip
 * bombs. Each must be refused (with its exact code when only one is right) and change nothing.
 */
// First: the configuration handler modules read when they load.
import '../helpers/handler-env.ts';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  contentTypeArb,
  encode,
  encodingArb,
  expectedCode,
  staleSnapshotArb,
} from '../helpers/fuzz/arbitraries.ts';
import { FUZZ_RUNS } from '../helpers/fuzz/check.ts';
import { JSON_TYPE, SEEDED } from '../helpers/fuzz/in-process.ts';
import { mustReject } from '../helpers/fuzz/must-reject.ts';
import { BODY_LIMIT } from '../helpers/handler-env.ts';

test('stale snapshots in any encoding and media type are refused and change nothing', async () => {
  const caseArb = fc
    .record({
      registry: fc.constantFrom(...SEEDED, 'nope', '%66z-one'),
      body: staleSnapshotArb,
      encoding: encodingArb,
      contentType: contentTypeArb,
    })
    .map(({ registry, body, encoding, contentType }) => {
      const encoded = encode(JSON.stringify(body), encoding);
      return {
        what: `snapshot/stale/${encoding.kind}`,
        request: {
          method: 'PUT',
          path: `/registries/${registry}/snapshot`,
          body: encoded.body,
          headers: { 'content-type': contentType, ...encoded.headers },
        },
        code: expectedCode('stale', encoding.kind, contentType),
      };
    });
  await mustReject('stale snapshots, any encoding', caseArb, Math.round(FUZZ_RUNS / 4));
});

test('bodies over the limit, plain or gzip bombs, are 413 and change nothing', async () => {
  // Five distinct bodies: build (and gzip) each once, not once per run (a 100× bomb is 100 MB to deflate).
  const bodies = new Map<string, Buffer>();
  const body = (bomb: boolean, size: number) => {
    const key = `${bomb} ${size}`;
    let built = bodies.get(key);
    if (!built) {
      built = bomb
        ? gzipSync(Buffer.alloc(size, 0x20))
        : Buffer.from(`{"description":"${'x'.repeat(size)}"}`);
      bodies.set(key, built);
    }
    return built;
  };
  const caseArb = fc
    .record({
      bomb: fc.boolean(),
      factor: fc.nat(),
      target: fc.constantFrom('/registries/fz-new', '/registries/fz-one/snapshot'),
    })
    .map(({ bomb, factor, target }) => {
      // A bomb inflates to 1–100 times the limit; a plain body is just over it (bytes are sent).
      const times = (bomb ? [1.01, 8, 100][factor % 3] : [1.01, 1.5][factor % 2]) ?? 2;
      const size = Math.ceil(BODY_LIMIT * times);
      return {
        what: bomb ? 'gzip bomb' : 'too large',
        request: {
          method: 'PUT',
          path: target,
          body: body(bomb, size),
          headers: { ...JSON_TYPE, ...(bomb ? { 'content-encoding': 'gzip' } : {}) },
        },
        code: 'PayloadTooLarge',
      };
    });
  await mustReject('too large', caseArb, Math.round(FUZZ_RUNS / 20));
});
