/**
 * A user's whole flow over HTTP against the local stack (`npm start`: API Gateway + Lambda emulated by
 * serverless-offline, DynamoDB Local): register, push snapshots, read the merged view, change, delete.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { SHARED_BODY_LIMIT as BODY_LIMIT, sharedStack } from '../../helpers/shared-stack.ts';

let stack: LocalStack;
/** The registries of this flow: the shared stack may hold other files' registries too. */
const MINE = new Set(['cluster-1', 'cluster-2', 'external', 'fine', 'case-a', 'case-b']);

interface Reply {
  status: number;
  headers: Headers;
  body: any;
  raw: Buffer;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${stack.adminToken}`, ...headers } };
  if (body !== undefined) {
    init.body =
      typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${stack.url}${path}`, init);
  const raw = Buffer.from(await response.arrayBuffer());
  const text = raw.toString('utf8');
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: response.status, headers: response.headers, body: onlyMine(parsed), raw };
}

/** The parts of a view or registry list that are this flow's (other files share the stack). */
function onlyMine(body: any): any {
  if (body === null || typeof body !== 'object') return body;
  const mine = (name: unknown) => MINE.has(String(name));
  const result = { ...body };
  if (Array.isArray(body.registries)) result.registries = body.registries.filter((r: any) => mine(r.name));
  if (Array.isArray(body.services)) result.services = body.services.filter((s: any) => mine(s.registry));
  if (Array.isArray(body.conflicts))
    result.conflicts = body.conflicts.filter((c: any) => mine(c.kept?.registry));
  if (Array.isArray(body.errors)) result.errors = body.errors.filter((e: any) => mine(e.registry));
  return result;
}

const HELLO = 'hello.default.svc.cluster.local';
const WORLD = 'world.default.svc.cluster.local';

function assertError(reply: Reply, status: number, code: string) {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body?.error?.code, code, JSON.stringify(reply.body));
  assert.equal(typeof reply.body.error.message, 'string');
  assert.ok(!JSON.stringify(reply.body).includes('    at '), 'no stack trace in a response');
}

