/**
 * `npm run test:e2e`: the e2e files over `npm start` stacks, side by side.
 *
 * Starting a stack is the slow part (Java, the Serverless Framework, esbuild, each function's cold
 * start), so the run pays for it once where it can: one DynamoDB Local for every stack
 * (TEST_DYNAMODB_ENDPOINT when `npm test` already started one), one build of the bundles (made by the
 * first stack, reused by the others), and the stacks the files use, started before any file runs:
 * two shared stacks, `api` for test/e2e/shared/ and `consumers` for test/e2e/consumers/ (the README,
 * the dashboard, Prometheus, the change feed), whose files take them one at a time, each emptying it
 * first; and `cli` and `load`, each one file's. The files in test/e2e/ itself run side by side
 * (E2E_CONCURRENCY): the CLI (the longest file, started first), the concurrency test (its load would
 * time other files out) and the fault test (which starts a stack of its own behind a proxy, to cut
 * it off from the database).
 * test/e2e/after/ (the IAM check over the actions every stack recorded) runs once the rest has finished.
 *
 * With E2E_GO_FILE (`npm test` sets it), the run starts the shared stacks, then waits until that file
 * says `go` (run the files) or `stop` (the other layers failed: stop the stacks, run nothing), so that
 * the stacks start while the other layers still run.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type DynamoDbLocal, startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import {
  BUILDS_FOLDER,
  type LocalStack,
  RUN_BUNDLES,
  RUN_DATABASE,
  startLocalStack,
} from '../test/helpers/local-stack.ts';
import {
  OWN_FILE_STACKS,
  QUEUED_STACKS,
  RECORDED_ACTIONS_FILE,
  SHARED_STACK_ENV,
  SHARED_STACK_NAMES,
  SHARED_STACKS_VARIABLE,
  type SharedStackName,
  type SharedStackRef,
} from '../test/helpers/shared-stack.ts';
import { runChild } from './child.ts';

/** Files with stacks of their own at once (three today, next to the two shared stacks' queues). */
const CONCURRENCY = Number(process.env.E2E_CONCURRENCY ?? 4);
const BUNDLES = `${BUILDS_FOLDER}/e2e-${process.pid}`;

/**
 * The files in the order to start them: the runner starts them in the order given, and the longest
 * (a measured order, roughly) should not start last. Files not listed follow, in name order.
 */
