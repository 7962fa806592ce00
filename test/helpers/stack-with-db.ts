/**
 * The local stack with a database the test can reach directly (`DYNAMODB_ENDPOINT`): the run's
 * DynamoDB Local (TEST_DYNAMODB_ENDPOINT, a table of the stack's own) or, for a file run alone, one
 * started here. With `viaProxy` the stack talks to the database through a TCP proxy, so that a test
 * can make the database hang, or go away and come back, under the running API.
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDbLocal, startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import { type LocalStack, RUN_DATABASE, startLocalStack } from './local-stack.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface StackWithDb {
  stack: LocalStack;
  /** The database itself, for reading the table directly (not through the proxy). */
  endpoint: string;
  /** The stack's table on it. */
  tableName: string;
  /** With `viaProxy`: what the stack talks to, so a test can cut it off from the database. */
  proxy: TcpProxy | undefined;
  stop(): Promise<void>;
}

export async function startStackWithDb(
  options: { env?: Record<string, string>; viaProxy?: boolean } = {},
): Promise<StackWithDb> {
  const runDatabase = process.env[RUN_DATABASE];
  const own: DynamoDbLocal | undefined = runDatabase ? undefined : await startDynamoDbLocal();
  const endpoint = runDatabase ?? (own as DynamoDbLocal).endpoint;
  let stack: LocalStack;
  let proxy: TcpProxy | undefined;
  try {
    const { hostname, port } = new URL(endpoint);
    proxy = options.viaProxy ? await startTcpProxy({ host: hostname, port: Number(port) }) : undefined;
    stack = await startLocalStack({
      ...(runDatabase ? { TABLE_NAME: `e2e-db-${randomBytes(4).toString('hex')}` } : {}),
      ...options.env,
      DYNAMODB_ENDPOINT: proxy?.url ?? endpoint,
    });
  } catch (error) {
    await proxy?.close();
    await own?.stop();
    throw error;
  }
  return {
    stack,
    endpoint,
    tableName: stack.tableName,
    proxy,
    stop: async () => {
      try {
        await stack.stop();
      } finally {
        await proxy?.close();
        await own?.stop();
      }
    },
  };
}
