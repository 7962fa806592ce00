/**
 * Runs `npm start`'s script (DynamoDB Local + serverless-offline) on free ports for end-to-end tests,
 * and stops it with everything it started.
 *
 * Inside `npm run test:e2e` (scripts/test-e2e.ts) every stack is cheaper: it uses the run's DynamoDB
 * Local (TEST_DYNAMODB_ENDPOINT) with a table of its own instead of starting Java, and the bundles the
 * run built once (E2E_BUNDLES) instead of building its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { freePort } from '#infra/dynamodb-local.ts';

export interface LocalStack {
  url: string;
  /** The stack's admin token: the one given in `env`, or one made up here. */
  adminToken: string;
  /** Its table (on the database it was given, or on the run's). */
  tableName: string;
  output(): string;
  stop(): Promise<void>;
}

/** The e2e run's environment for its stacks (scripts/test-e2e.ts sets it). */
export const RUN_DATABASE = 'TEST_DYNAMODB_ENDPOINT';
export const RUN_BUNDLES = 'E2E_BUNDLES';
/**
 * Where test stacks and packagings build their bundles, each in a folder of its own: never inside
 * `.esbuild`, which serverless-esbuild removes whole after a `serverless package` with the default
 * folder (a packaging beside running stacks would take their bundles away).
 */
export const BUILDS_FOLDER = 'node_modules/.cache/aggregate-registry/builds';

export async function startLocalStack(env: Record<string, string> = {}): Promise<LocalStack> {
  const port = await freePort();
  const lambdaPort = await freePort();
  const adminToken = env.ADMIN_TOKEN ?? randomBytes(24).toString('hex');
  const runDatabase = env.DYNAMODB_ENDPOINT ? undefined : process.env[RUN_DATABASE];
  const tableName = env.TABLE_NAME ?? (runDatabase ? `e2e-stack-${port}` : 'aggregate-registry-local');
  // Stacks started side by side must not share (or remove) each other's bundles, unless the run built
  // them once for all (then nobody removes them but the run).
  const prebuilt = env.ESBUILD_WORK_FOLDER ? undefined : process.env[RUN_BUNDLES];
  const workFolder = env.ESBUILD_WORK_FOLDER ?? prebuilt ?? `${BUILDS_FOLDER}/stack-${port}`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      ...process.env,
      ...(runDatabase ? { DYNAMODB_ENDPOINT: runDatabase } : {}),
      ...(prebuilt ? { ESBUILD_PREBUILT: 'true' } : {}),
      ...env,
      TABLE_NAME: tableName,
      ESBUILD_WORK_FOLDER: workFolder,
      ADMIN_TOKEN: adminToken,
      PORT: String(port),
      LAMBDA_PORT: String(lambdaPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (data) => {
    output += data;
  });
  child.stderr?.on('data', (data) => {
    output += data;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    if (!prebuilt && !env.ESBUILD_WORK_FOLDER) rmSync(workFolder, { recursive: true, force: true });
  };
  const deadline = Date.now() + 120_000;
  while (!output.includes('aggregate-registry is up on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the local stack did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url: `http://127.0.0.1:${port}`, adminToken, tableName, output: () => output, stop };
}