describe('a platform team merging two clusters and a static list', () => {
  before(async () => {
    stack = (await sharedStack()).stack;
  });

  test('registers registries in order; an update keeps the position', async () => {
    const c1 = await call('PUT', '/registries/cluster-1', { clusterId: 'cluster-1', provider: 'Kubernetes' });
    const c2 = await call('PUT', '/registries/cluster-2', { clusterId: 'cluster-2', provider: 'Kubernetes' });
    const external = await call('PUT', '/registries/external', { provider: 'static' });
    const updated = await call('PUT', '/registries/cluster-1', {
      clusterId: 'cluster-1',
      provider: 'Kubernetes',
      description: 'primary',
    });
    const list = await call('GET', '/registries');
    assert.deepEqual([c1.status, c2.status, external.status, updated.status], [201, 201, 201, 200]);
    assert.equal(updated.body.position, c1.body.position);
    assert.equal(updated.body.description, 'primary');
    assert.deepEqual(
      list.body.registries.map((r: { name: string }) => r.name),
      ['cluster-1', 'cluster-2', 'external'],
    );
    const one = await call('GET', '/registries/cluster-2');
    assert.equal(one.body.clusterId, 'cluster-2');
    assert.equal(one.body.generation, null);
  });

  test('a registry without a snapshot contributes nothing and shows generation null', async () => {
    const view = await call('GET', '/services');
    assert.equal(view.status, 200);
    assert.deepEqual(view.body.services, []);
    assert.deepEqual(
      view.body.registries.map((r: { generation: null }) => r.generation),
      [null, null, null],
    );
  });

  test('pushes snapshots, one of them gzip-compressed', async () => {
    const first = await call('PUT', '/registries/cluster-1/snapshot', {
      services: [
        { hostname: HELLO, address: '10.0.0.1', ports: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
        { hostname: WORLD, address: '10.0.0.2' },
      ],
    });
    const compressed = gzipSync(
      JSON.stringify({
        services: [
          {
            hostname: HELLO,
            address: '10.1.0.1',
            ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
            endpoints: [{ address: '10.1.1.1', port: 8080 }],
          },
        ],
      }),
    );
    const second = await call('PUT', '/registries/cluster-2/snapshot', compressed, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    const third = await call('PUT', '/registries/external/snapshot', {
      services: [{ hostname: HELLO, address: '192.0.2.10' }],
    });
    assert.deepEqual(first.body, { registry: 'cluster-1', generation: 1, serviceCount: 2 });
    assert.deepEqual(second.body, { registry: 'cluster-2', generation: 1, serviceCount: 1 });
    assert.equal(third.status, 200);
  });

  test('reads the merged view: one clustered hello with both VIPs, the static hello apart, in order', async () => {
    const view = await call('GET', '/services');
    const { services, registries, errors, conflicts } = view.body;
    assert.deepEqual(
      services.map((s: { hostname: string; registry: string }) => [s.hostname, s.registry]),
      [
        [HELLO, 'cluster-1'],
        [WORLD, 'cluster-1'],
        [HELLO, 'external'],
      ],
    );
    assert.deepEqual(services[0].clusterVIPs, { 'cluster-1': '10.0.0.1', 'cluster-2': '10.1.0.1' });
    assert.equal(services[0].address, '10.0.0.1');
    assert.equal(services[2].clusterVIPs, undefined);
    assert.ok(services.every((s: object) => !('endpoints' in s)));
    assert.deepEqual(errors, []);
    assert.deepEqual(conflicts, []);
    assert.deepEqual(
      registries.map((r: { name: string; generation: number; serviceCount: number }) => [
        r.name,
        r.generation,
        r.serviceCount,
      ]),
      [
        ['cluster-1', 1, 2],
        ['cluster-2', 1, 1],
        ['external', 1, 1],
      ],
    );
    assert.ok(registries.every((r: { snapshotAt: string }) => !Number.isNaN(Date.parse(r.snapshotAt))));
  });

  test("GET /services/{hostname} answers as Istio's GetService: an unclustered registry's hit first", async () => {
    const hello = await call('GET', `/services/${HELLO}`);
    const world = await call('GET', `/services/${WORLD}`);
    assert.equal(hello.status, 200);
    assert.equal(hello.body.registry, 'external');
    assert.equal(hello.body.address, '192.0.2.10');
    assert.equal(hello.body.clusterVIPs, undefined);
    // Only when no unclustered registry has it: the entry merged across the clustered ones.
    assert.equal(world.body.registry, 'cluster-1');
    assertError(await call('GET', '/services/nobody.example.com'), 404, 'ServiceNotFound');
  });

  test('the ETag answers 304 until something changes', async () => {
    const first = await call('GET', '/services');
    const etag = first.headers.get('etag') ?? '';
    const again = await call('GET', '/services', undefined, { 'if-none-match': etag });
    await call('PUT', '/registries/cluster-2/snapshot', {
      services: [{ hostname: HELLO, address: '10.1.0.9', resolution: 'DNSLB' }],
    });
    const changed = await call('GET', '/services', undefined, { 'if-none-match': etag });
    assert.ok(etag.length > 2);
    assert.equal(again.status, 304);
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
    assert.ok(changed.body.revision > first.body.revision);
    assert.equal(changed.body.services[0].clusterVIPs['cluster-2'], '10.1.0.9');
    assert.deepEqual(
      changed.body.conflicts.map((c: { field: string }) => c.field),
      ['ports', 'resolution'],
    );
  });

  test('re-ingest with an explicit generation; an older one is refused with 409', async () => {
    const newer = await call('PUT', '/registries/cluster-2/snapshot', {
      generation: 10,
      services: [
        { hostname: HELLO, address: '10.1.0.1', ports: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      ],
    });
    const before = await call('GET', '/services');
    const older = await call('PUT', '/registries/cluster-2/snapshot', { generation: 9, services: [] });
    const same = await call('PUT', '/registries/cluster-2/snapshot', { generation: 10, services: [] });
    const afterwards = await call('GET', '/services');
    assert.equal(newer.body.generation, 10);
    assertError(older, 409, 'StaleGeneration');
    assertError(same, 409, 'StaleGeneration');
    assert.equal(afterwards.headers.get('etag'), before.headers.get('etag'));
  });

  test('compresses the response when the client accepts gzip', async () => {
    const plain = await call('GET', '/services');
    const zipped = await fetch(`${stack.url}/services`, {
      headers: { 'accept-encoding': 'gzip', authorization: `Bearer ${stack.adminToken}` },
    });
    const bytes = Buffer.from(await zipped.arrayBuffer());
    // fetch inflates transparently when it can; accept either, but the header must say gzip.
    assert.equal(zipped.headers.get('content-encoding'), 'gzip');
    const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString() : bytes.toString();
    assert.deepEqual(onlyMine(JSON.parse(text)), plain.body);
  });

  test('every client mistake is a 4xx JSON error and changes nothing', async () => {
    const before = await call('GET', '/services');
    const bomb = gzipSync(Buffer.alloc(BODY_LIMIT * 4, 0x20));
    const cases: [Promise<Reply>, number, string][] = [
      [
        call('PUT', '/registries/cluster-1/snapshot', {
          services: [{ hostname: 'x', ports: [{ port: 0 }] }],
        }),
        400,
        'InvalidBody',
      ],
      [
        call('PUT', '/registries/cluster-1/snapshot', { services: [{ hostname: 'x', clusterID: 'y' }] }),
        400,
        'InvalidBody',
      ],
      [call('PUT', '/registries/cluster-1/snapshot', '{"services": ['), 400, 'MalformedJson'],
      [
        call('PUT', '/registries/cluster-1/snapshot', '{}', { 'content-type': 'text/plain' }),
        415,
        'UnsupportedMediaType',
      ],
      [
        call('PUT', '/registries/cluster-1/snapshot', bomb, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        }),
        413,
        'PayloadTooLarge',
      ],
      [call('PUT', '/registries/cluster-1/snapshot', 'x'.repeat(BODY_LIMIT + 1)), 413, 'PayloadTooLarge'],
      [
        call('PUT', '/registries/cluster-1/snapshot', Buffer.from('not gzip'), {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        }),
        400,
        'InvalidEncoding',
      ],
      [call('PUT', '/registries/nobody/snapshot', { services: [] }), 404, 'RegistryNotFound'],
      [call('PUT', '/registries/Not_A_Label', {}), 400, 'InvalidRegistryName'],
      [call('PUT', '/registries/fine', { clusterId: 'has space' }), 400, 'InvalidBody'],
      [call('PUT', '/registries/fine', { unknown: true }), 400, 'InvalidBody'],
      [call('GET', '/registries/nobody'), 404, 'RegistryNotFound'],
      [call('DELETE', '/registries/nobody'), 404, 'RegistryNotFound'],
      [call('GET', '/services/bad%20host'), 400, 'InvalidHostname'],
    ];
    for (const [reply, status, code] of cases) assertError(await reply, status, code);
    const invalid = await call('PUT', '/registries/cluster-1/snapshot', {
      services: [{ hostname: 'x', ports: [{ port: 0 }] }],
    });
    assert.match(invalid.body.error.message, /services\[0\]\.ports\[0\]\.port/);
    const afterwards = await call('GET', '/services');
    const registries = await call('GET', '/registries');
    assert.equal(afterwards.headers.get('etag'), before.headers.get('etag'));
    assert.deepEqual(afterwards.body, before.body);
    assert.ok(!registries.body.registries.some((r: { name: string }) => r.name === 'fine'));
  });

  test('hostnames differing in case or a trailing dot merge and conflict as one', async () => {
    await call('PUT', '/registries/case-a', { clusterId: 'case-a' });
    await call('PUT', '/registries/case-b', { clusterId: 'case-b' });
    await call('PUT', '/registries/case-a/snapshot', {
      services: [
        { hostname: 'Case.Example.COM.', address: '10.7.0.1', ports: [{ port: 80, protocol: 'HTTP' }] },
      ],
    });
    await call('PUT', '/registries/case-b/snapshot', {
      services: [
        { hostname: 'case.example.com', address: '10.7.0.2', ports: [{ port: 81, protocol: 'HTTP' }] },
      ],
    });
    const view = await call('GET', '/services');
    const byPath = await call('GET', '/services/CASE.example.com.');
    await call('DELETE', '/registries/case-a');
    await call('DELETE', '/registries/case-b');
    const merged = view.body.services.filter((s: { hostname: string }) => s.hostname === 'case.example.com');
    assert.equal(merged.length, 1, JSON.stringify(view.body.services));
    assert.deepEqual(merged[0].clusterVIPs, { 'case-a': '10.7.0.1', 'case-b': '10.7.0.2' });
    assert.deepEqual(
      view.body.conflicts
        .filter((c: { hostname: string }) => c.hostname === 'case.example.com')
        .map((c: { field: string }) => c.field),
      ['ports'],
    );
    assert.equal(byPath.status, 200);
    assert.equal(byPath.body.hostname, 'case.example.com');
  });

  test('GET /health answers ok without a token', async () => {
    const reply = await fetch(`${stack.url}/health`);
    assert.equal(reply.status, 200);
    assert.deepEqual(await reply.json(), { status: 'ok' });
  });

  test('an ingest token on a read route is looked up and refused with 403, not a 500', async () => {
    const created = await call('PUT', '/registries/fine', {});
    const token = created.body.ingestToken;
    const replies = await Promise.all(
      ['/services', `/services/${HELLO}`, '/registries', '/registries/cluster-1'].map((path) =>
        call('GET', path, undefined, { authorization: `Bearer ${token}` }),
      ),
    );
    await call('DELETE', '/registries/fine');
    for (const reply of replies) assertError(reply, 403, 'Forbidden');
  });

  test('deleting a registry takes its services out of the merged view at once', async () => {
    const deleted = await call('DELETE', '/registries/cluster-1');
    const view = await call('GET', '/services');
    assert.equal(deleted.status, 204);
    assert.deepEqual(
      view.body.services.map((s: { hostname: string; registry: string }) => [s.hostname, s.registry]),
      [
        [HELLO, 'cluster-2'],
        [HELLO, 'external'],
      ],
    );
    assert.deepEqual(view.body.services[0].clusterVIPs, { 'cluster-2': '10.1.0.1' });
    const recreated = await call('PUT', '/registries/cluster-1', { clusterId: 'cluster-1' });
    const list = await call('GET', '/registries');
    assert.equal(recreated.status, 201);
    assert.deepEqual(
      list.body.registries.map((r: { name: string }) => r.name),
      ['cluster-2', 'external', 'cluster-1'],
    );
  });
});
