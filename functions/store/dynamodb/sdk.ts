/**
 * The SDK plumbing of the adapter: one guard that turns an unreachable database into a typed error,
 * condition-failure detection, the batch loops DynamoDB leaves to clients (unprocessed items and
 * keys), and partition queries through lib-dynamodb's paginator.
 */
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  paginateQuery,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError } from '../errors.ts';
import type { Key } from './keys.ts';

export interface Table {
  client: DynamoDBDocumentClient;
  name: string;
}

export type Item = Record<string, unknown>;

const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;

/** Every SDK call goes through here, so that an unreachable database is one typed error. */
export async function guard<T>(request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (isUnavailable(error)) throw new StoreUnavailableError({ cause: error });
    throw error;
  }
}

/** The cancellation reason codes of a cancelled transaction, in the order of its items. */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((reason) => reason.Code ?? 'None');
}

/** A write refused by its condition, or a transaction cancelled by one (or by a concurrent one). */
export function isConflict(error: unknown): boolean {
  if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return true;
  const codes = cancellationCodes(error);
  return codes?.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict') ?? false;
}

/** Whether the database certainly did not apply the request (as opposed to an answer that got lost). */
export function certainlyNotApplied(error: unknown): boolean {
  return isConflict(error) || cancellationCodes(error) !== undefined;
}

export async function batchWrite(table: Table, requests: readonly Item[]): Promise<void> {
  for (let offset = 0; offset < requests.length; offset += BATCH_WRITE_MAX) {
    let pending: Item[] | undefined = requests.slice(offset, offset + BATCH_WRITE_MAX);
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round > 0) await backoff(round);
      const result = await guard(
        table.client.send(new BatchWriteCommand({ RequestItems: { [table.name]: pending as never } })),
      );
      pending = result.UnprocessedItems?.[table.name] as Item[] | undefined;
    }
  }
}

export const putRequest = (item: Item): Item => ({ PutRequest: { Item: item } });
export const deleteRequest = (key: Key): Item => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } });

/** The items found for `keys` (absent keys are simply missing), 100 keys per request. */
export async function batchGet(
  table: Table,
  keys: readonly Key[],
  options: { consistent: boolean },
): Promise<Item[]> {
  const items: Item[] = [];
  for (let offset = 0; offset < keys.length; offset += BATCH_GET_MAX) {
    let pending: Item[] | undefined = keys
      .slice(offset, offset + BATCH_GET_MAX)
      .map(({ pk, sk }) => ({ pk, sk }));
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round > 0) await backoff(round);
      const result = await guard(
        table.client.send(
          new BatchGetCommand({
            RequestItems: { [table.name]: { Keys: pending, ConsistentRead: options.consistent } },
          }),
        ),
      );
      items.push(...(result.Responses?.[table.name] ?? []));
      pending = result.UnprocessedKeys?.[table.name]?.Keys as Item[] | undefined;
    }
  }
  return items;
}

/** Every item of a partition (within a sort-key range, if given), read consistently, page by page. */
export async function* queryPartition(
  table: Table,
  pk: string,
  options: { skBefore?: string; projection?: string } = {},
): AsyncGenerator<Item> {
  const input: QueryCommandInput = {
    TableName: table.name,
    KeyConditionExpression: options.skBefore ? 'pk = :pk AND sk < :before' : 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk, ...(options.skBefore ? { ':before': options.skBefore } : {}) },
    ...(options.projection ? { ProjectionExpression: options.projection } : {}),
    ConsistentRead: true,
  };
  const pages = paginateQuery({ client: table.client }, input);
  for (;;) {
    const next = await guard(pages.next());
    if (next.done) return;
    yield* next.value.Items ?? [];
  }
}

export const itemKey = (item: Item): string => `${String(item.pk)}|${String(item.sk)}`;
export const keyString = (key: Key): string => `${key.pk}|${key.sk}`;

/** Jittered exponential backoff (full jitter), so writers that collided do not collide again. */
export function backoff(round: number): Promise<void> {
  const ceiling = Math.min(25 * 2 ** round, 1_000);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

const UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'ResourceNotFoundException',
  'ServiceUnavailable',
  'InternalServerError',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return UNAVAILABLE_NAMES.has(error.name) || (code !== undefined && UNAVAILABLE_CODES.has(code));
}
