/** The HTTP snapshot adapter against real local servers. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '#lib/limits.ts';
import type { Service } from '#lib/types.ts';
import { envSecretResolver, fetchServices, SourceError } from '../../../functions/sources/index.ts';
import { closedPort, sendJson, sendText, startServer } from './helpers.ts';

const API_KEY = 'sk_live_7d1e9c0b4f2a4e58';
const resolveSecret = envSecretResolver({ SOURCE_SECRET_SNAPSHOT_API_KEY: API_KEY });

const SNAPSHOT: { services: Service[]; generation: number } = {
  generation: 7,
  services: [
    {
      hostname: 'checkout.shop.example',
      address: '10.1.0.5',
      ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
      namespace: 'shop',
      resolution: 'ClientSideLB',
      labels: { app: 'checkout' },
      endpoints: [
        { address: '10.1.1.1', port: 8080, portName: 'http', locality: 'eu-west-1a', healthy: true },
        { address: '10.1.1.2', port: 8080, portName: 'http', locality: 'eu-west-1b', healthy: false },
      ],
    },
    { hostname: 'legacy.example.com', meshExternal: true, resolution: 'DNS' },
  ],
};

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => assert.fail('expected a SourceError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SourceError, `expected a SourceError, got ${String(error)}`);
  assert.equal(error.name, 'SourceError');
  return error;
}

describe('http source', () => {
  test('returns the snapshot, sending plain and secret headers', async () => {
    const server = await startServer((request, response) => {
      if (request.headers.authorization !== `Bearer ${API_KEY}` || request.headers['x-tenant'] !== 'team-a') {
        sendText(response, 401, 'unauthorized');
        return;
      }
      sendJson(response, 200, SNAPSHOT);
    });
    try {
      const services = await fetchServices(
        {
          type: 'http',
          url: `${server.url}/v1/snapshot?region=eu`,
          headers: { Authorization: { fromEnv: 'SOURCE_SECRET_SNAPSHOT_API_KEY' }, 'X-Tenant': 'team-a' },
        },
        {
          // `Bearer <key>`: the env var holds the whole header value, here built by a custom resolver.
          resolveSecret: async (ref) => `Bearer ${await resolveSecret(ref)}`,
          timeoutMs: 5000,
        },
      );
      assert.deepEqual(services, SNAPSHOT.services);
      assert.equal(server.requests[0]?.url.pathname, '/v1/snapshot');
      assert.equal(server.requests[0]?.url.searchParams.get('region'), 'eu');
      assert.equal(server.requests[0]?.headers.accept, 'application/json');
    } finally {
      await server.close();
    }
  });

  test('an invalid body fails and names the field', async () => {
    const server = await startServer((_request, response) => {
      sendJson(response, 200, {
        services: [SNAPSHOT.services[0], { hostname: 'bad.example', ports: [{ port: 70_000 }] }],
      });
    });
    try {
      const error = await failure(
        fetchServices({ type: 'http', url: server.url }, { resolveSecret, timeoutMs: 5000 }),
      );
      assert.equal(error.kind, 'invalid');
      assert.match(
        error.message,
        /invalid snapshot body \(service "bad\.example"\): services\[1\]\.ports\[0\]\.port: Too big/,
      );
    } finally {
      await server.close();
    }
  });

  test('a body of the wrong shape, and one that is not JSON', async () => {
    const bodies = ['{"service": []}', '<html>maintenance</html>'];
    const server = await startServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(bodies[Number(request.url?.slice(1))]);
    });
    try {
      const wrongShape = await failure(
        fetchServices({ type: 'http', url: `${server.url}/0` }, { resolveSecret, timeoutMs: 5000 }),
      );
      assert.equal(wrongShape.kind, 'invalid');
      assert.match(wrongShape.message, /invalid snapshot body: .*services/);
      const notJson = await failure(
        fetchServices({ type: 'http', url: `${server.url}/1` }, { resolveSecret, timeoutMs: 5000 }),
      );
      assert.equal(notJson.kind, 'invalid');
      assert.match(notJson.message, /is not valid JSON/);
    } finally {
      await server.close();
    }
  });

  test('a 500 is a status error with the status only; the body is kept for logs, not the message', async () => {
    const server = await startServer((_request, response) => sendText(response, 500, 'database is down\n'));
    try {
      const error = await failure(
        fetchServices(
          { type: 'http', url: `${server.url}/snap?key=query-secret` },
          { resolveSecret, timeoutMs: 5000 },
        ),
      );
      assert.equal(error.kind, 'status');
      assert.equal(error.status, 500);
      assert.equal(error.message, `HTTP source ${server.url}/snap: HTTP 500 from source`);
      assert.equal(error.detail, 'database is down');
      assert.ok(!error.message.includes('query-secret'), 'the query string is left out of messages');
    } finally {
      await server.close();
    }
  });

  test('a redirect is not followed (it could carry the headers elsewhere)', async () => {
    const server = await startServer((request, response) => {
      if (request.url === '/moved') {
        response.writeHead(302, { location: '/elsewhere' });
        response.end();
      } else sendJson(response, 200, SNAPSHOT);
    });
    try {
      const error = await failure(
        fetchServices({ type: 'http', url: `${server.url}/moved` }, { resolveSecret, timeoutMs: 5000 }),
      );
      assert.equal(error.kind, 'status');
      assert.equal(error.status, 302);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a server that hangs: SourceError within about the timeout, connection dropped', async () => {
    const pending: IncomingMessage[] = [];
    let dropped = false;
    const server = await startServer((request) => {
      pending.push(request);
      request.socket.once('close', () => {
        dropped = true;
      });
    });
    try {
      const started = Date.now();
      const error = await failure(
        fetchServices({ type: 'http', url: server.url }, { resolveSecret, timeoutMs: 250 }),
      );
      const elapsed = Date.now() - started;
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /no answer within 250 ms/);
      assert.ok(elapsed >= 240 && elapsed < 1500, `took ${elapsed} ms`);
      assert.equal(pending.length, 1);
      for (let wait = 0; !dropped && wait < 40; wait += 1)
        await new Promise((resolve) => setTimeout(resolve, 25));
      assert.ok(dropped, 'the client aborts the request');
    } finally {
      await server.close();
    }
  });

  test('a body that arrives too slowly also times out', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"services": [');
    });
    try {
      const error = await failure(
        fetchServices({ type: 'http', url: server.url }, { resolveSecret, timeoutMs: 250 }),
      );
      assert.equal(error.kind, 'timeout');
    } finally {
      await server.close();
    }
  });

  test("the caller's signal cancels the fetch", async () => {
    const server = await startServer(() => {});
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const error = await failure(
        fetchServices(
          { type: 'http', url: server.url },
          { resolveSecret, timeoutMs: 5000, signal: controller.signal },
        ),
      );
      assert.equal(error.kind, 'aborted');
    } finally {
      await server.close();
    }
  });

  test('a body larger than limits.maxBodyBytes is refused', async () => {
    const server = await startServer((_request, response) => sendJson(response, 200, SNAPSHOT));
    try {
      const error = await failure(
        fetchServices(
          { type: 'http', url: server.url },
          { resolveSecret, timeoutMs: 5000, limits: { ...DEFAULT_LIMITS, maxBodyBytes: 100 } },
        ),
      );
      assert.equal(error.kind, 'invalid');
      assert.match(error.message, /larger than 100 bytes/);
    } finally {
      await server.close();
    }
  });

  test('an unreachable server', async () => {
    const port = await closedPort();
    const error = await failure(
      fetchServices(
        { type: 'http', url: `http://127.0.0.1:${port}/snap` },
        { resolveSecret, timeoutMs: 5000 },
      ),
    );
    assert.equal(error.kind, 'unreachable');
    assert.match(
      error.message,
      /^HTTP source http:\/\/127\.0\.0\.1:\d+\/snap: could not connect \(ECONNREFUSED\)$/,
    );
  });

  test('an invalid source configuration is refused before any request', async () => {
    const error = await failure(
      fetchServices({ type: 'http', url: 'file:///etc/passwd' }, { resolveSecret, timeoutMs: 5000 }),
    );
    assert.equal(error.kind, 'config');
    assert.match(error.message, /url: must be an http:\/\/ or https:\/\/ URL/);
  });
});
