/**
 * The DynamoDB store on DynamoDB Local with a meter on its client: requests sent, capacity consumed
 * (every request asks for `ReturnConsumedCapacity: TOTAL`) and response bytes (as sent, base64 of
 * binary attributes included), each per command, so a bench row can say what a handler read.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DynamoDbLocal, LOCAL_CREDENTIALS, LOCAL_REGION } from '#infra/dynamodb-local.ts';
import { ensureTable } from '#infra/table.ts';
import { DynamoRegistryStore } from '#store/dynamodb/index.ts';
import type { Table } from '#store/dynamodb/sdk.ts';

export interface Reading {
  requests: number;
  capacity: number;
  bytes: number;
  commands: string[];
}

export interface MeteredTable {
  table: Table;
  store: DynamoRegistryStore;
  /** What was sent since the last reset (or since the start). */
  reading(): Reading;
  reset(): void;
}

type Capacity = { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;

export async function meteredTable(local: DynamoDbLocal): Promise<MeteredTable> {
  const name = `bench-${randomUUID()}`;
  await ensureTable(local.client, name);
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  let reading: Reading = { requests: 0, capacity: 0, bytes: 0, commands: [] };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity }).ConsumedCapacity;
      const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
      const headers = (result.response as { headers?: Record<string, string> }).headers ?? {};
      reading.requests++;
      reading.capacity += list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
      reading.bytes += Number(headers['content-length'] ?? 0);
      reading.commands.push(String(context.commandName).replace(/Command$/, ''));
      return result;
    },
    { step: 'initialize', name: 'benchMeter' },
  );
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    table: { client: documents, name },
    store: new DynamoRegistryStore(documents, name),
    reading: () => ({ ...reading, commands: [...reading.commands] }),
    reset: () => {
      reading = { requests: 0, capacity: 0, bytes: 0, commands: [] };
    },
  };
}

/** The fastest of `runs` wall-clock samples of each piece of work, taken in turn (they wait on I/O). */
export async function bestWall(runs: number, works: readonly (() => Promise<unknown>)[]): Promise<number[]> {
  const collect = (globalThis as { gc?: () => void }).gc;
  const mins = works.map(() => Number.POSITIVE_INFINITY);
  for (let i = 0; i < runs; i++) {
    for (const [k, work] of works.entries()) {
      collect?.();
      const start = performance.now();
      await work();
      mins[k] = Math.min(mins[k] as number, performance.now() - start);
    }
  }
  return mins;
}

/**
 * The median wall-clock time of one call of each piece of work, over `calls` calls taken in turn,
 * one of each at a time: for short requests, so that a busy spell of the machine falls on all alike.
 */
export async function medianInterleaved(
  calls: number,
  works: readonly (() => Promise<unknown>)[],
): Promise<number[]> {
  const samples: number[][] = works.map(() => []);
  for (let i = 0; i < calls; i++) {
    for (const [k, work] of works.entries()) {
      const start = performance.now();
      await work();
      samples[k]?.push(performance.now() - start);
    }
  }
  return samples.map((list) => {
    const sorted = list.sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  });
}
