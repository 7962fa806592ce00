import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toApiError } from '#http/errors.ts';
import { GenerationLimitError, SettingsTooLargeError } from '#store/errors.ts';

/** Status, code, and whether the answer carries the error's own message (raw or JSON-escaped). */
const mapped = (error: Error) => {
  const api = toApiError(error);
  const text = api?.message ?? '';
  const says = text.includes(error.message) || text.includes(JSON.stringify(error.message).slice(1, -1));
  return { status: api?.status, code: api?.code, says };
};

test('a registry at the largest generation is a 409 GenerationLimit that says so', () => {
  assert.deepEqual(mapped(new GenerationLimitError('a', Number.MAX_SAFE_INTEGER)), {
    status: 409,
    code: 'GenerationLimit',
    says: true,
  });
});

test('settings too large for one stored item are a 413 PayloadTooLarge', () => {
  assert.deepEqual(mapped(new SettingsTooLargeError('a', 500_000, 389_120)), {
    status: 413,
    code: 'PayloadTooLarge',
    says: true,
  });
});
