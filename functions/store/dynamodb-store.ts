/**
 * The registry store on one DynamoDB table.
 *
 * Layout: partition `REGISTRY` holds a meta item (revision counter, table epoch, position counter) and one
 * item per registry (settings, position, pointer to its current snapshot), so one consistent Query reads
 * the whole registration state. Snapshot chunks are immutable items in partition `SNAPSHOT#<name>`, keyed by
 * a random snapshot id: ingest writes them first, then one transaction flips the registry's pointer
 * (condition: newer generation) and bumps the revision. Readers see the old snapshot or the new one, never
 * a mix; superseded chunks are deleted after the flip.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { canonicalJson } from '#lib/canonical-json.ts';
import type { Service } from '#lib/types.ts';
import {
  RegistryNotFoundError,
  SnapshotGoneError,
  StaleGenerationError,
  StoreUnavailableError,
} from './errors.ts';
import type {
  RegistryList,
  RegistryRecord,
  RegistrySettings,
  RegistryStore,
  SnapshotPointer,
  SnapshotWrite,
  SnapshotWriteOptions,
} from './registry-store.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts';

const REGISTRY_PARTITION = 'REGISTRY';
const META_KEY = { pk: REGISTRY_PARTITION, sk: '#META' };
const registryKey = (name: string) => ({ pk: REGISTRY_PARTITION, sk: `R#${name}` });
const chunkPartition = (name: string) => `SNAPSHOT#${name}`;
const chunkKey = (name: string, id: string, index: number) => ({
  pk: chunkPartition(name),
  sk: `${id}#${String(index).padStart(5, '0')}`,
});
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;
const AUTO_GENERATION_ATTEMPTS = 5;

export interface DynamoRegistryStoreOptions {
  /** Unreferenced chunks younger than this may belong to a write in flight; older ones are orphans. */
  orphanGraceMs?: number;
  chunkBytes?: number;
  onCleanupError?: (error: unknown) => void;
}

interface RegistryItem {
  name: string;
  position: number;
  createdAt: string;
  updatedAt: string;
  settings?: RegistrySettings;
  snapshot?: SnapshotPointer;
  checkedAt?: string;
  confirmedAt?: string;
  lastError?: string;
  lastErrorAt?: string;
}

