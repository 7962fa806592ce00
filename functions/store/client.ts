/**
 * The one DynamoDB client of a function instance, built at module scope so warm invocations reuse its
 * connections. Endpoint and credentials come from the standard AWS settings: `AWS_ENDPOINT_URL` points
 * it at DynamoDB Local or LocalStack.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoRegistryStore } from './dynamodb-store.ts';

export function createDocumentClient(endpoint?: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    // Fail fast when the database is down or hangs: a 503 within seconds beats a Lambda timeout (15 s).
    // socketTimeout is idle time (a large answer still streams); `requestTimeout` would only log a
    // warning in this SDK version. A database that never answers costs at most 2 × 2 s per call.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, socketTimeout: 2_000 },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function tableName(): string {
  const name = process.env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}

export const store = new DynamoRegistryStore(createDocumentClient(), tableName(), {
  onCleanupError: (error) =>
    console.warn(JSON.stringify({ level: 'WARN', message: 'snapshot cleanup failed', error: String(error) })),
});
