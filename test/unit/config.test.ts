/** The refresh configuration: '' means the default, a bad value is a start-up error naming the variable. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_DENY_CIDRS, refreshConfigFrom } from '#lib/config.ts';
import { refreshIntervalSeconds } from '#lib/refresh-schedule.ts';

describe('refreshConfigFrom', () => {
  test('unset and empty variables give the defaults', () => {
    const expected = {
      concurrency: 8,
      timeoutMs: 10_000,
      reserveMs: 15_000,
      backoffMaxSeconds: 900,
      denyCidrs: DEFAULT_DENY_CIDRS,
      stage: 'dev',
    };
    assert.deepEqual(refreshConfigFrom({}), expected);
    assert.deepEqual(
      refreshConfigFrom({
        REFRESH_CONCURRENCY: '',
        REFRESH_TIMEOUT_MS: '',
        REFRESH_RESERVE_MS: ' ',
        SOURCE_DENY_CIDRS: '',
        STAGE: '',
      }),
      expected,
    );
  });

  test('the default deny list includes IPv6 link-local', () => {
    assert.ok(DEFAULT_DENY_CIDRS.includes('fe80::/10'));
    assert.ok(DEFAULT_DENY_CIDRS.includes('169.254.0.0/16'));
  });

  test('values are read, and the reserve follows the timeout unless given', () => {
    const config = refreshConfigFrom({
      REFRESH_CONCURRENCY: '3',
      REFRESH_TIMEOUT_MS: '2000',
      SOURCE_DENY_CIDRS: '10.0.0.0/8, fe80::/10',
      STAGE: 'prod',
    });
    assert.deepEqual(
      [config.concurrency, config.timeoutMs, config.reserveMs, config.denyCidrs, config.stage],
      [3, 2000, 7000, ['10.0.0.0/8', 'fe80::/10'], 'prod'],
    );
  });

  for (const [name, value] of [
    ['REFRESH_CONCURRENCY', 'eight'],
    ['REFRESH_CONCURRENCY', '0'],
    ['REFRESH_CONCURRENCY', '2.5'],
    ['REFRESH_TIMEOUT_MS', '-1'],
    ['REFRESH_TIMEOUT_MS', '1e4'],
    ['REFRESH_BACKOFF_MAX_SECONDS', 'soon'],
    ['SOURCE_DENY_CIDRS', '169.254.0.0'],
    ['STAGE', 'prod/x'],
  ] as const) {
    test(`${name}="${value}" is a start-up error naming ${name}`, () => {
      assert.throws(() => refreshConfigFrom({ [name]: value }), new RegExp(`^Error: ${name}`));
    });
  }
});

describe('back-off', () => {
  test('doubles the wait per failure after the first, capped, never below the period', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 10].map((failures) => refreshIntervalSeconds(60, failures, 900)),
      [60, 60, 120, 240, 480, 900, 900],
    );
    assert.equal(refreshIntervalSeconds(3600, 5, 900), 3600);
  });
});
