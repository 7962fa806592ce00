/** Secret references: the env resolver, and that no secret value ever reaches an error. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { Source } from '#lib/source-schema.ts';
import { envSecretResolver, fetchServices, SourceError } from '../../../functions/sources/index.ts';
import { sendJson, sendText, startServer } from './helpers.ts';

const TOKEN = 'tok_9f8e7d6c5b4a3210';

/** The error `promise` rejects with, checked to be a SourceError that does not mention `secret`. */
async function secretFreeFailure(promise: Promise<unknown>, secret = TOKEN): Promise<SourceError> {
  const error = await promise.then(
    () => assert.fail('expected a SourceError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SourceError, `expected a SourceError, got ${String(error)}`);
  for (const text of [error.message, String(error), error.stack ?? '', inspect(error, { depth: 10 })]) {
    assert.ok(!text.includes(secret), `the secret leaked into: ${text}`);
  }
  return error;
}

describe('envSecretResolver', () => {
  test('resolves fromEnv', async () => {
    const resolve = envSecretResolver({ SOURCE_SECRET_API_TOKEN: TOKEN });
    assert.equal(await resolve({ fromEnv: 'SOURCE_SECRET_API_TOKEN' }), TOKEN);
  });

  test('a missing or empty variable is a SourceError that names it', async () => {
    const resolve = envSecretResolver({ SOURCE_SECRET_EMPTY: '  ', SOURCE_SECRET_OTHER: TOKEN });
    for (const name of ['SOURCE_SECRET_MISSING', 'SOURCE_SECRET_EMPTY']) {
      const error = await secretFreeFailure(resolve({ fromEnv: name }));
      assert.equal(error.kind, 'secret');
      assert.equal(error.message, `secret environment variable ${name} is not set`);
    }
  });

  test('refuses SSM references (the Lambda injects that resolver)', async () => {
    const error = await secretFreeFailure(envSecretResolver({})({ fromSsm: '/registry/token' }));
    assert.equal(error.kind, 'secret');
    assert.match(error.message, /SSM parameter \/registry\/token/);
  });
});

describe('secrets in fetchServices', () => {
  test('a missing variable fails the fetch before any request, naming the variable only', async () => {
    const server = await startServer((_request, response) => sendJson(response, 200, { services: [] }));
    try {
      const source: Source = {
        type: 'kubernetes',
        server: server.url,
        token: { fromEnv: 'SOURCE_SECRET_KUBE_TOKEN' },
      };
      const error = await secretFreeFailure(
        fetchServices(source, {
          resolveSecret: envSecretResolver({ SOURCE_SECRET_OTHER: TOKEN }),
          timeoutMs: 5000,
        }),
      );
      assert.equal(error.kind, 'secret');
      assert.match(error.message, /KUBE_TOKEN/);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });

  test('a failing injected resolver becomes a SourceError naming the reference', async () => {
    const cause = new Error('AccessDeniedException: not authorized to perform ssm:GetParameter');
    const error = await secretFreeFailure(
      fetchServices(
        { type: 'consul', address: 'http://127.0.0.1:9', token: { fromSsm: '/mesh/consul-token' } },
        { resolveSecret: () => Promise.reject(cause), timeoutMs: 5000 },
      ),
    );
    assert.equal(error.kind, 'secret');
    assert.equal(error.message, 'could not resolve secret SSM parameter /mesh/consul-token');
    assert.equal(error.cause, cause);
  });

  test('values are trimmed; a value with an inner line break is refused without showing it', async () => {
    const server = await startServer((request, response) => {
      if (request.headers['x-api-key'] === TOKEN) sendJson(response, 200, { services: [] });
      else sendText(response, 401, 'no');
    });
    try {
      const source: Source = {
        type: 'http',
        url: server.url,
        headers: { 'X-Api-Key': { fromEnv: 'SOURCE_SECRET_KEY' } },
      };
      const ok = await fetchServices(source, {
        resolveSecret: envSecretResolver({ SOURCE_SECRET_KEY: `${TOKEN}\n` }),
        timeoutMs: 5000,
      });
      assert.deepEqual(ok, []);
      const broken = `${TOKEN}\r\nX-Injected: 1`;
      const error = await secretFreeFailure(
        fetchServices(source, {
          resolveSecret: envSecretResolver({ SOURCE_SECRET_KEY: broken }),
          timeoutMs: 5000,
        }),
        TOKEN,
      );
      assert.equal(error.kind, 'secret');
      assert.match(error.message, /environment variable SOURCE_SECRET_KEY contains a line break/);
    } finally {
      await server.close();
    }
  });

  test('an upstream that echoes the secret back cannot make an error show it', async () => {
    // Echoes the header in a 500 body, and as a hostname in an otherwise invalid snapshot.
    const server = await startServer((request, response) => {
      const key = String(request.headers['x-api-key']);
      if (request.url === '/status') sendText(response, 500, `invalid key ${key}`);
      else sendJson(response, 200, { services: [{ hostname: key, ports: [{ port: 0 }] }] });
    });
    try {
      const resolveSecret = envSecretResolver({ SOURCE_SECRET_KEY: TOKEN });
      const headers = { 'X-Api-Key': { fromEnv: 'SOURCE_SECRET_KEY' } };
      const status = await secretFreeFailure(
        fetchServices(
          { type: 'http', url: `${server.url}/status`, headers },
          { resolveSecret, timeoutMs: 5000 },
        ),
      );
      assert.equal(status.kind, 'status');
      // The upstream's words are kept for logs only, and scrubbed there too.
      assert.doesNotMatch(status.message, /invalid key/);
      assert.match(status.detail ?? '', /invalid key \[redacted\]/);
      const invalid = await secretFreeFailure(
        fetchServices(
          { type: 'http', url: `${server.url}/body`, headers },
          { resolveSecret, timeoutMs: 5000 },
        ),
      );
      assert.equal(invalid.kind, 'invalid');
      assert.match(invalid.message, /services\[0\]\.ports\[0\]\.port/);
    } finally {
      await server.close();
    }
  });
});
