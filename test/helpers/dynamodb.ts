/**
 * DynamoDB Local for integration tests: the run's (TEST_DYNAMODB_ENDPOINT, started once by `npm test`),
 * or else one process per test file; one uniquely named table per test either way.
 */
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach } from 'node:test';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
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

/** A DynamoDB Local someone else runs: stopping it only closes our client. */
function connectDynamoDbLocal(endpoint: string): DynamoDbLocal {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return { endpoint, port: Number(new URL(endpoint).port), client, stop: async () => client.destroy() };
}

/**
 * Registers the test hooks of an integration file: one DynamoDB Local for the file, a fresh table for
 * each test (set up further by `onTable`), dropped after it.
 */
export function withTestTables(onTable: (table: TestTable) => void = () => {}): () => TestTable {
  let local: DynamoDbLocal | undefined;
  let table: TestTable | undefined;
  before(async () => {
    const given = process.env.TEST_DYNAMODB_ENDPOINT;
    local = given ? connectDynamoDbLocal(given) : await startDynamoDbLocal();
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

/**
 * Every stored snapshot chunk, read directly (a Scan: test tables are small), as snapshot uuid →
 * chunk sort keys (`S#0000`, `E#0000`...).
 */
export async function storedChunks(table: TestTable): Promise<Map<string, string[]>> {
  const chunks = new Map<string, string[]>();
  for (const item of await scanAll(table)) {
    const pk = String(item.pk);
    if (!pk.startsWith('SNAPSHOT#')) continue;
    const uuid = pk.slice('SNAPSHOT#'.length);
    chunks.set(uuid, [...(chunks.get(uuid) ?? []), String(item.sk)]);
  }
  return chunks;
}

/** Every item of the table, read directly. */
export async function scanAll(table: TestTable): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan(
    { client: table.documents },
    { TableName: table.name, ConsistentRead: true },
  )) {
    items.push(...(page.Items ?? []));
  }
  return items;
}
