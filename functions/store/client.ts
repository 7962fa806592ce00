/**
 * The deployment's store, built at first use (so importing a handler module needs no TABLE_NAME, and
 * tests can build handlers with another store), then reused by every warm invocation with its
 * connections. Endpoint and credentials come from the standard AWS settings: `AWS_ENDPOINT_URL` points
 * it at DynamoDB Local or LocalStack.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_ACTION_RECORDER, awsActionRecorder } from '#http/aws-action-recorder.ts';
import { DynamoRegistryStore } from './dynamodb/index.ts';
import type { RegistryStore } from './port.ts';
import { DEFAULT_HISTORY_RETENTION_SECONDS } from './rules.ts';

export function createDocumentClient(endpoint?: string): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(endpoint ? { endpoint } : {}),
    // Fail fast when the database is down or hangs: a 503 within seconds beats a Lambda timeout (15 s).
    // socketTimeout is idle time (a large answer still streams); `requestTimeout` would only log a
    // warning in this SDK version. A database that never answers costs at most 2 × 2 s per call.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, socketTimeout: 2_000 },
  });
  client.middlewareStack.add(awsActionRecorder, AWS_ACTION_RECORDER);
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function tableName(): string {
  const name = process.env.TABLE_NAME;
  if (!name) throw new Error('TABLE_NAME is not set');
  return name;
}

/** `''` or unset means the default; anything but a positive integer is a start-up error naming it. */
export function historyRetentionSeconds(env: Record<string, string | undefined> = process.env): number {
  const raw = env.HISTORY_RETENTION_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_HISTORY_RETENTION_SECONDS;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`HISTORY_RETENTION_SECONDS must be a positive integer (seconds), got "${raw}"`);
  }
  return value;
}

const retention = historyRetentionSeconds();
let instance: RegistryStore | undefined;
const dynamo = (): RegistryStore => {
  instance ??= new DynamoRegistryStore(createDocumentClient(), tableName(), {
    historyRetentionSeconds: retention,
  });
  return instance;
};

export const store: RegistryStore = {
  putRegistry: (...args) => dynamo().putRegistry(...args),
  getRegistry: (...args) => dynamo().getRegistry(...args),
  listRegistries: () => dynamo().listRegistries(),
  deleteRegistry: (...args) => dynamo().deleteRegistry(...args),
  getIngestTokenDigest: (...args) => dynamo().getIngestTokenDigest(...args),
  setIngestTokenDigest: (...args) => dynamo().setIngestTokenDigest(...args),
  startSnapshotWrite: (...args) => dynamo().startSnapshotWrite(...args),
  putSnapshot: (...args) => dynamo().putSnapshot(...args),
  recordRefresh: (...args) => dynamo().recordRefresh(...args),
  updateFreshness: (...args) => dynamo().updateFreshness(...args),
  currentRevision: () => dynamo().currentRevision(),
  viewState: (...args) => dynamo().viewState(...args),
  loadSnapshots: (...args) => dynamo().loadSnapshots(...args),
  sweep: (...args) => dynamo().sweep(...args),
};
