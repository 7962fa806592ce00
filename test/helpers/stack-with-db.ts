/**
 * The local stack on a DynamoDB Local the test owns (`DYNAMODB_ENDPOINT`): the test knows the
 * database's endpoint, can read the table directly, and can stop and restart the database under the
 * running API.
 */
import { freePort, startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import { type LocalStack, startLocalStack } from './local-stack.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface StackWithDb {
  stack: LocalStack;
  /** The database itself, for reading the table directly (not through the proxy). */
  endpoint: string;
  /** The stack's table on it. */
  tableName: string;
  /** With `viaProxy`: what the stack talks to, so a test can make the database hang. */
  proxy: TcpProxy | undefined;
  /** Stops the database only; the API keeps running. */
  stopDb(): Promise<void>;
  /** Starts the database again on the same port (and data directory, if any). */
  restartDb(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStackWithDb(
  options: { dataDir?: string; env?: Record<string, string>; viaProxy?: boolean } = {},
): Promise<StackWithDb> {
  const port = await freePort();
  const dbOptions = { port, ...(options.dataDir ? { dataDir: options.dataDir } : {}) };
  let db = await startDynamoDbLocal(dbOptions);
  let dbRunning = true;
  let stack: LocalStack;
  let proxy: TcpProxy | undefined;
  try {
    proxy = options.viaProxy ? await startTcpProxy({ host: '127.0.0.1', port }) : undefined;
    stack = await startLocalStack({ ...options.env, DYNAMODB_ENDPOINT: proxy?.url ?? db.endpoint });
  } catch (error) {
    await proxy?.close();
    await db.stop();
    throw error;
  }
  const result: StackWithDb = {
    stack,
    endpoint: db.endpoint,
    tableName: stack.tableName,
    proxy,
    stopDb: async () => {
      dbRunning = false;
      await db.stop();
    },
    restartDb: async () => {
      db = await startDynamoDbLocal(dbOptions);
      dbRunning = true;
    },
    stop: async () => {
      try {
        await stack.stop();
      } finally {
        await proxy?.close();
        if (dbRunning) await db.stop();
      }
    },
  };
  return result;
}
