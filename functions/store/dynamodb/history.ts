/**
 * Revisions. The meta item (revision, epoch, next position: a few dozen bytes) is the gate of every
 * warm read. The current revision's view entries are one item, `VIEW#CURRENT`; when a write replaces
 * them, the same transaction copies the replaced entries to `REV#<n>` with `supersededAt` and a TTL
 * (`expiresAt`, free deletion by DynamoDB) at the end of the retention. So the history costs one item
 * write per revision and `viewState(n)` is one GetItem.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { RegistryViewEntry, ViewState } from '#lib/registry.ts';
import { RevisionExpiredError, RevisionNotFoundError } from '../errors.ts';
import { currentViewKey, metaKey, revisionKey } from './keys.ts';
import type { TransactItem } from './registries.ts';
import { guard, type Item, type Table } from './sdk.ts';

export interface Meta {
  revision: number;
  epoch: string;
  nextPosition: number;
}

/** A view item as stored: the entries stay encoded unless someone needs them. */
export interface StoredView {
  epoch: string;
  revision: number;
  recordedAt: string;
  entries: Uint8Array;
}

/** Before the first write there is no meta item: revision 0, an empty view, no epoch yet. */
export const INITIAL_META: Meta = { revision: 0, epoch: '', nextPosition: 0 };
const EMPTY_ENTRIES = encodeEntries([]);

export function encodeEntries(entries: readonly RegistryViewEntry[]): Uint8Array {
  return gzipSync(JSON.stringify(entries));
}

export function decodeEntries(bytes: Uint8Array): RegistryViewEntry[] {
  return JSON.parse(gunzipSync(bytes).toString('utf8')) as RegistryViewEntry[];
}

export function toMeta(item: Item | undefined): Meta | null {
  if (!item) return null;
  return {
    revision: Number(item.revision ?? 0),
    epoch: String(item.epoch ?? ''),
    nextPosition: Number(item.nextPosition ?? 0),
  };
}

export function toStoredView(item: Item | undefined): StoredView | null {
  if (!item) return null;
  return {
    epoch: String(item.epoch),
    revision: Number(item.revision),
    recordedAt: String(item.recordedAt),
    entries: item.entries as Uint8Array,
  };
}

function toViewState(view: StoredView): ViewState {
  return {
    epoch: view.epoch,
    revision: view.revision,
    recordedAt: view.recordedAt,
    registries: decodeEntries(view.entries),
  };
}

export async function currentRevision(table: Table): Promise<{ epoch: string; revision: number }> {
  const result = await guard(
    table.client.send(
      new GetCommand({
        TableName: table.name,
        Key: metaKey(),
        ProjectionExpression: 'revision, epoch',
        ConsistentRead: true,
      }),
    ),
  );
  const meta = toMeta(result.Item) ?? INITIAL_META;
  return { epoch: meta.epoch, revision: meta.revision };
}

async function getItem(table: Table, key: { pk: string; sk: string }): Promise<Item | undefined> {
  const result = await guard(
    table.client.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true })),
  );
  return result.Item;
}

export async function viewState(
  table: Table,
  revision: number | undefined,
  options: { now: number; retentionMs: number },
): Promise<ViewState> {
  if (revision !== undefined && (!Number.isSafeInteger(revision) || revision < 0)) {
    throw new RevisionNotFoundError(revision, (await currentRevision(table)).revision);
  }
  const superseded = async (): Promise<ViewState | null> => {
    if (revision === undefined) return null;
    const item = await getItem(table, revisionKey(revision));
    if (!item) return null;
    if (options.now > Date.parse(String(item.supersededAt)) + options.retentionMs) {
      throw new RevisionExpiredError(revision);
    }
    return toViewState(toStoredView(item) as StoredView);
  };
  // A past revision is one GetItem; the current one is not in REV# yet, so it costs a second read.
  const past = await superseded();
  if (past) return past;
  const current = toStoredView(await getItem(table, currentViewKey()));
  const state: ViewState = current
    ? toViewState(current)
    : { epoch: '', revision: 0, recordedAt: new Date(0).toISOString(), registries: [] };
  if (revision === undefined || revision === state.revision) return state;
  if (revision > state.revision) throw new RevisionNotFoundError(revision, state.revision);
  // Superseded between our two reads: it is in REV# now. Otherwise TTL has removed it.
  const raced = await superseded();
  if (raced) return raced;
  throw new RevisionExpiredError(revision);
}

/**
 * The items that move the revision from `meta.revision` to the next: refused unless the revision is
 * still the one the change was computed from (optimistic concurrency on the meta item).
 */
export function revisionItems(
  table: Table,
  read: { meta: Meta | null; view: StoredView | null },
  next: { entries: readonly RegistryViewEntry[]; nextPosition?: number; now: number; retentionMs: number },
): TransactItem[] {
  const meta = read.meta ?? { ...INITIAL_META, epoch: randomUUID() };
  const now = new Date(next.now).toISOString();
  const revision = meta.revision + 1;
  const replaced: StoredView = read.view ?? {
    epoch: meta.epoch,
    revision: meta.revision,
    recordedAt: now,
    entries: EMPTY_ENTRIES,
  };
  return [
    {
      Put: {
        TableName: table.name,
        Item: {
          ...metaKey(),
          revision,
          epoch: meta.epoch,
          nextPosition: next.nextPosition ?? meta.nextPosition,
        },
        ...(read.meta
          ? {
              ConditionExpression: 'revision = :revision',
              ExpressionAttributeValues: { ':revision': meta.revision },
            }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    },
    {
      Put: {
        TableName: table.name,
        Item: {
          ...currentViewKey(),
          epoch: meta.epoch,
          revision,
          recordedAt: now,
          entries: encodeEntries(next.entries),
        },
        // A BatchGet is not isolated from transactions: it can return the meta item after another
        // writer's transaction and the view item before it. The entries were computed from the view
        // item, so it must still be the one read, or another registry's change would be overwritten.
        ...(read.view
          ? {
              ConditionExpression: 'revision = :viewRevision',
              ExpressionAttributeValues: { ':viewRevision': read.view.revision },
            }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    },
    {
      Put: {
        TableName: table.name,
        Item: {
          ...revisionKey(meta.revision),
          epoch: meta.epoch,
          revision: meta.revision,
          recordedAt: replaced.recordedAt,
          entries: replaced.entries,
          supersededAt: now,
          expiresAt: Math.ceil((next.now + next.retentionMs) / 1000),
        },
      },
    },
  ];
}
