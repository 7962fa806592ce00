/**
 * The transport every adapter goes through, tried on all three source types with real local servers:
 * no redirect is followed (the Kubernetes client's own fetch would follow them), every body is
 * capped after decompression, and what an upstream says in a refused answer never reaches the message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DEFAULT_LIMITS, type Limits } from '#lib/limits.ts';
import type { Source } from '#lib/source-schema.ts';
import { envSecretResolver, fetchServices, SourceError } from '../../../functions/sources/index.ts';
import { startServer, type TestServer } from './helpers.ts';

const TOKEN = 'transport-test-token-value';
const resolveSecret = envSecretResolver({ SOURCE_SECRET_TOKEN: TOKEN });

function sourcesAt(base: string): Source[] {
  return [
    { type: 'http', url: `${base}/snapshot` },
    { type: 'consul', address: base, token: { fromEnv: 'SOURCE_SECRET_TOKEN' } },
    { type: 'kubernetes', server: base, token: { fromEnv: 'SOURCE_SECRET_TOKEN' } },
  ];
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => assert.fail('expected the fetch to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SourceError, `expected a SourceError, got ${String(error)}`);
  return error;
}

/** Every source type, pointed at `server`, fails as invalid on the 4 MiB body limit; the server is closed. */
async function assertEverySourceRefusesAsTooLarge(server: TestServer, limits: Limits): Promise<void> {
  try {
    for (const config of sourcesAt(server.url)) {
      // Act
      const error = await failure(fetchServices(config, { resolveSecret, timeoutMs: 5000, limits }));

      // Assess
      assert.equal(error.kind, 'invalid', `${config.type}: ${error.message}`);
      assert.match(error.message, /is larger than 4194304 bytes/, config.type);
    }
  } finally {
    await server.close();
  }
}

describe('redirects', () => {
  for (const status of [301, 302, 307, 308]) {
    test(`a ${status} to the metadata address is refused by every source type, Kubernetes included`, async () => {
      // Prepare: a source that redirects everything; the body says what a followed redirect would leak.
      const source = await startServer((_request, response) => {
        response.writeHead(status, {
          location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/role',
          'content-type': 'text/plain',
        });
        response.end('REDIRECT-BODY-SECRET');
      });
      try {
        for (const config of sourcesAt(source.url)) {
          // Act
          const error = await failure(fetchServices(config, { resolveSecret, timeoutMs: 3000 }));

          // Assess
          assert.equal(error.kind, 'status', `${config.type}: ${error.message}`);
          assert.equal(error.status, status);
          assert.match(error.message, /a redirect, which is not followed/);
          assert.ok(!inspect(error, { depth: 10 }).includes('REDIRECT-BODY-SECRET'), config.type);
        }
      } finally {
        await source.close();
      }
    });
  }

  test('a redirect to an allowed host is not followed either: the target sees no request', async () => {
    // Prepare
    const target = await startServer((_request, response) => response.end('TARGET-BODY'));
    const source = await startServer((_request, response) => {
      response.writeHead(307, { location: `${target.url}/api/v1/services` });
      response.end();
    });
    try {
      for (const config of sourcesAt(source.url)) {
        // Act
        const error = await failure(fetchServices(config, { resolveSecret, timeoutMs: 3000 }));

        // Assess
        assert.equal(error.status, 307, config.type);
      }
      assert.equal(target.requests.length, 0, 'a redirect carries our headers; it must not be followed');
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });
});

describe('body size', () => {
  const limits = { ...DEFAULT_LIMITS, maxBodyBytes: 4 * 1024 * 1024 };

  test('an 8 MiB answer is refused by every source type, as a Kubernetes list too', async () => {
    // Prepare: 8 MiB of valid JSON in each source's shape.
    const filler = 'x'.repeat(8 * 1024 * 1024);
    const server = await startServer((_request, response, url) => {
      const body = url.pathname.startsWith('/v1/catalog')
        ? { web: [filler] }
        : url.pathname.startsWith('/api')
          ? { kind: 'ServiceList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: filler } }] }
          : { services: [{ hostname: 'a.example.com', labels: { filler } }] };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    await assertEverySourceRefusesAsTooLarge(server, limits);
  });

  test('a gzip bomb (about 64 KB inflating to 64 MiB) is refused on its inflated size', async () => {
    // Prepare: JSON whose string of zeros compresses about 1000:1; no Content-Length to check.
    const inflated = Buffer.concat([
      Buffer.from('{"kind":"ServiceList","apiVersion":"v1","metadata":{},"items":[],"services":[],"x":"'),
      Buffer.alloc(64 * 1024 * 1024, 0x30),
      Buffer.from('"}'),
    ]);
    const bomb = gzipSync(inflated);
    assert.ok(bomb.length < 100 * 1024, `the bomb is ${bomb.length} bytes`);
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      response.end(bomb);
    });
    await assertEverySourceRefusesAsTooLarge(server, limits);
  });
});

describe('all answers of one fetch together', () => {
  test('a Kubernetes list paged into answers under the cap cannot add up past 4 × the cap', async () => {
    // Prepare: 900 KiB pages with a continue token each, under a 1 MiB cap per answer.
    const limits = { ...DEFAULT_LIMITS, maxBodyBytes: 1024 * 1024 };
    const filler = 'x'.repeat(900 * 1024);
    const server = await startServer((_request, response, url) => {
      const page = Number(url.searchParams.get('continue') ?? '0');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          kind: 'ServiceList',
          apiVersion: 'v1',
          metadata: { continue: String(page + 1) },
          items: [{ metadata: { name: `s${page}`, namespace: 'n', annotations: { filler } } }],
        }),
      );
    });
    try {
      // Act
      const error = await failure(
        fetchServices(
          { type: 'kubernetes', server: server.url, token: { fromEnv: 'SOURCE_SECRET_TOKEN' } },
          { resolveSecret, timeoutMs: 10_000, limits },
        ),
      );

      // Assess
      assert.equal(error.kind, 'invalid');
      assert.match(error.message, /the answers add up to more than 4194304 bytes/);
      assert.ok(server.requests.length < 12, `${server.requests.length} requests`);
    } finally {
      await server.close();
    }
  });
});
