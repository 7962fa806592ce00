/**
 * Headers, fuzzed in process: a valid registry or snapshot body with the wrong media type or a
 * content encoding other than gzip is refused with 415 and its code, and changes nothing.
 */
// First: the configuration handler modules read when they load.
import '../helpers/handler-env.ts';
import { test } from 'node:test';
import fc from 'fast-check';
import { registryArb, snapshotArb } from '../helpers/fuzz/arbitraries.ts';
import { FUZZ_RUNS } from '../helpers/fuzz/check.ts';
import { mustReject } from '../helpers/fuzz/must-reject.ts';

test('a wrong media type or content encoding is 415 with its code and changes nothing', async () => {
  const caseArb = fc
    .record({
      target: fc.constantFrom('registry', 'snapshot'),
      contentType: fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        'text/json',
      ),
      encoding: fc.constantFrom(undefined, 'br', 'deflate', 'x-gzip', 'compress', 'gzip;q=1'),
      registry: registryArb,
      snapshot: snapshotArb,
    })
    .filter(({ contentType, encoding }) => contentType !== 'application/json' || encoding !== undefined)
    .map(({ target, contentType, encoding, registry, snapshot }) => ({
      what: `headers/${encoding ?? contentType}`,
      request: {
        method: 'PUT',
        path: target === 'registry' ? '/registries/fz-new' : '/registries/fz-one/snapshot',
        body: Buffer.from(JSON.stringify(target === 'registry' ? registry : snapshot)),
        headers: { 'content-type': contentType, ...(encoding ? { 'content-encoding': encoding } : {}) },
      },
      code: encoding ? 'UnsupportedContentEncoding' : 'UnsupportedMediaType',
    }));
  await mustReject('wrong headers', caseArb, Math.round(FUZZ_RUNS / 10));
});
