/** GET /health in process: ok when the store answers, 503 naming nothing when it does not. */
// First: the configuration handler modules read when they load.
import '../helpers/handler-env.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeHandler } from '#http/health.ts';
import { StoreUnavailableError } from '#store/errors.ts';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { checkResponse } from '../helpers/contract.ts';
import { httpEvent, lambdaContext } from '../helpers/http-event.ts';

const event = () => httpEvent({ method: 'GET', route: '/health' });

test('answers 200 {status: "ok"} without a token when the store answers', async () => {
  const store = new MemoryRegistryStore();
  await store.putRegistry('secret-name', {});
  const reply = await makeHandler({ store })(event(), lambdaContext());
  assert.equal(reply.statusCode, 200);
  assert.deepEqual(JSON.parse(reply.body ?? ''), { status: 'ok' });
  assert.ok(!reply.body?.includes('secret-name'));
  checkResponse('GET /health', {
    status: 200,
    headers: new Headers(reply.headers as Record<string, string>),
    text: reply.body ?? '',
  });
});

test('answers 503 {status: "unavailable"} when the store does not, with no detail', async () => {
  const store = {
    currentRevision: async () => {
      throw new StoreUnavailableError({ cause: new Error('connect ECONNREFUSED 10.0.0.5:8000') });
    },
  };
  const reply = await makeHandler({ store })(event(), lambdaContext());
  assert.equal(reply.statusCode, 503);
  assert.deepEqual(JSON.parse(reply.body ?? ''), { status: 'unavailable' });
  assert.equal(reply.headers?.['Retry-After'], '1');
  checkResponse('GET /health', {
    status: 503,
    headers: new Headers(reply.headers as Record<string, string>),
    text: reply.body ?? '',
  });
});
