/**
 * Registry items: the full record (settings, snapshot reference, refresh state), the ingest-token
 * digest and a `version` that every write of the item increments and conditions on (optimistic
 * locking), so a write computed from a read can never undo a concurrent one. The read path of the
 * merged view never touches these items: it reads the meta and view items.
 */
import { GetCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryRecord } from '#lib/registry.ts';
import { SETTING_KEYS, settingsOf } from '../rules.ts';
import { registryKey } from './keys.ts';
import { guard, type Item, isConflict, type Table } from './sdk.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A registry as stored: its record plus what only the store keeps. */
export interface StoredRegistry {
  record: RegistryRecord;
  version: number;
  ingestTokenDigest?: string;
}

const STATE_KEYS = [
  'incarnation',
  'position',
  'createdAt',
  'updatedAt',
  'checkedAt',
  'confirmedAt',
  'lastError',
  'lastErrorAt',
  'stale',
  'skipped',
  'failures',
] as const satisfies readonly (keyof RegistryRecord)[];

export function toStored(item: Item): StoredRegistry {
  const settings = (item.settings ?? {}) as Record<string, unknown>;
  const record: Record<string, unknown> = { name: item.name };
  for (const key of SETTING_KEYS) if (settings[key] !== undefined) record[key] = settings[key];
  for (const key of STATE_KEYS) if (item[key] !== undefined) record[key] = item[key];
  record.snapshot = item.snapshot ?? null;
  return {
    record: record as unknown as RegistryRecord,
    version: Number(item.version ?? 0),
    ...(typeof item.ingestTokenDigest === 'string' ? { ingestTokenDigest: item.ingestTokenDigest } : {}),
  };
}

export function toItem(record: RegistryRecord, version: number, ingestTokenDigest?: string): Item {
  const item: Item = {
    ...registryKey(record.name),
    name: record.name,
    version,
    settings: settingsOf(record),
  };
  for (const key of STATE_KEYS) if (record[key] !== undefined) item[key] = record[key];
  if (record.snapshot) item.snapshot = record.snapshot;
  if (ingestTokenDigest !== undefined) item.ingestTokenDigest = ingestTokenDigest;
  return item;
}

/**
 * The transaction item that writes `next` over `previous` (null: creates; `next` null: deletes),
 * refused if the item changed since it was read.
 */
export function registryWrite(
  table: Table,
  name: string,
  previous: StoredRegistry | null,
  next: RegistryRecord | null,
  ingestTokenDigest?: string,
): TransactItem {
  const key = registryKey(name);
  if (!next) {
    return {
      Delete: {
        TableName: table.name,
        Key: key,
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': previous?.version ?? 0 },
      },
    };
  }
  const digest = ingestTokenDigest ?? previous?.ingestTokenDigest;
  const item = toItem(next, (previous?.version ?? 0) + 1, digest);
  return previous
    ? {
        Put: {
          TableName: table.name,
          Item: item,
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': previous.version },
        },
      }
    : { Put: { TableName: table.name, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
}

export async function getStored(table: Table, name: string): Promise<StoredRegistry | null> {
  const result = await guard(
    table.client.send(
      new GetCommand({ TableName: table.name, Key: registryKey(name), ConsistentRead: true }),
    ),
  );
  return result.Item ? toStored(result.Item) : null;
}

export async function getIngestTokenDigest(table: Table, name: string): Promise<string | null> {
  const result = await guard(
    table.client.send(
      new GetCommand({
        TableName: table.name,
        Key: registryKey(name),
        ProjectionExpression: 'ingestTokenDigest',
        ConsistentRead: true,
      }),
    ),
  );
  const value = result.Item?.ingestTokenDigest;
  return typeof value === 'string' ? value : null;
}

export async function setIngestTokenDigest(table: Table, name: string, digestHex: string): Promise<boolean> {
  try {
    await guard(
      table.client.send(
        new UpdateCommand({
          TableName: table.name,
          Key: registryKey(name),
          UpdateExpression: 'SET ingestTokenDigest = :digest ADD version :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':digest': digestHex, ':one': 1 },
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}
