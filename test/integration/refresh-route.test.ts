/**
 * POST /registries/{name}/refresh in-process: the route authorises, then asks the refresh worker (here
 * called in-process instead of through Lambda) and answers what it says. A real local source server,
 * the in-memory store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { httpEvent, lambdaContext } from '../helpers/http-event.ts';
import { sendJson, startServer } from './sources/helpers.ts';

process.env.ADMIN_TOKEN = 'admin-token-for-refresh-route';
process.env.READER_TOKEN = 'reader-token-for-refresh-route';
const { makeHandler } = await import('../../functions/refresh/post-refresh.ts');
const { makeWorker } = await import('../../functions/refresh/worker.ts');
const { envSecretResolver } = await import('../../functions/sources/index.ts');

function route() {
  const store = new MemoryRegistryStore();
  const worker = makeWorker({
    store,
    resolveSecret: envSecretResolver({}),
    timeoutMs: 2_000,
    concurrency: 1,
  });
  const asked: unknown[] = [];
  const handler = makeHandler({
    invokeWorker: async (request) => {
      asked.push(request);
      return (await worker(request)) as Awaited<
        ReturnType<Parameters<typeof makeHandler>[0]['invokeWorker']>
      >;
    },
  });
  const post = (name: string, token?: string) =>
    handler(
      httpEvent({
        method: 'POST',
        route: '/registries/{name}/refresh',
        path: `/registries/${name}/refresh`,
        pathParameters: { name },
        ...(token === undefined ? {} : { token }),
      }),
      lambdaContext(),
    );
  return { store, asked, post };
}

describe('POST /registries/{name}/refresh', () => {
  test('an admin refresh is done by the worker and answered with its outcome', async () => {
    // Prepare
    const source = await startServer((_req, res) =>
      sendJson(res, 200, { services: [{ hostname: 'a.example.com' }] }),
    );
    const { store, asked, post } = route();
    await store.putRegistry('pulled', { source: { type: 'http', url: source.url } });

    // Act
    const response = await post('pulled', process.env.ADMIN_TOKEN);
    await source.close();

    // Assess
    assert.equal(response.statusCode, 200);
    assert.deepEqual(JSON.parse(String(response.body)), {
      registry: 'pulled',
      outcome: 'updated',
      generation: 1,
    });
    assert.deepEqual(asked, [{ registry: 'pulled' }]);
  });

  test('a reader is refused before the worker is asked', async () => {
    const { asked, post } = route();
    const response = await post('pulled', process.env.READER_TOKEN);
    assert.equal(response.statusCode, 403);
    assert.deepEqual(asked, []);
  });

  test('a push-only registry is 409 NoSource, an unknown one 404', async () => {
    const { store, post } = route();
    await store.putRegistry('pushed', {});
    const pushOnly = await post('pushed', process.env.ADMIN_TOKEN);
    const unknown = await post('nobody', process.env.ADMIN_TOKEN);
    assert.equal(pushOnly.statusCode, 409);
    assert.equal(JSON.parse(String(pushOnly.body)).error.code, 'NoSource');
    assert.equal(unknown.statusCode, 404);
  });
});
