import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { negotiateCoding } from '../../functions/query/encoding.ts';

describe('negotiateCoding', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    ['gzip, br', 'br'],
    ['br;q=0.2, gzip;q=0.8', 'gzip'],
    ['*', 'br'],
    ['*;q=0.5, br;q=0', 'gzip'],
    ['gzip;q=0', 'identity'],
    ['deflate', 'identity'],
    ['identity;q=1, gzip;q=0.5', 'identity'],
    ['identity;q=0, gzip;q=0.1', 'gzip'],
    ['gzip;q=abc', 'identity'],
    ['gzip;q=2', 'identity'],
    ['zstd, gzip;q=0.9', 'gzip'],
  ];
  for (const [header, expected] of cases) {
    test(`picks ${expected} for ${JSON.stringify(header)}`, () => {
      assert.equal(negotiateCoding(header), expected);
    });
  }
});
