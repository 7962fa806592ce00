/** DynamoDB Local for integration tests: one process per test file, one uniquely named table per test. */
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach } from 'node:test';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type DynamoDbLocal,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynamoDbLocal,
} from '#infra/dynamodb-local.ts';
import { ensureTable } from '#infra/table.ts';

export interface TestTable {
  name: string;
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  /** DynamoDB HTTP requests sent through `documents` so far (counted by an SDK middleware). */
  requests(): number;
  drop(): Promise<void>;
}

export async function createTestTable(local: DynamoDbLocal): Promise<TestTable> {
  const name = `test-${randomUUID()}`;
  await ensureTable(local.client, name);
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  let count = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      count++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRequests' },
  );
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    name,
    client,
    documents,
    requests: () => count,
    drop: async () => {
      await local.client.send(new DeleteTableCommand({ TableName: name }));
      client.destroy();
    },
  };
}

export { startDynamoDbLocal };

/**
 * Registers the test hooks of an integration file: one DynamoDB Local for the file, a fresh table for
 * each test (set up further by `onTable`), dropped after it.
 */
export function withTestTables(onTable: (table: TestTable) => void = () => {}): () => TestTable {
  let local: DynamoDbLocal | undefined;
  let table: TestTable | undefined;
  before(async () => {
    local = await startDynamoDbLocal();
  });
  after(async () => {
    await local?.stop();
  });
  beforeEach(async () => {
    if (!local) throw new Error('DynamoDB Local did not start');
    table = await createTestTable(local);
    onTable(table);
  });
  afterEach(async () => {
    await table?.drop();
  });
  return () => {
    if (!table) throw new Error('no test table: call this inside a test');
    return table;
  };
}

/** The sort keys (`<snapshot id>#<index>`) of every stored chunk of a registry, read directly. */
export async function chunkKeys(table: TestTable, registry: string): Promise<string[]> {
  const keys: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.documents.send(
      new QueryCommand({
        TableName: table.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `SNAPSHOT#${registry}` },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) keys.push(String(item.sk));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return keys;
}
