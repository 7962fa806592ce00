/**
 * Schemas, fuzzed in process: valid snapshots and registries mutated (wrong types, numbers no field
 * accepts, deep nesting, unknown fields, duplicate keys), in any encoding and media type. Each must be
 * refused (with its exact code when only one is right) and change nothing.
 */
// First: the configuration handler modules read when they load.
import '../helpers/handler-env.ts';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  contentTypeArb,
  encode,
  encodingArb,
  expectedCode,
  mutate,
  mutationArb,
  registryArb,
  staleSnapshotArb,
} from '../helpers/fuzz/arbitraries.ts';
import { FUZZ_RUNS } from '../helpers/fuzz/check.ts';
import { SEEDED } from '../helpers/fuzz/in-process.ts';
import { mustReject } from '../helpers/fuzz/must-reject.ts';

test('mutated snapshots are refused and change nothing', async () => {
  const caseArb = fc
    .record({
      registry: fc.constantFrom(...SEEDED, 'nope', '%66z-one'),
      body: staleSnapshotArb,
      mutation: mutationArb,
      encoding: encodingArb,
      contentType: contentTypeArb,
    })
    .map(({ registry, body, mutation, encoding, contentType }) => {
      const { text, what } = mutate(body, mutation);
      const encoded = encode(text, encoding);
      return {
        what: `snapshot/${what}/${encoding.kind}`,
        request: {
          method: 'PUT',
          path: `/registries/${registry}/snapshot`,
          body: encoded.body,
          headers: { 'content-type': contentType, ...encoded.headers },
        },
        code: expectedCode(what, encoding.kind, contentType),
      };
    });
  await mustReject('mutated snapshots', caseArb, Math.round(FUZZ_RUNS / 4));
});

test('mutated registry bodies are refused and change nothing', async () => {
  const caseArb = fc
    .record({
      name: fc.constantFrom(...SEEDED, 'fz-new', 'fz-other'),
      body: registryArb,
      mutation: mutationArb,
      // Never an encoding that could turn the body valid again.
      encoding: encodingArb.filter((e) => e.kind !== 'badUtf8Plain'),
      contentType: contentTypeArb,
    })
    .map(({ name, body, mutation, encoding, contentType }) => {
      const { text, what } = mutate(body, mutation);
      const encoded = encode(text, encoding);
      return {
        what: `registry/${what}/${encoding.kind}`,
        request: {
          method: 'PUT',
          path: `/registries/${name}`,
          body: encoded.body,
          headers: { 'content-type': contentType, ...encoded.headers },
        },
        code: expectedCode(what, encoding.kind, contentType),
      };
    });
  await mustReject('mutated registries', caseArb, Math.round(FUZZ_RUNS / 4));
});
