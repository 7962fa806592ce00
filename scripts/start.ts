/**
 * `npm start`: the whole stack on one machine. DynamoDB Local (Java) on a free port, the table created
 * from infra/table.json, then serverless-offline emulating API Gateway + Lambda on PORT (default 3000).
 * Ctrl-C or SIGTERM stops everything, the Java process included.
 *
 * Options (environment): PORT, DYNAMODB_PORT, DATA_DIR (keep data in that directory; default in memory),
 * ADMIN_TOKEN (generated and printed once when unset), READER_TOKEN, PUBLIC_READ,
 * DYNAMODB_ENDPOINT (use that already running DynamoDB instead of starting one: the table is created there
 * if missing, and the database is neither stopped nor restarted by this script), TABLE_NAME (default
 * aggregate-registry-local: stacks on one database each use a table of their own).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDbLocal,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynamoDbLocal,
} from '#infra/dynamodb-local.ts';
import { ensureTable } from '#infra/table.ts';

const STAGE = 'local';
const TABLE_NAME = process.env.TABLE_NAME?.trim() || `aggregate-registry-${STAGE}`;
const port = Number(process.env.PORT ?? 3000);
const dataDir = process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : undefined;
if (dataDir) mkdirSync(dataDir, { recursive: true });

const external = process.env.DYNAMODB_ENDPOINT?.trim() || undefined;
const database = external
  ? await connectDynamoDb(external)
  : await startDynamoDbLocal({
      ...(process.env.DYNAMODB_PORT ? { port: Number(process.env.DYNAMODB_PORT) } : {}),
      ...(dataDir ? { dataDir } : {}),
    });
await ensureTable(database.client, TABLE_NAME);
console.log(
  external
    ? `DynamoDB at ${database.endpoint} (DYNAMODB_ENDPOINT, not started or stopped here)`
    : `DynamoDB Local on ${database.endpoint} (${dataDir ? `data in ${dataDir}` : 'in memory'})`,
);

/** A database someone else runs: wait (at most 30 s) until it answers; stopping it is not ours. */
async function connectDynamoDb(endpoint: string): Promise<DynamoDbLocal> {
  const url = URL.parse(endpoint);
  if (url === null || !/^https?:$/.test(url.protocol)) {
    console.error(`DYNAMODB_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
    process.exit(2);
  }
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, socketTimeout: 5_000 },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ensureTable(client, TABLE_NAME);
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        console.error(`DynamoDB at ${endpoint} did not answer within 30 s: ${String(error)}`);
        process.exit(1);
      }
      await new Promise((done) => setTimeout(done, 250));
    }
  }
  return {
    endpoint,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    client,
    stop: async () => client.destroy(),
  };
}

const adminTokenGiven = Boolean(process.env.ADMIN_TOKEN);
const adminToken = process.env.ADMIN_TOKEN || randomBytes(24).toString('base64url');

// --localEnvironment hands this environment (ADMIN_TOKEN, READER_TOKEN, ...) to the functions, as the
// SSM parameters do in AWS.
const offline: ChildProcess = spawn(
  'serverless',
  ['offline', 'start', '--stage', STAGE, '--localEnvironment', `--param=tableName=${TABLE_NAME}`],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
    env: {
      ...process.env,
      PORT: String(port),
      AWS_ENDPOINT_URL: database.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      TABLE_NAME,
      ADMIN_TOKEN: adminToken,
    },
  },
);

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (offline.exitCode === null && offline.pid !== undefined) {
      try {
        process.kill(-offline.pid, 'SIGTERM');
      } catch {}
    }
    await database.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
offline.once('exit', (code) => void stop(code ?? 1));

const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 600 && !stopping; i++) {
  try {
    await fetch(`${url}/registries`);
    const token = adminTokenGiven ? '$ADMIN_TOKEN' : adminToken;
    console.log(
      `\naggregate-registry is up on ${url}\n` +
        (adminTokenGiven ? '' : `  admin token (generated, shown once): ${adminToken}\n`) +
        `  try: curl -s -H "authorization: Bearer ${token}" ${url}/services\n`,
    );
    break;
  } catch {
    await new Promise((done) => setTimeout(done, 200));
  }
}
