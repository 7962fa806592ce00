import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

// The same tokens as the other in-process route tests: one process runs every unit test file.
process.env.ADMIN_TOKEN = 'admin-token';
process.env.READER_TOKEN = 'reader-token';
const { authorize, bearerToken } = await import('#http/auth.ts');
const { newIngestToken, registryOfToken } = await import('#http/ingest-token.ts');

const event = (authorization: string | undefined, name = 'alpha') =>
  ({
    headers: authorization === undefined ? {} : { authorization },
    pathParameters: { name },
  }) as unknown as APIGatewayProxyEventV2;

const alpha = newIngestToken('alpha');
const digests: Record<string, string> = { alpha: alpha.digestHex };
const lookup = async (registry: string) => digests[registry] ?? null;

async function statusOf(
  scope: 'admin' | 'read' | 'ingest',
  authorization: string | undefined,
  name = 'alpha',
) {
  const request = { event: event(authorization, name), context: {} as { principal?: string } };
  try {
    await authorize(scope, lookup).before?.(request as never);
    return { status: 200, principal: request.context.principal };
  } catch (error) {
    return { status: (error as { status: number }).status, principal: request.context.principal };
  }
}

describe('ingest tokens', () => {
  test('name their registry and carry 256 random bits', () => {
    const { token, digestHex } = newIngestToken('payments');
    assert.equal(registryOfToken(token), 'payments');
    assert.match(digestHex, /^[0-9a-f]{64}$/);
    assert.notEqual(newIngestToken('payments').token, token);
  });

  test('anything else is not an ingest token', () => {
    for (const token of ['payments', '.abc', `UPPER.${'a'.repeat(43)}`, 'payments.short']) {
      assert.equal(registryOfToken(token), undefined, token);
    }
  });
});

describe('bearer tokens', () => {
  test('are read from the Authorization header, case-insensitively', () => {
    assert.equal(bearerToken(event('Bearer abc')), 'abc');
    assert.equal(bearerToken(event('bearer abc')), 'abc');
    assert.equal(bearerToken(event('Basic abc')), undefined);
    assert.equal(bearerToken(event('Bearer ')), undefined);
    assert.equal(bearerToken(event(undefined)), undefined);
  });
});

describe('authorize', () => {
  const admin = 'Bearer admin-token';
  const reader = 'Bearer reader-token';
  const own = `Bearer ${alpha.token}`;
  const forged = `Bearer alpha.${'A'.repeat(43)}`;

  test('answers 401 without a token or with an unknown one', async () => {
    for (const scope of ['admin', 'read', 'ingest'] as const) {
      assert.equal((await statusOf(scope, undefined)).status, 401);
      assert.equal((await statusOf(scope, 'Bearer nope')).status, 401);
      assert.equal((await statusOf(scope, forged)).status, 401);
    }
  });

  test('lets admin do everything', async () => {
    for (const scope of ['admin', 'read', 'ingest'] as const) {
      assert.deepEqual(await statusOf(scope, admin), { status: 200, principal: 'admin' });
    }
  });

  test('lets a reader read and nothing else', async () => {
    assert.deepEqual(await statusOf('read', reader), { status: 200, principal: 'reader' });
    assert.equal((await statusOf('admin', reader)).status, 403);
    assert.equal((await statusOf('ingest', reader)).status, 403);
  });

  test("lets an ingest token write its own registry's snapshot only", async () => {
    assert.deepEqual(await statusOf('ingest', own), { status: 200, principal: 'registry:alpha' });
    assert.equal((await statusOf('ingest', own, 'beta')).status, 403);
    assert.equal((await statusOf('read', own)).status, 403);
    assert.equal((await statusOf('admin', own)).status, 403);
  });
});
