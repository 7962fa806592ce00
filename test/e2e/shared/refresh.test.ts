/**
 * A registry pulled from an HTTP source, over the local stack's HTTP API: a snapshot, a changed one, a
 * failure, a hang past the timeout; generations, status, lastError and last-known-good at each step.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callApi } from '../../helpers/api.ts';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { SHARED_REFRESH_TIMEOUT_MS, sharedStack } from '../../helpers/shared-stack.ts';
import { sendJson, startServer, type TestServer } from '../../integration/sources/helpers.ts';

const TIMEOUT_MS = SHARED_REFRESH_TIMEOUT_MS;
let stack: LocalStack;
let source: TestServer;
let phase: 'a' | 'b' | 'fail' | 'hang' = 'a';

before(async () => {
  source = await startServer((_req, res) => {
    if (phase === 'hang') return;
    if (phase === 'fail') return sendJson(res, 503, { message: 'upstream down' });
    sendJson(res, 200, { services: [{ hostname: `${phase}.example.com`, address: '10.9.0.1' }] });
  });
  stack = (await sharedStack()).stack;
});
after(async () => {
  await source?.close();
});

const call = (method: string, path: string, body?: unknown) =>
  callApi(stack.url, method, path, { token: stack.adminToken, body });

async function view() {
  const { body } = await call('GET', '/services');
  const registry = body.registries.find((r: { name: string }) => r.name === 'pulled');
  return {
    registry,
    hostnames: body.services.map((s: { hostname: string }) => s.hostname),
    errors: body.errors,
  };
}

describe('a registry pulled from an HTTP source', () => {
  test('is registered with its source and refresh settings; header values are never shown', async () => {
    const created = await call('PUT', '/registries/pulled', {
      source: { type: 'http', url: `${source.url}/snapshot`, headers: { 'X-Team': 'mesh' } },
      refreshSeconds: 3600,
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.source, {
      type: 'http',
      url: `${source.url}/snapshot`,
      headers: { 'X-Team': '[hidden]' },
    });
    assert.equal(created.body.refreshSeconds, 3600);
  });

  test('first refresh stores generation 1', async () => {
    const refreshed = await call('POST', '/registries/pulled/refresh');
    const { registry, hostnames } = await view();
    assert.equal(refreshed.status, 200);
    // The stack's own every-minute schedule may refresh the new (due) registry at the same moment; then
    // one of the two stores generation 1 and the other finds it unchanged, never a second generation.
    assert.equal(refreshed.body.generation, 1);
    assert.ok(['updated', 'unchanged'].includes(refreshed.body.outcome), refreshed.body.outcome);
    assert.equal(registry.status, 'ok');
    assert.deepEqual(hostnames, ['a.example.com']);
  });

  test('changed content stores generation 2; the same content again stores nothing', async () => {
    phase = 'b';
    const changed = await call('POST', '/registries/pulled/refresh');
    const same = await call('POST', '/registries/pulled/refresh');
    const { registry, hostnames } = await view();
    assert.deepEqual(changed.body, { registry: 'pulled', outcome: 'updated', generation: 2 });
    assert.deepEqual(same.body, { registry: 'pulled', outcome: 'unchanged', generation: 2 });
    assert.equal(registry.generation, 2);
    // Check times are on GET /registries/{name}; GET /services shows only what its revision follows.
    const { body: record } = await call('GET', '/registries/pulled');
    assert.ok(record.checkedAt > registry.snapshotAt);
    assert.deepEqual(hostnames, ['b.example.com']);
  });

  test('a failing source keeps the last good snapshot and shows the error', async () => {
    phase = 'fail';
    const failed = await call('POST', '/registries/pulled/refresh');
    const { registry, hostnames, errors } = await view();
    assert.equal(failed.status, 200);
    assert.equal(failed.body.outcome, 'failed');
    assert.equal(failed.body.generation, 2);
    assert.match(failed.body.error, /503/);
    assert.equal(registry.status, 'error');
    assert.match(registry.lastError, /503/);
    assert.equal(registry.generation, 2);
    assert.deepEqual(hostnames, ['b.example.com']);
    assert.deepEqual(errors, []);
  });

  test('a source that hangs fails after the timeout, and last-known-good is still served', async () => {
    phase = 'hang';
    const started = Date.now();
    const hung = await call('POST', '/registries/pulled/refresh');
    const took = Date.now() - started;
    const { registry, hostnames } = await view();
    assert.equal(hung.body.outcome, 'failed');
    assert.match(hung.body.error, /no answer within 1500 ms/);
    assert.ok(took < TIMEOUT_MS + 5_000, `took ${took} ms`);
    assert.equal(registry.status, 'error');
    assert.deepEqual(hostnames, ['b.example.com']);
  });

  test('recovers when the source answers again', async () => {
    phase = 'b';
    const back = await call('POST', '/registries/pulled/refresh');
    const { registry } = await view();
    assert.deepEqual(back.body, { registry: 'pulled', outcome: 'unchanged', generation: 2 });
    assert.equal(registry.status, 'ok');
    assert.equal(registry.lastError, null);
  });

  test('refreshing a push-only or unknown registry is refused', async () => {
    await call('PUT', '/registries/pushed', {});
    const pushOnly = await call('POST', '/registries/pushed/refresh');
    const unknown = await call('POST', '/registries/nobody/refresh');
    const badSource = await call('PUT', '/registries/bad', { source: { type: 'http', url: 'ftp://x' } });
    const inlineSecret = await call('PUT', '/registries/bad', {
      source: { type: 'consul', address: 'http://127.0.0.1:8500', token: 'plain-secret' },
    });
    assert.equal(pushOnly.status, 409);
    assert.equal(pushOnly.body.error.code, 'NoSource');
    assert.equal(unknown.status, 404);
    assert.equal(badSource.status, 400);
    assert.equal(inlineSecret.status, 400);
    assert.ok(!JSON.stringify(inlineSecret.body).includes('plain-secret'));
  });
});
