/**
 * Every client mistake on the routes of the edge, in process: the exact status and code, our error
 * shape, and nothing stored changed. Plus what was a mistake before and is not: a `__proto__` key
 * (the schema names it), hostnames differing in case or a trailing dot (one name).
 */
// First: the configuration handler modules read when they load.
import '../helpers/handler-env.ts';
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { ADMIN, BODY_LIMIT, captureLogs } from '../helpers/handler-env.ts';
import { type InProcessApi, inProcessApi } from '../helpers/in-process-api.ts';
import { errorShapeProblem, type RawReply } from '../helpers/raw-http.ts';
import { dumpStore } from '../helpers/store-dump.ts';

let store: MemoryRegistryStore;
let api: InProcessApi;

beforeEach(async () => {
  store = new MemoryRegistryStore();
  api = await inProcessApi(store);
  await send('PUT', '/registries/cluster-1', { clusterId: 'cluster-1' });
  await send('PUT', '/registries/cluster-1/snapshot', { services: [{ hostname: 'hello.example.com' }] });
});

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const bytes =
    body === undefined
      ? undefined
      : typeof body === 'string' || body instanceof Uint8Array
        ? body
        : JSON.stringify(body);
  return api.send({
    method,
    path,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(bytes === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(bytes === undefined ? {} : { body: bytes }),
  });
}

function assertError(reply: RawReply, status: number, code: string, what: string) {
  assert.equal(reply.status, status, `${what}: ${reply.text}`);
  assert.equal(errorShapeProblem(reply), undefined, what);
  assert.equal(reply.json.error.code, code, `${what}: ${reply.text}`);
  assert.deepEqual(Object.keys(reply.json), ['error']);
  assert.deepEqual(Object.keys(reply.json.error).sort(), ['code', 'message']);
  assert.equal(reply.headers['content-type'], 'application/json', what);
}

const GZIP = { 'content-type': 'application/json', 'content-encoding': 'gzip' };