export class DynamoRegistryStore implements RegistryStore {
  private readonly orphanGraceMs: number;
  private readonly chunkBytes: number | undefined;
  private readonly onCleanupError: (error: unknown) => void;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoRegistryStoreOptions = {},
  ) {
    this.orphanGraceMs = options.orphanGraceMs ?? 15 * 60 * 1000;
    this.chunkBytes = options.chunkBytes;
    this.onCleanupError = options.onCleanupError ?? (() => {});
  }

  async putRegistry(
    name: string,
    settings: RegistrySettings,
    options: { ingestTokenDigest?: string } = {},
  ): Promise<{ record: RegistryRecord; created: boolean }> {
    const existing = await this.getRegistry(name);
    if (existing) return { record: await this.updateSettings(existing, settings), created: false };
    const now = new Date().toISOString();
    const position = await this.nextPosition();
    const item: RegistryItem = { name, position, createdAt: now, updatedAt: now, settings: { ...settings } };
    try {
      await this.withRevision({
        Put: {
          TableName: this.tableName,
          Item: { ...registryKey(name), ...item, ingestTokenDigest: options.ingestTokenDigest },
          ConditionExpression: 'attribute_not_exists(sk)',
        },
      });
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Created by a concurrent request between our read and our write: this request is an update.
      return this.putRegistry(name, settings, options);
    }
    return { record: toRecord(item), created: true };
  }

  private async updateSettings(
    existing: RegistryRecord,
    settings: RegistrySettings,
  ): Promise<RegistryRecord> {
    if (sameSettings(settingsOf(existing), settings)) return existing;
    const now = new Date().toISOString();
    try {
      await this.withRevision({
        Update: {
          TableName: this.tableName,
          Key: registryKey(existing.name),
          UpdateExpression: 'SET settings = :settings, updatedAt = :now',
          ConditionExpression: 'attribute_exists(sk) AND createdAt = :createdAt',
          ExpressionAttributeValues: {
            ':settings': { ...settings },
            ':now': now,
            ':createdAt': existing.createdAt,
          },
        },
      });
    } catch (error) {
      if (isConditionFailure(error)) throw new RegistryNotFoundError(existing.name);
      throw error;
    }
    return { ...stripSettings(existing), ...settings, updatedAt: now };
  }

  async getIngestTokenDigest(name: string): Promise<string | null> {
    const result = await this.guard(
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: registryKey(name),
          ProjectionExpression: 'ingestTokenDigest',
          ConsistentRead: true,
        }),
      ),
    );
    const value = result.Item?.ingestTokenDigest;
    return typeof value === 'string' ? value : null;
  }

  async setIngestTokenDigest(name: string, digestHex: string): Promise<boolean> {
    try {
      await this.guard(
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: registryKey(name),
            UpdateExpression: 'SET ingestTokenDigest = :digest',
            ConditionExpression: 'attribute_exists(sk)',
            ExpressionAttributeValues: { ':digest': digestHex },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getRegistry(name: string): Promise<RegistryRecord | null> {
    const result = await this.guard(
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: registryKey(name), ConsistentRead: true }),
      ),
    );
    return result.Item ? toRecord(result.Item as RegistryItem) : null;
  }

  async listRegistries(): Promise<RegistryList> {
    let revision = 0;
    let epoch = '';
    const registries: RegistryRecord[] = [];
    for await (const item of this.queryPartition(REGISTRY_PARTITION)) {
      if (item.sk === META_KEY.sk) {
        revision = Number(item.revision ?? 0);
        epoch = String(item.epoch ?? '');
      } else {
        registries.push(toRecord(item as unknown as RegistryItem));
      }
    }
    registries.sort((a, b) => a.position - b.position);
    return { revision, epoch, registries };
  }

  async deleteRegistry(name: string): Promise<boolean> {
    try {
      await this.withRevision({
        Delete: {
          TableName: this.tableName,
          Key: registryKey(name),
          ConditionExpression: 'attribute_exists(sk)',
        },
      });
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
    await this.deleteChunks(name, () => true).catch(this.onCleanupError);
    return true;
  }

  async putSnapshot(
    name: string,
    services: readonly Service[],
    generation?: number,
    options: SnapshotWriteOptions = {},
  ): Promise<SnapshotWrite> {
    let registry = await this.getRegistry(name);
    if (!registry) throw new RegistryNotFoundError(name);
    const current = registry.snapshot?.generation ?? 0;
    if (generation !== undefined && generation <= current) {
      throw new StaleGenerationError(name, generation, current);
    }
    const encoded = encodeSnapshot(services, this.chunkBytes);
    const id = randomUUID();
    await this.writeChunks(name, id, encoded.chunks);

    for (let attempt = 1; ; attempt++) {
      const target = generation ?? (registry.snapshot?.generation ?? 0) + 1;
      const pointer: SnapshotPointer = {
        registry: name,
        id,
        generation: target,
        chunkCount: encoded.chunks.length,
        serviceCount: services.length,
        jsonBytes: encoded.jsonBytes,
        storedBytes: encoded.storedBytes,
        storedAt: new Date().toISOString(),
        ...(options.contentHash ? { contentHash: options.contentHash } : {}),
      };
      try {
        await this.flipPointer(registry, pointer, options.checkedAt);
        await this.sweepChunks(name, id, registry.snapshot?.id).catch(this.onCleanupError);
        return { registry: name, generation: target, serviceCount: services.length };
      } catch (error) {
        // The flip may have been applied with only its answer lost (a reset, a timeout): then our
        // chunks are the current snapshot and must stay. If the registry cannot be read to tell,
        // they stay too: the sweep removes an orphan later, a deleted current snapshot is lost.
        let unreadable: unknown;
        const latest = await this.getRegistry(name).catch((readError: unknown) => {
          unreadable = readError;
          return undefined;
        });
        if (latest?.snapshot?.id === id) {
          await this.sweepChunks(name, id, registry.snapshot?.id).catch(this.onCleanupError);
          return { registry: name, generation: latest.snapshot.generation, serviceCount: services.length };
        }
        if (latest === undefined) throw isConditionFailure(error) ? unreadable : error;
        if (!isConditionFailure(error)) {
          await this.deleteChunks(name, (sk) => sk.startsWith(`${id}#`)).catch(this.onCleanupError);
          throw error;
        }
        const retry = latest !== null && generation === undefined && attempt < AUTO_GENERATION_ATTEMPTS;
        if (!retry) {
          await this.deleteChunks(name, (sk) => sk.startsWith(`${id}#`)).catch(this.onCleanupError);
          if (latest === null || latest.createdAt !== registry.createdAt)
            throw new RegistryNotFoundError(name);
          throw new StaleGenerationError(name, target, latest.snapshot?.generation ?? 0);
        }
        registry = latest;
      }
    }
  }

  async loadSnapshots(pointers: readonly SnapshotPointer[]): Promise<Map<string, Service[]>> {
    const wanted = new Map<string, { pointer: SnapshotPointer; name: string }>();
    const keys: Record<string, string>[] = [];
    for (const pointer of pointers) {
      const name = pointer.registry;
      wanted.set(pointer.id, { pointer, name });
      for (let i = 0; i < pointer.chunkCount; i++) keys.push(chunkKey(name, pointer.id, i));
    }
    const chunks = new Map<string, Uint8Array>();
    for (let offset = 0; offset < keys.length; offset += BATCH_GET_MAX) {
      let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean }> | undefined =
        {
          [this.tableName]: { Keys: keys.slice(offset, offset + BATCH_GET_MAX), ConsistentRead: true },
        };
      while (request && Object.keys(request).length > 0) {
        const result = await this.guard(this.client.send(new BatchGetCommand({ RequestItems: request })));
        for (const item of result.Responses?.[this.tableName] ?? []) {
          chunks.set(`${item.pk}|${item.sk}`, item.data as Uint8Array);
        }
        request = result.UnprocessedKeys as typeof request;
      }
    }
    const snapshots = new Map<string, Service[]>();
    for (const [id, { pointer, name }] of wanted) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < pointer.chunkCount; i++) {
        const key = chunkKey(name, id, i);
        const part = chunks.get(`${key.pk}|${key.sk}`);
        if (part === undefined) throw new SnapshotGoneError(id);
        parts.push(part);
      }
      snapshots.set(id, decodeSnapshot(parts));
    }
    return snapshots;
  }

  async recordRefresh(name: string, outcome: { checkedAt: string; error?: string }): Promise<boolean> {
    const failed = outcome.error !== undefined;
    try {
      await this.withRevision({
        Update: {
          TableName: this.tableName,
          Key: registryKey(name),
          UpdateExpression: failed
            ? 'SET checkedAt = :at, lastError = :error, lastErrorAt = :at'
            : 'SET checkedAt = :at, confirmedAt = :at REMOVE lastError, lastErrorAt',
          ConditionExpression: 'attribute_exists(sk)',
          ExpressionAttributeValues: failed
            ? { ':at': outcome.checkedAt, ':error': outcome.error }
            : { ':at': outcome.checkedAt },
        },
      });
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async flipPointer(
    registry: RegistryRecord,
    pointer: SnapshotPointer,
    checkedAt?: string,
  ): Promise<void> {
    const { registry: _name, ...stored } = pointer;
    // A refreshed snapshot also records its successful check; a pushed one confirms itself.
    const refreshed = checkedAt ? ', checkedAt = :storedAt REMOVE lastError, lastErrorAt' : '';
    await this.withRevision({
      Update: {
        TableName: this.tableName,
        Key: registryKey(registry.name),
        UpdateExpression: `SET #snapshot = :pointer, confirmedAt = :storedAt${refreshed}`,
        ConditionExpression:
          'attribute_exists(sk) AND createdAt = :createdAt AND ' +
          '(attribute_not_exists(#snapshot) OR #snapshot.generation < :generation)',
        ExpressionAttributeNames: { '#snapshot': 'snapshot' },
        ExpressionAttributeValues: {
          ':pointer': stored,
          ':createdAt': registry.createdAt,
          ':generation': pointer.generation,
          ':storedAt': pointer.storedAt,
        },
      },
    });
  }

  private async writeChunks(name: string, id: string, chunks: readonly Uint8Array[]): Promise<void> {
    const writtenAt = Date.now();
    const puts = chunks.map((data, index) => ({
      PutRequest: { Item: { ...chunkKey(name, id, index), data, writtenAt } },
    }));
    await this.batchWrite(puts);
  }

  /** Deletes the superseded snapshot and orphans of interrupted writes (older than the grace period). */
  private async sweepChunks(name: string, currentId: string, previousId: string | undefined): Promise<void> {
    const cutoff = Date.now() - this.orphanGraceMs;
    await this.deleteChunks(name, (sk, writtenAt) => {
      const id = sk.slice(0, sk.lastIndexOf('#'));
      if (id === currentId) return false;
      return id === previousId || writtenAt < cutoff;
    });
  }

  private async deleteChunks(
    name: string,
    select: (sk: string, writtenAt: number) => boolean,
  ): Promise<void> {
    const deletes: { DeleteRequest: { Key: Record<string, string> } }[] = [];
    for await (const item of this.queryPartition(chunkPartition(name), 'pk, sk, writtenAt')) {
      if (select(String(item.sk), Number(item.writtenAt ?? 0))) {
        deletes.push({ DeleteRequest: { Key: { pk: String(item.pk), sk: String(item.sk) } } });
      }
    }
    await this.batchWrite(deletes);
  }

  /** Every item of a partition, read consistently, page by page. */
  private async *queryPartition(pk: string, projection?: string): AsyncGenerator<Record<string, unknown>> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.guard(
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ...(projection ? { ProjectionExpression: projection } : {}),
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  private async batchWrite(requests: readonly Record<string, unknown>[]): Promise<void> {
    for (let offset = 0; offset < requests.length; offset += BATCH_WRITE_MAX) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(offset, offset + BATCH_WRITE_MAX);
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round > 0) await sleep(Math.min(50 * 2 ** round, 1000));
        const result = await this.guard(
          this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending as never } })),
        );
        pending = result.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      }
    }
  }

  private async nextPosition(): Promise<number> {
    const result = await this.guard(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: META_KEY,
          UpdateExpression: 'SET epoch = if_not_exists(epoch, :epoch) ADD nextPosition :one',
          ExpressionAttributeValues: { ':one': 1, ':epoch': randomUUID() },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return Number(result.Attributes?.nextPosition);
  }

  /** One transaction: the change, and the revision bump every reader keys its cache on. */
  private withRevision(change: NonNullable<TransactWriteCommandInput['TransactItems']>[number]) {
    return this.guard(
      this.client.send(
        new TransactWriteCommand({ TransactItems: [change, { Update: this.bumpRevision() }] }),
      ),
    );
  }

  private bumpRevision() {
    return {
      TableName: this.tableName,
      Key: META_KEY,
      UpdateExpression: 'SET epoch = if_not_exists(epoch, :epoch) ADD revision :one',
      ExpressionAttributeValues: { ':one': 1, ':epoch': randomUUID() },
    };
  }

  /** Every SDK call goes through here, so that an unreachable database is one typed error. */
  private async guard<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (isUnavailable(error)) throw new StoreUnavailableError({ cause: error });
      throw error;
    }
  }
}

