/**
 * Runs `npm start`'s script (DynamoDB Local + serverless-offline) on free ports for end-to-end tests,
 * and stops it with everything it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '#infra/dynamodb-local.ts';

export interface LocalStack {
  url: string;
  /** The stack's admin token: the one given in `env`, or one made up here. */
  adminToken: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startLocalStack(env: Record<string, string> = {}): Promise<LocalStack> {
  const port = await freePort();
  const lambdaPort = await freePort();
  const adminToken = env.ADMIN_TOKEN ?? randomBytes(24).toString('hex');
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env: {
      ...process.env,
      ...env,
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
  };
  const deadline = Date.now() + 120_000;
  while (!output.includes('aggregate-registry is up on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the local stack did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url: `http://127.0.0.1:${port}`, adminToken, output: () => output, stop };
}
