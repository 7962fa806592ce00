import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyRetentionSeconds } from '#store/client.ts';

test('HISTORY_RETENTION_SECONDS unset or empty means one hour', () => {
  assert.deepEqual(
    [historyRetentionSeconds({}), historyRetentionSeconds({ HISTORY_RETENTION_SECONDS: '' })],
    [3600, 3600],
  );
});

test('HISTORY_RETENTION_SECONDS takes a positive number of seconds', () => {
  assert.equal(historyRetentionSeconds({ HISTORY_RETENTION_SECONDS: '120' }), 120);
});

test('a HISTORY_RETENTION_SECONDS that is not a positive integer is an error naming it', () => {
  for (const raw of ['abc', '0', '-5', '1.5', ' 60']) {
    assert.throws(
      () => historyRetentionSeconds({ HISTORY_RETENTION_SECONDS: raw }),
      /HISTORY_RETENTION_SECONDS/,
      raw,
    );
  }
});
