/**
 * The `npm start` stacks that e2e files share: `api` for test/e2e/shared/ (the API's flows, contract,
 * fuzzing, paging), `consumers` for test/e2e/consumers/ (the README walkthrough, the dashboard,
 * Prometheus, the change feed). The files of one stack take it one at a time, each starting from an
 * empty stack (`sharedStack()` deletes every registry first), so a file that reads the whole view sees
 * only its own registries, as on a stack of its own.
 *
 * `npm run test:e2e` (scripts/test-e2e.ts) starts them before any file, on the run's DynamoDB Local,
 * and hands them over in E2E_SHARED_STACKS. A file run on its own starts its stack itself (on a
 * database it owns) and stops it after its tests.
 *
 * It records every AWS action each function performs (RECORD_AWS_ACTIONS), for the IAM test.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after } from 'node:test';
import { callApi } from './api.ts';
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

/** The reader token of the shared stack. */
export const SHARED_READER_TOKEN = 'shared-stack-reader-token';

/** The shared stack's settings (scripts/test-e2e.ts starts it with these). */
export const SHARED_STACK_ENV = {
  READER_TOKEN: SHARED_READER_TOKEN,
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
export const SHARED_STACKS_VARIABLE = 'E2E_SHARED_STACKS';
/** The stacks whose files take them one at a time, each from an empty stack (a folder each). */
export const QUEUED_STACKS = ['api', 'consumers'] as const;
/**
 * Stacks of one file each, which the run starts with the others (beside the other layers, under
 * `npm test`) so that the file does not boot one when its turn comes: the file they serve.
 */
export const OWN_FILE_STACKS = { cli: 'cli.test.ts', load: 'concurrency.test.ts' } as const;
export const SHARED_STACK_NAMES = [
  ...QUEUED_STACKS,
  ...(Object.keys(OWN_FILE_STACKS) as (keyof typeof OWN_FILE_STACKS)[]),
];
export type SharedStackName = (typeof QUEUED_STACKS)[number] | keyof typeof OWN_FILE_STACKS;

let shared: Promise<StackWithDb> | undefined;

/** The shared stack `name`, emptied of the registries an earlier file left. */
export async function sharedStack(name: SharedStackName = 'api'): Promise<StackWithDb> {
  const given = process.env[SHARED_STACKS_VARIABLE];
  const ref = given
    ? (JSON.parse(given) as Partial<Record<SharedStackName, SharedStackRef>>)[name]
    : undefined;
  shared ??= ref ? Promise.resolve(borrowed(ref)) : startOwn();
  const env = await shared;
  await deleteEveryRegistry(env.stack.url, env.stack.adminToken);
  return env;
}

async function deleteEveryRegistry(url: string, adminToken: string): Promise<void> {
  const call = async (method: string, path: string) => {
    const reply = await callApi(url, method, path, { token: adminToken });
    if (reply.status >= 300)
      throw new Error(
        `emptying the shared stack: ${method} ${path} ${reply.status} ${JSON.stringify(reply.body)}`,
      );
    return reply.body;
  };
  const { registries } = (await call('GET', '/registries')) as { registries: { name: string }[] };
  for (const { name } of registries) await call('DELETE', `/registries/${encodeURIComponent(name)}`);
}

function startOwn(): Promise<StackWithDb> {
  return startStackWithDb({ env: SHARED_STACK_ENV });
}

// Registered on the root test while the first file that imports this loads: runs after every file
// (a borrowed stack's stop does nothing).
after(async () => {
  if (shared) await (await shared).stop();
});

/** The run's stack: the run stops it. */
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
    stop: async () => {},
  };
}
