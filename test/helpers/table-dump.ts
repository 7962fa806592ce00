/**
 * The whole content of a DynamoDB table as one canonical string (items sorted by key, attributes
 * sorted by name, binary as base64), read directly with the SDK, so two dumps are byte-identical
 * exactly when the table holds the same data.
 */
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '#infra/dynamodb-local.ts';

export const LOCAL_TABLE_NAME = 'aggregate-registry-local';

export interface TableDump {
  items: number;
  bytes: number;
  text: string;
}

export async function dumpTable(endpoint: string, tableName = LOCAL_TABLE_NAME): Promise<TableDump> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 3,
  });
  try {
    const lines: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < 10_000; page++) {
      const result = await client.send(
        new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      for (const item of result.Items ?? []) lines.push(canonical(item));
      startKey = result.LastEvaluatedKey;
      if (startKey === undefined) break;
    }
    lines.sort();
    const text = lines.join('\n');
    return { items: lines.length, bytes: Buffer.byteLength(text), text };
  } finally {
    client.destroy();
  }
}

function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify(`base64:${Buffer.from(value).toString('base64')}`);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
