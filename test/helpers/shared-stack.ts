/**
 * One `npm start` stack for the e2e files that can share it (test/e2e/shared/): they use registry names
 * of their own and look only at those, so they run side by side on it.
 *
 * `npm run test:e2e` (scripts/test-e2e.ts) starts it before any file, on the run's DynamoDB Local, and
 * hands it over in E2E_SHARED_STACK. A file run on its own starts one itself (on a database it owns)
 * and stops it after its tests.
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
 * Where the stacks of the e2e run record AWS actions: one file for every process of the run;
 * `npm run test:e2e` empties it first.
 */
export const RECORDED_ACTIONS_FILE = resolve('node_modules/.cache/aggregate-registry/aws-actions.jsonl');
mkdirSync(dirname(RECORDED_ACTIONS_FILE), { recursive: true });

/** The shared stack's settings (scripts/test-e2e.ts starts it with these). */
export const SHARED_STACK_ENV = {
  LIMIT_BODY_BYTES: String(SHARED_BODY_LIMIT),
  REFRESH_TIMEOUT_MS: String(SHARED_REFRESH_TIMEOUT_MS),
  RECORD_AWS_ACTIONS: RECORDED_ACTIONS_FILE,
};

/** What the run hands to its files: enough to call the stack and read its table. */
export interface SharedStackRef {
  url: string;
  adminToken: string;
  endpoint: string;
  tableName: string;
}
export const SHARED_STACK_VARIABLE = 'E2E_SHARED_STACK';

let shared: Promise<StackWithDb> | undefined;

export function sharedStack(): Promise<StackWithDb> {
  const given = process.env[SHARED_STACK_VARIABLE];
  shared ??= given ? Promise.resolve(borrowed(JSON.parse(given) as SharedStackRef)) : startOwn();
  return shared;
}

function startOwn(): Promise<StackWithDb> {
  return startStackWithDb({ env: SHARED_STACK_ENV });
}

// Registered on the root test while the first file that imports this loads: runs after every file
// (a borrowed stack's stop does nothing).
after(async () => {
  if (shared) await (await shared).stop();
});

/** The run's stack: the run stops it, and its database is not this file's to stop. */
function borrowed(ref: SharedStackRef): StackWithDb {
  const notOurs = async () => {
    throw new Error('the shared stack belongs to the e2e run: start a stack of your own to stop it');
  };
  return {
    stack: {
      url: ref.url,
      adminToken: ref.adminToken,
      tableName: ref.tableName,
      output: () => '',
      stop: notOurs,
    },
    endpoint: ref.endpoint,
    tableName: ref.tableName,
    proxy: undefined,
    stopDb: notOurs,
    restartDb: notOurs,
    stop: async () => {},
  };
}
