/**
 * The checks the read routes make by hand (so that their cold start loads no schema library) against
 * the zod schemas they replaced: the same inputs accepted, with the same result.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { parseHostname } from '#lib/names.ts';
import { hostname } from '#lib/schemas.ts';
import { pagingParams } from '../../functions/query/endpoint-cursor.ts';
import { fuzzRuns } from '../helpers/merge-arbitraries.ts';

const NUM_RUNS = fuzzRuns() * 5;

/** The endpoint cursor's wire form as it was validated before. */
const cursorSchema = z.strictObject({
  e: z.string().min(1).max(64),
  r: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  o: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  q: z.string().length(16),
});

const hostnameish = fc.oneof(
  fc.stringMatching(/^[-*._A-Za-z0-9]{0,12}(\.[-A-Za-z0-9_]{0,70}){0,5}\.?$/),
  // Valid names around the 253-character bound (a '.' after every 63 letters, a trailing one too).
  fc
    .integer({ min: 248, max: 258 })
    .map((length) => Array.from({ length }, (_, i) => (i % 64 === 63 ? '.' : 'A')).join('')),
);
const numberish = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1.5, -0, 1e300),
  fc.string({ maxLength: 2 }),
);
const stringish = fc.oneof(
  fc.string({ minLength: 0, maxLength: 70 }),
  fc.string({ minLength: 15, maxLength: 17 }),
  fc.integer(),
);
const cursorish = fc.oneof(
  fc.record(
    { e: stringish, r: numberish, o: numberish, q: stringish, x: fc.constant(1), __proto__: fc.constant(2) },
    { requiredKeys: [] },
  ),
  fc.record({ e: stringish, r: numberish, o: numberish, q: stringish }),
  fc.jsonValue(),
);

function accepted(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (error) {
    return { refused: (error as { code?: string }).code };
  }
}

describe('hand-written checks', () => {
  test('parseHostname accepts and normalises exactly what the hostname schema does', () => {
    fc.assert(
      fc.property(fc.oneof(hostnameish, fc.string({ maxLength: 300 })), (raw) => {
        const expected = hostname.safeParse(raw);
        assert.equal(parseHostname(raw), expected.success ? expected.data : undefined, raw);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('an endpoint cursor is taken exactly when the former schema took its wire form', () => {
    fc.assert(
      fc.property(cursorish, (wire) => {
        // Prepare
        const raw = Buffer.from(JSON.stringify(wire) ?? '').toString('base64url');
        const expected = cursorSchema.safeParse(JSON.parse(JSON.stringify(wire) ?? 'null'));

        // Act
        const result = accepted(() => pagingParams({ cursor: raw }).cursor);

        // Assess
        if (raw.length > 512) return;
        assert.deepEqual(
          result,
          expected.success
            ? {
                ok: {
                  epoch: expected.data.e,
                  revision: expected.data.r,
                  offset: expected.data.o,
                  question: expected.data.q,
                },
              }
            : { refused: 'InvalidCursor' },
          JSON.stringify(wire),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