function toRecord(item: RegistryItem): RegistryRecord {
  return {
    name: item.name,
    position: Number(item.position),
    ...item.settings,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    ...(item.checkedAt ? { checkedAt: item.checkedAt } : {}),
    ...(item.confirmedAt ? { confirmedAt: item.confirmedAt } : {}),
    ...(item.lastError ? { lastError: item.lastError, lastErrorAt: item.lastErrorAt ?? '' } : {}),
    snapshot: item.snapshot ? { ...item.snapshot, registry: item.name } : null,
  };
}

const SETTING_KEYS = [
  'clusterId',
  'provider',
  'description',
  'source',
  'refreshSeconds',
  'maxAgeSeconds',
] as const satisfies readonly (keyof RegistrySettings)[];

function settingsOf(record: RegistryRecord): RegistrySettings {
  const settings: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (record[key] !== undefined) settings[key] = record[key];
  return settings as RegistrySettings;
}

function stripSettings(record: RegistryRecord): RegistryRecord {
  const copy = { ...record };
  for (const key of SETTING_KEYS) delete copy[key];
  return copy;
}

function sameSettings(a: RegistrySettings, b: RegistrySettings): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function isConditionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ConditionalCheckFailedException') return true;
  if (error.name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((reason) => reason.Code === 'ConditionalCheckFailed');
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
