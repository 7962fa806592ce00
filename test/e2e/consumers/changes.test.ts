/**
 * The merged view's change detection over the local stack (`npm start`): an unchanged refresh keeps
 * the ETag, the change feed after pushes and a delete, the long-poll, and its 400/410 answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callApi } from '../../helpers/api.ts';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { sharedStack } from '../../helpers/shared-stack.ts';
import { sendJson, startServer, type TestServer } from '../../integration/sources/helpers.ts';

let stack: LocalStack;
let source: TestServer;

before(async () => {
  source = await startServer((_req, res) => {
    sendJson(res, 200, { services: [{ hostname: 'pulled.example.com', address: '10.9.0.1' }] });
  });
  stack = (await sharedStack('consumers')).stack;
});
after(async () => {
  await source?.close();
});

const call = (method: string, path: string, body?: unknown) =>
  callApi(stack.url, method, path, { token: stack.adminToken, body });

async function etagOf(headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.url}/services`, {
    headers: { authorization: `Bearer ${stack.adminToken}`, ...headers },
  });
  await response.arrayBuffer();
  return { status: response.status, etag: response.headers.get('etag') ?? '' };
}

describe('change detection over the local stack', () => {
  test('a refresh that finds the same content keeps the ETag, answered 304', async () => {
    await call('PUT', '/registries/pulled', { source: { type: 'http', url: `${source.url}/snapshot` } });
    await call('POST', '/registries/pulled/refresh');
    const before = await etagOf();

    const refreshed = await call('POST', '/registries/pulled/refresh');
    const after = await etagOf({ 'if-none-match': before.etag });

    assert.equal(refreshed.body.outcome, 'unchanged');
    assert.equal(after.status, 304);
    assert.equal(after.etag, before.etag);
  });

  test('the feed lists pushes and a delete since a revision', async () => {
    const since = (await call('GET', '/services')).body.revision;
    await call('PUT', '/registries/feed', {});
    await call('PUT', '/registries/feed/snapshot', {
      services: [{ hostname: 'a.example.com', address: '10.0.0.1' }],
    });
    const pushed = await call('GET', `/changes?since=${since}`);
    await call('DELETE', '/registries/feed');
    const deleted = await call('GET', `/changes?since=${pushed.body.revision}`);

    assert.equal(pushed.status, 200);
    assert.deepEqual(
      pushed.body.changes.map((c: { id: string; change: string }) => [c.id, c.change]),
      [['feed/a.example.com', 'added']],
    );
    assert.deepEqual(
      deleted.body.changes.map((c: { id: string; change: string }) => [c.id, c.change]),
      [['feed/a.example.com', 'removed']],
    );
    assert.deepEqual(deleted.body.registries, [{ name: 'feed', change: 'removed' }]);
  });

  test('a long-poll answers within about a second of the next push', async () => {
    await call('PUT', '/registries/poll', {});
    const since = (await call('GET', '/services')).body.revision;
    let pushedAt = 0;
    const push = new Promise<void>((resolve) =>
      setTimeout(async () => {
        pushedAt = Date.now();
        await call('PUT', '/registries/poll/snapshot', { services: [{ hostname: 'p.example.com' }] });
        resolve();
      }, 2_000),
    );

    const answer = await call('GET', `/changes?since=${since}&wait=15`);
    const answeredAt = Date.now();
    await push;

    assert.equal(answer.status, 200);
    assert.ok(pushedAt > 0);
    assert.ok(answeredAt - pushedAt < 1_500, `${answeredAt - pushedAt} ms after the push began`);
    assert.equal(answer.body.changes[0].id, 'poll/p.example.com');
  });

  test('a long-poll without a change holds wait seconds and answers no changes', async () => {
    const since = (await call('GET', '/services')).body.revision;
    const started = Date.now();
    const answer = await call('GET', `/changes?since=${since}&wait=2`);
    const held = Date.now() - started;
    assert.ok(held >= 1_900, `held ${held} ms`);
    assert.deepEqual(answer.body, { from: since, revision: since, changes: [], registries: [] });
  });

  test('answers 400 to a malformed since and 410 to a revision not reached yet', async () => {
    const malformed = await call('GET', '/changes?since=abc');
    const future = await call('GET', '/changes?since=999999');
    assert.equal(malformed.status, 400);
    assert.equal(future.status, 410);
    assert.equal(future.body.error.code, 'RevisionNotReached');
  });
});