describe('client mistakes', () => {
  test('each is a 4xx with its own code, our error shape, and changes nothing', async () => {
    const before = await dumpStore(store);
    const cases: [string, Promise<RawReply>, number, string][] = [
      [
        'port 0',
        send('PUT', '/registries/cluster-1/snapshot', {
          services: [{ hostname: 'x', ports: [{ port: 0 }] }],
        }),
        400,
        'InvalidBody',
      ],
      [
        'unknown field',
        send('PUT', '/registries/cluster-1/snapshot', { services: [{ hostname: 'x', clusterID: 'y' }] }),
        400,
        'InvalidBody',
      ],
      [
        'truncated JSON',
        send('PUT', '/registries/cluster-1/snapshot', '{"services": ['),
        400,
        'MalformedJson',
      ],
      [
        'text/plain',
        send('PUT', '/registries/cluster-1/snapshot', '{}', { 'content-type': 'text/plain' }),
        415,
        'UnsupportedMediaType',
      ],
      [
        'gzip bomb',
        send('PUT', '/registries/cluster-1/snapshot', gzipSync(Buffer.alloc(BODY_LIMIT * 4, 0x20)), GZIP),
        413,
        'PayloadTooLarge',
      ],
      [
        'over the limit',
        send('PUT', '/registries/cluster-1/snapshot', 'x'.repeat(BODY_LIMIT + 1)),
        413,
        'PayloadTooLarge',
      ],
      [
        'not gzip',
        send('PUT', '/registries/cluster-1/snapshot', Buffer.from('not gzip'), GZIP),
        400,
        'InvalidEncoding',
      ],
      [
        'brotli',
        send('PUT', '/registries/cluster-1/snapshot', '{}', { 'content-encoding': 'br' }),
        415,
        'UnsupportedContentEncoding',
      ],
      ['no body', send('PUT', '/registries/cluster-1/snapshot'), 400, 'MissingBody'],
      ['empty body', send('PUT', '/registries/cluster-1/snapshot', ''), 400, 'MissingBody'],
      ['empty gzip', send('PUT', '/registries/cluster-1/snapshot', gzipSync(''), GZIP), 400, 'MissingBody'],
      ['empty registry body', send('PUT', '/registries/fine', ''), 400, 'MissingBody'],
      [
        'too deep',
        send('PUT', '/registries/cluster-1/snapshot', `{"services":${'['.repeat(100)}${']'.repeat(100)}}`),
        400,
        'TooDeep',
      ],
      [
        'duplicate key',
        send('PUT', '/registries/cluster-1/snapshot', '{"services":[],"services":[]}'),
        400,
        'DuplicateKey',
      ],
      [
        'unknown registry',
        send('PUT', '/registries/nobody/snapshot', { services: [] }),
        404,
        'RegistryNotFound',
      ],
      [
        'stale generation',
        send('PUT', '/registries/cluster-1/snapshot', { services: [], generation: 1 }),
        409,
        'StaleGeneration',
      ],
      ['bad registry name', send('PUT', '/registries/Not_A_Label', {}), 400, 'InvalidRegistryName'],
      ['bad cluster id', send('PUT', '/registries/fine', { clusterId: 'has space' }), 400, 'InvalidBody'],
      ['unknown registry field', send('PUT', '/registries/fine', { unknown: true }), 400, 'InvalidBody'],
      ['get unknown', send('GET', '/registries/nobody'), 404, 'RegistryNotFound'],
      ['delete unknown', send('DELETE', '/registries/nobody'), 404, 'RegistryNotFound'],
      ['rotate unknown', send('POST', '/registries/nobody/token'), 404, 'RegistryNotFound'],
    ];
    for (const [what, reply, status, code] of cases) assertError(await reply, status, code, what);
    const invalid = await send('PUT', '/registries/cluster-1/snapshot', {
      services: [{ hostname: 'x', ports: [{ port: 0 }] }],
    });
    assert.match(invalid.json.error.message, /services\[0\]\.ports\[0\]\.port/);
    assert.equal(await dumpStore(store), before);
  });

  test('valid JSON with a __proto__ key is answered by the schema, naming the key', async () => {
    const before = await dumpStore(store);
    const snapshot = await send(
      'PUT',
      '/registries/cluster-1/snapshot',
      '{"services":[],"__proto__":{"x":1}}',
    );
    const registry = await send('PUT', '/registries/fine', '{"__proto__":{"clusterId":"c1"}}');
    for (const reply of [snapshot, registry]) {
      assertError(reply, 400, 'InvalidBody', '__proto__');
      assert.match(reply.json.error.message, /__proto__/);
    }
    assert.equal(await dumpStore(store), before);
  });

  test('an AWS call the role does not allow is a logged error and a 500 Internal that says nothing more', async () => {
    store.listRegistries = async () => {
      throw Object.assign(new Error('User: arn:aws:sts::1:assumed-role/x is not authorized'), {
        name: 'AccessDeniedException',
      });
    };
    let reply: RawReply | undefined;
    const lines = await captureLogs(async () => {
      reply = await send('GET', '/registries');
    });
    assert.ok(reply);
    assertError(reply, 500, 'Internal', 'AccessDenied');
    assert.doesNotMatch(reply.text, /arn:|AccessDenied/);
    const errors = lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 'ERROR');
    assert.equal(errors.length, 1, lines.join('\n'));
    assert.equal(errors[0].error.name, 'AccessDeniedException');
    assert.equal(typeof errors[0].function_request_id, 'string');
  });
});

describe('hostnames', () => {
  test('differing only in case or a trailing dot are stored as one name', async () => {
    await send('PUT', '/registries/cluster-2', { clusterId: 'cluster-2' });
    const first = await send('PUT', '/registries/cluster-1/snapshot', {
      services: [{ hostname: 'Hello.Example.COM.', address: '10.0.0.1' }],
    });
    const second = await send('PUT', '/registries/cluster-2/snapshot', {
      services: [{ hostname: 'hello.example.com', address: '10.1.0.1' }],
    });
    const registries = await store.listRegistries();
    const snapshots = await store.loadSnapshots(registries.map((r) => r.snapshot?.id ?? ''));
    assert.deepEqual([first.status, second.status], [200, 200]);
    assert.deepEqual(
      [...snapshots.values()].map((services) => services.map((s) => s.hostname)),
      [['hello.example.com'], ['hello.example.com']],
    );
  });

  test('a path parameter in another case or with a trailing dot names the same service', async () => {
    const { hostnameParam } = await import('#http/params.ts');
    const event = (hostname: string) => ({ pathParameters: { hostname } }) as never;
    assert.equal(hostnameParam(event('Hello.Example.COM.')), 'hello.example.com');
    assert.equal(hostnameParam(event('hello.example.com')), 'hello.example.com');
    assert.throws(() => hostnameParam(event('hello..com')), { code: 'InvalidHostname' });
  });
});
