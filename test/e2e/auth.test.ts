/**
 * Access control over HTTP: every route × {no token, wrong token, reader, admin, own registry token,
 * another registry's token}, token rotation, and logs that name the principal but never a token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { callApi } from '../helpers/api.ts';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.ts';

const ADMIN = `admin-${randomBytes(16).toString('hex')}`;
const READER = `reader-${randomBytes(16).toString('hex')}`;
let stack: LocalStack;
const tokens: Record<string, string> = {};

before(async () => {
  stack = await startLocalStack({ ADMIN_TOKEN: ADMIN, READER_TOKEN: READER });
});
after(async () => {
  await stack?.stop();
});

const call = (method: string, path: string, token?: string, body?: unknown) =>
  callApi(stack.url, method, path, { token, body });

const snapshot = (tag: string) => ({ services: [{ hostname: `${tag}.example.com`, address: '10.0.0.1' }] });

type Who = 'none' | 'wrong' | 'reader' | 'admin' | 'own' | 'other';
const WHO: Who[] = ['none', 'wrong', 'reader', 'own', 'other', 'admin'];
const tokenOf = (who: Who): string | undefined =>
  ({
    none: undefined,
    wrong: `alpha.${'x'.repeat(43)}`,
    reader: READER,
    admin: ADMIN,
    own: tokens.alpha,
    other: tokens.beta,
  })[who];

describe('access control', () => {
  test('creating a registry returns its ingest token once', async () => {
    const alpha = await call('PUT', '/registries/alpha', ADMIN, { clusterId: 'c1' });
    const beta = await call('PUT', '/registries/beta', ADMIN, {});
    const again = await call('PUT', '/registries/alpha', ADMIN, { clusterId: 'c1', description: 'x' });
    const read = await call('GET', '/registries/alpha', ADMIN);
    assert.equal(alpha.status, 201);
    assert.match(alpha.body.ingestToken, /^alpha\.[A-Za-z0-9_-]{43}$/);
    tokens.alpha = String(alpha.body.ingestToken);
    tokens.beta = String(beta.body.ingestToken);
    assert.equal(again.status, 200);
    assert.equal(again.body.ingestToken, undefined, 'shown once, at creation');
    assert.ok(!JSON.stringify(read.body).includes(tokens.alpha));
  });

  test('every route answers each credential as its scope says', async () => {
    await call('PUT', '/registries/victim', ADMIN, {});
    await call('PUT', '/registries/alpha/snapshot', tokens.alpha, snapshot('alpha-0'));
    const routes: [string, string, unknown, Partial<Record<Who, number>>][] = [
      ['GET', '/registries', undefined, { reader: 200, admin: 200 }],
      ['GET', '/registries/alpha', undefined, { reader: 200, admin: 200 }],
      ['GET', '/services', undefined, { reader: 200, admin: 200 }],
      ['GET', '/services/alpha-0.example.com', undefined, { reader: 200, admin: 200 }],
      ['PUT', '/registries/alpha', { clusterId: 'c1' }, { admin: 200 }],
      ['PUT', '/registries/alpha/snapshot', snapshot('alpha-1'), { own: 200, admin: 200 }],
      ['POST', '/registries/alpha/refresh', undefined, { admin: 409 }],
      ['DELETE', '/registries/victim', undefined, { admin: 204 }],
      ['POST', '/registries/alpha/token', undefined, { admin: 200 }],
    ];
    let checked = 0;
    for (const [method, path, body, allowed] of routes) {
      for (const who of WHO) {
        const expected = allowed[who] ?? (who === 'none' || who === 'wrong' ? 401 : 403);
        const reply = await call(method, path, tokenOf(who), body);
        assert.equal(reply.status, expected, `${method} ${path} as ${who}: ${JSON.stringify(reply.body)}`);
        if (expected >= 400 && expected !== 409) {
          assert.equal(reply.body.error.code, expected === 401 ? 'Unauthorized' : 'Forbidden');
        }
        if (path.endsWith('/token') && reply.status === 200) tokens.alpha = reply.body.ingestToken;
        checked++;
      }
    }
    console.log(
      `# auth matrix: ${routes.length} routes x ${WHO.length} credentials = ${checked} requests checked`,
    );
  });

  test("a write with another registry's token never changes data", async () => {
    const before = await call('GET', '/services', READER);
    const attempts = await Promise.all([
      call('PUT', '/registries/alpha/snapshot', tokens.beta, snapshot('evil')),
      call('PUT', '/registries/alpha/snapshot', tokens.beta, { ...snapshot('evil'), generation: 999 }),
      call('PUT', '/registries/alpha', tokens.beta, { clusterId: 'evil' }),
      call('DELETE', '/registries/alpha', tokens.beta),
      call('POST', '/registries/alpha/token', tokens.beta),
    ]);
    const afterwards = await call('GET', '/services', READER);
    assert.deepEqual(
      attempts.map((a) => a.status),
      [403, 403, 403, 403, 403],
    );
    assert.deepEqual(afterwards.body, before.body);
  });

  test('answers never reveal whether a registry exists to someone who may not know', async () => {
    const known = await call('PUT', '/registries/alpha/snapshot', tokens.beta, snapshot('x'));
    const unknown = await call('PUT', '/registries/ghost/snapshot', tokens.beta, snapshot('x'));
    const anonymousKnown = await call('GET', '/registries/alpha');
    const anonymousUnknown = await call('GET', '/registries/ghost');
    assert.deepEqual([known.status, unknown.status], [403, 403]);
    assert.deepEqual(known.body, unknown.body);
    assert.deepEqual([anonymousKnown.status, anonymousUnknown.status], [401, 401]);
    assert.deepEqual(anonymousKnown.body, anonymousUnknown.body);
  });

  test('a rotated ingest token stops working at once; the new one works', async () => {
    const old = tokens.alpha;
    const rotated = await call('POST', '/registries/alpha/token', ADMIN);
    const withOld = await call('PUT', '/registries/alpha/snapshot', old, snapshot('old'));
    const withNew = await call(
      'PUT',
      '/registries/alpha/snapshot',
      rotated.body.ingestToken,
      snapshot('new'),
    );
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.ingestToken, old);
    assert.equal(withOld.status, 401);
    assert.equal(withNew.status, 200);
    tokens.alpha = rotated.body.ingestToken;
  });

  test('logs every request with its principal and never a token', async () => {
    await call('GET', '/services', READER);
    const output = stack.output();
    assert.match(output, /"principal":"admin"/);
    assert.match(output, /"principal":"reader"/);
    assert.match(output, /"principal":"registry:alpha"/);
    for (const secret of [ADMIN, READER, tokens.alpha, tokens.beta]) {
      assert.ok(!output.includes(secret as string), 'a token appeared in the logs');
    }
  });
});
