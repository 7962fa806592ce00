/**
 * A writer reads the meta item and the current view item with one BatchGet, which DynamoDB does not
 * isolate from transactions: it may see another writer's new meta revision next to the view item from
 * before that writer's transaction. Committing entries computed from that stale view would drop the
 * other writer's accepted change (seen as a lost push in test/e2e/faults.test.ts). The transaction
 * must refuse it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { decodeEntries, revisionItems, toMeta, toStoredView } from '#store/dynamodb/history.ts';
import { DynamoRegistryStore } from '#store/dynamodb/index.ts';
import { currentViewKey, metaKey } from '#store/dynamodb/keys.ts';
import { type TestTable, withTestTables } from '../helpers/dynamodb.ts';

let table: TestTable;
withTestTables((created) => {
  table = created;
});

const get = async (key: { pk: string; sk: string }) =>
  (await table.documents.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true })))
    .Item;

test("a write computed from a view item older than the meta item is refused, so no other registry's change is lost", async () => {
  // Prepare: two registries; the view item as it was before b's push (what a torn read returns).
  const store = new DynamoRegistryStore(table.documents, table.name);
  await store.putRegistry('a', {});
  await store.putRegistry('b', {});
  await store.putSnapshot('a', [{ hostname: 'a.example.com' }]);
  const staleView = toStoredView(await get(currentViewKey()));
  await store.putSnapshot('b', [{ hostname: 'b.example.com' }]);
  const freshMeta = toMeta(await get(metaKey()));
  assert.ok(staleView && freshMeta && staleView.revision === freshMeta.revision - 1);

  // Act: commit entries computed from the stale view under the fresh meta revision.
  const entries = decodeEntries(staleView.entries);
  const items = revisionItems(
    { client: table.documents, name: table.name },
    { meta: freshMeta, view: staleView },
    { entries, now: Date.now(), retentionMs: 60_000 },
  );
  const attempt = table.documents.send(new TransactWriteCommand({ TransactItems: items as never }));

  // Assess: refused, and b's snapshot is still in the view.
  await assert.rejects(attempt, (error: Error) => error.name === 'TransactionCanceledException');
  const state = await store.viewState();
  assert.equal(state.registries.find((entry) => entry.name === 'b')?.snapshot?.generation, 1);
});
