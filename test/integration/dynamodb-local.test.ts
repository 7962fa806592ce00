/**
 * `npm start` with DATA_DIR keeps DynamoDB Local's data across restarts (the README's promise):
 * a stack's table and its items are there again after the database process stopped and a new one
 * started on the same directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '#infra/dynamodb-local.ts';
import { ensureTable } from '#infra/table.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dynamodb-data-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('a data directory keeps the table and its items when the database restarts', async () => {
  // Prepare
  const TableName = 'aggregate-registry-local';
  const Key = { pk: { S: 'REGISTRY' }, sk: { S: 'east' } };
  const first = await startDynamoDbLocal({ dataDir });
  try {
    await ensureTable(first.client, TableName);
    await first.client.send(new PutItemCommand({ TableName, Item: { ...Key, note: { S: 'kept' } } }));
  } finally {
    await first.stop();
  }

  // Act
  const second = await startDynamoDbLocal({ dataDir });

  // Assess
  try {
    const { Item } = await second.client.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
    assert.equal(Item?.note?.S, 'kept');
  } finally {
    await second.stop();
  }
});
