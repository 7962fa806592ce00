/**
 * `npm run test:e2e`: the e2e files over `npm start` stacks, side by side.
 *
 * Starting a stack is the slow part (Java, the Serverless Framework, esbuild), so the run pays for it
 * once where it can: one DynamoDB Local for every stack (TEST_DYNAMODB_ENDPOINT when `npm test` already
 * started one), one build of the bundles (made by the shared stack, reused by every other stack), and
 * one shared stack for the files in test/e2e/shared/. Files that read the whole view (the README
 * walkthrough, the CLI's status, the dashboard, Prometheus, the change feed's long-poll) still get a
 * stack of their own, on a table of their own. The fault test brings its own database, which it stops.
 * test/e2e/after/ (the IAM check over the actions every stack recorded) runs once the rest has finished.
 */
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { type DynamoDbLocal, startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import { type LocalStack, RUN_BUNDLES, RUN_DATABASE, startLocalStack } from '../test/helpers/local-stack.ts';
import {
  RECORDED_ACTIONS_FILE,
  SHARED_STACK_ENV,
  SHARED_STACK_VARIABLE,
  type SharedStackRef,
} from '../test/helpers/shared-stack.ts';

/** Files at once: most of an e2e file's time is waiting (stacks, Prometheus, the browser, long-polls). */
const CONCURRENCY = Number(process.env.E2E_CONCURRENCY ?? 4);
const BUNDLES = `.esbuild/e2e-${process.pid}`;

/**
 * The files in the order to start them: the runner starts them in the order given, and the longest
 * (a measured order, roughly) should not start last. Files not listed follow, in name order.
 */
const SLOWEST = ['cli', 'faults', 'concurrency', 'readme', 'dashboard', 'changes', 'prometheus'];
function longestFirst(folder: string): string[] {
  const files = readdirSync(folder).filter((file) => file.endsWith('.test.ts'));
  const rank = (file: string) => {
    const at = SLOWEST.indexOf(file.replace(/\.test\.ts$/, ''));
    return at === -1 ? SLOWEST.length : at;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((file) => `${folder}/${file}`);
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...args], { stdio: 'inherit', env });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

rmSync(RECORDED_ACTIONS_FILE, { force: true });
let database: DynamoDbLocal | undefined;
let shared: LocalStack | undefined;
let code = 1;
const cleanUp = async () => {
  await shared?.stop().catch(() => {});
  await database?.stop();
  rmSync(BUNDLES, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanUp().then(() => process.exit(143)));
try {
  const started = performance.now();
  const given = process.env[RUN_DATABASE];
  if (!given) database = await startDynamoDbLocal();
  const endpoint = given || (database as DynamoDbLocal).endpoint;
  shared = await startLocalStack({
    ...SHARED_STACK_ENV,
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: 'e2e-shared',
    ESBUILD_WORK_FOLDER: BUNDLES,
  });
  console.log(`# shared stack up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const ref: SharedStackRef = {
    url: shared.url,
    adminToken: shared.adminToken,
    endpoint,
    tableName: shared.tableName,
  };
  const env = {
    ...process.env,
    [RUN_DATABASE]: endpoint,
    [RUN_BUNDLES]: BUNDLES,
    [SHARED_STACK_VARIABLE]: JSON.stringify(ref),
  };
  // `npm run test:e2e -- test/e2e/cli.test.ts` runs only the files given (and not the IAM check, which
  // needs every flow's actions).
  const only = process.argv.slice(2);
  code = await run(
    [`--test-concurrency=${CONCURRENCY}`, ...(only.length ? only : longestFirst('test/e2e'))],
    env,
  );
  if (code === 0 && !only.length) code = await run(['test/e2e/after/*.test.ts'], env);
} finally {
  await cleanUp();
}
process.exit(code);
