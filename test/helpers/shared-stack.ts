/**
 * One `npm start` stack for the e2e files that can share it (test/e2e/shared/, run in one process:
 * `--experimental-test-isolation=none`), on a DynamoDB Local the tests own so they can read the table
 * directly. Started by the first file that asks, stopped after the last test. Files sharing it use
 * registry names of their own and look only at those.
 *
 * It records every AWS action each function performs (RECORD_AWS_ACTIONS), for the IAM test.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after } from 'node:test';
import { type StackWithDb, startStackWithDb } from './stack-with-db.ts';

/** Small, so that "too large" is cheap to send; the real default is 32 MiB. */
export const SHARED_BODY_LIMIT = 1_000_000;
export const SHARED_REFRESH_TIMEOUT_MS = 1_500;
/**
 * Where the stacks of the e2e run record AWS actions: one file for every process of the run (the
 * faults file runs in its own process, before the shared group); `npm run test:e2e` empties it first.
 */
export const RECORDED_ACTIONS_FILE = resolve('node_modules/.cache/aggregate-registry/aws-actions.jsonl');
mkdirSync(dirname(RECORDED_ACTIONS_FILE), { recursive: true });

let shared: Promise<StackWithDb> | undefined;

export function sharedStack(): Promise<StackWithDb> {
  shared ??= startStackWithDb({
    env: {
      LIMIT_BODY_BYTES: String(SHARED_BODY_LIMIT),
      REFRESH_TIMEOUT_MS: String(SHARED_REFRESH_TIMEOUT_MS),
      RECORD_AWS_ACTIONS: RECORDED_ACTIONS_FILE,
    },
  });
  return shared;
}

// Registered on the root test while the first file that imports this loads: runs after every file.
after(async () => {
  if (shared) await (await shared).stop();
});