const SLOWEST = [
  'cli',
  'faults',
  'concurrency',
  'readme',
  'dashboard',
  'changes',
  'prometheus',
  'refresh',
  'paging',
];
function longestFirst(folder: string): string[] {
  const files = readdirSync(folder).filter((file) => file.endsWith('.test.ts'));
  const rank = (file: string) => {
    const at = SLOWEST.indexOf(file.replace(/\.test\.ts$/, ''));
    return at === -1 ? SLOWEST.length : at;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((file) => `${folder}/${file}`);
}

/** Runs `node --test` on `args`; with `hold`, its output is kept and handed back instead of shown. */
const run = (args: string[], env: NodeJS.ProcessEnv, hold = false) =>
  runChild(process.execPath, ['--import', 'tsx', '--test', ...args], env, hold);

rmSync(RECORDED_ACTIONS_FILE, { force: true });
let database: DynamoDbLocal | undefined;
const stacks: Promise<LocalStack>[] = [];
let code = 1;
const cleanUp = async () => {
  await Promise.all(
    stacks.map(async (stack) => (await stack.catch(() => undefined))?.stop().catch(() => {})),
  );
  await database?.stop();
  rmSync(BUNDLES, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanUp().then(() => process.exit(143)));

/** A shared stack on the run's database: the first builds the bundles, the others reuse them. */
async function startShared(name: SharedStackName, endpoint: string, build: boolean): Promise<SharedStackRef> {
  const stack = startLocalStack({
    ...SHARED_STACK_ENV,
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: `e2e-${name}`,
    ESBUILD_WORK_FOLDER: BUNDLES,
    ...(build ? {} : { ESBUILD_PREBUILT: 'true' }),
  });
  stacks.push(stack);
  const { url, adminToken, tableName } = await stack;
  return { url, adminToken, endpoint, tableName };
}

/** The files given (or all) of one folder. */
function filesOf(folder: string, only: string[]): string[] {
  const inFolder = (file: string) =>
    file.startsWith(`${folder}/`) && !file.slice(folder.length + 1).includes('/');
  return only.length ? only.filter(inFolder) : longestFirst(folder);
}

const nothing = { code: 0, output: '' };

/**
 * With E2E_GO_FILE: whether to run the files (`go`) or not (`stop`), once that file says which; not
 * after 10 minutes without a word (whoever was to write it is gone, and the stacks must not outlive it).
 */
async function goAhead(): Promise<boolean> {
  const file = process.env.E2E_GO_FILE;
  if (!file) return true;
  for (const deadline = Date.now() + 600_000; Date.now() < deadline; ) {
    const word = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (word === 'go' || word === 'stop') return word === 'go';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

// `npm run test:e2e -- test/e2e/cli.test.ts` runs only the files given (and not the IAM check, which
// needs every flow's actions).
const only = process.argv.slice(2);
const own = filesOf('test/e2e', only);
/** The files of each shared stack's queue. */
const queues = QUEUED_STACKS.map((name) => ({
  name,
  files: filesOf(name === 'api' ? 'test/e2e/shared' : `test/e2e/${name}`, only),
}));
/** Whether a file that runs uses the stack (`api` always starts: it builds the bundles). */
const needed = (name: SharedStackName) =>
  name === 'api' ||
  (name in OWN_FILE_STACKS
    ? own.includes(`test/e2e/${OWN_FILE_STACKS[name as keyof typeof OWN_FILE_STACKS]}`)
    : queues.some((queue) => queue.name === name && queue.files.length > 0));

/** Runs the files over the started stacks; the exit code of the first failing. */
async function runFiles(
  endpoint: string,
  refs: Partial<Record<SharedStackName, SharedStackRef>>,
): Promise<number> {
  const env = () => ({
    ...process.env,
    [RUN_DATABASE]: endpoint,
    [RUN_BUNDLES]: BUNDLES,
    [SHARED_STACKS_VARIABLE]: JSON.stringify(refs),
  });
  // Each shared stack's files run one at a time (each empties it first), next to the files with stacks
  // of their own; their reports are held and printed after those, so that none interleave.
  const [ownRun, ...queueRuns] = await Promise.all([
    own.length ? run([`--test-concurrency=${CONCURRENCY}`, ...own], env()) : nothing,
    ...queues.map(({ files }) =>
      files.length ? run(['--test-concurrency=1', ...files], env(), true) : nothing,
    ),
  ]);
  queues.forEach(({ name, files }, i) => {
    if (!files.length) return;
    console.log(`\n# the files on the ${name} stack (${files.length}), one at a time:`);
    process.stdout.write(queueRuns[i]?.output ?? '');
  });
  const code = [ownRun, ...queueRuns].find((result) => result?.code !== 0)?.code ?? 0;
  if (code !== 0 || only.length) return code;
  return (await run(['test/e2e/after/*.test.ts'], env())).code;
}

try {
  const started = performance.now();
  const given = process.env[RUN_DATABASE];
  if (!given) database = await startDynamoDbLocal();
  const endpoint = given || (database as DynamoDbLocal).endpoint;
  // The api stack builds the bundles; the others reuse them.
  const refs: Partial<Record<SharedStackName, SharedStackRef>> = {
    api: await startShared('api', endpoint, true),
  };
  await Promise.all(
    SHARED_STACK_NAMES.filter((name) => name !== 'api' && needed(name)).map(async (name) => {
      refs[name] = await startShared(name, endpoint, false);
    }),
  );
  console.log(
    `# the shared stacks (and the bundles) up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  if (await goAhead()) code = await runFiles(endpoint, refs);
  else console.log('# stopped before any file ran: another layer failed');
} finally {
  await cleanUp();
}
process.exit(code);
