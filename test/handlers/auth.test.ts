/**
 * Access control, in process, for every route of the route table: admin, reader, the registry's own
 * ingest token, another registry's, unknown tokens and none, with PUBLIC_READ off and on; refused
 * writes change nothing; answers never reveal whether a registry exists; rotation; the request log
 * names the principal and never a token.
 */
// First: the configuration handler modules read when they load.
import '../helpers/handler-env.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { ADMIN, captureLogs, READER } from '../helpers/handler-env.ts';
import { httpEvent, lambdaContext } from '../helpers/http-event.ts';
import { EXAMPLE_PARAMETERS, ROUTES, type Route, type RouteScope, routeKey } from '../helpers/routes.ts';
import { dumpStore } from '../helpers/store-dump.ts';

type Who = 'admin' | 'reader' | 'own' | 'other' | 'forged' | 'unknown' | 'none';
const WHO: Who[] = ['admin', 'reader', 'own', 'other', 'forged', 'unknown', 'none'];

/** What each credential must get from a route of each scope: allowed, or the refusal's status. */
function expected(scope: RouteScope, who: Who, publicRead: boolean): 'allowed' | 401 | 403 {
  if (scope === 'none') return 'allowed';
  if (who === 'forged' || who === 'unknown') return 401;
  if (who === 'none') return scope === 'read' && publicRead ? 'allowed' : 401;
  if (who === 'admin') return 'allowed';
  if (scope === 'read') return who === 'reader' ? 'allowed' : 403;
  if (scope === 'ingest') return who === 'own' ? 'allowed' : 403;
  return 403;
}

/** A store with registries alpha (with a snapshot) and beta; the ingest tokens of both. */
async function seeded() {
  const store = new MemoryRegistryStore();
  const put = (await import('../../functions/registries/put-registry.ts')).makeHandler({ store });
  const create = async (name: string) => {
    const reply = await put(
      httpEvent({
        method: 'PUT',
        route: '/registries/{name}',
        pathParameters: { name },
        token: ADMIN,
        body: {},
      }),
      lambdaContext(),
    );
    assert.equal(reply.statusCode, 201, reply.body);
    return JSON.parse(reply.body ?? '{}').ingestToken as string;
  };
  const tokens = { alpha: await create('alpha'), beta: await create('beta') };
  await store.putSnapshot('alpha', [{ hostname: 'alpha-0.example.com', address: '10.0.0.1' }]);
  return { store, tokens };
}

function tokenOf(who: Who, tokens: { alpha: string; beta: string }): string | undefined {
  return {
    admin: ADMIN,
    reader: READER,
    own: tokens.alpha,
    other: tokens.beta,
    forged: `alpha.${'x'.repeat(43)}`,
    unknown: 'nobody-has-this-token',
    none: undefined,
  }[who];
}

async function call(route: Route, store: MemoryRegistryStore, token: string | undefined, name = 'alpha') {
  const handler = (await route.load()).makeHandler({ store });
  const parameters = Object.fromEntries(
    [...route.route.matchAll(/\{(\w+)\}/g)].map(([, key = '']) => [
      key,
      key === 'name' ? name : (EXAMPLE_PARAMETERS[key] ?? 'x'),
    ]),
  );
  const path = route.route.replace(/\{(\w+)\}/g, (_, key: string) => parameters[key] ?? 'x');
  const reply = await handler(
    httpEvent({
      method: route.method,
      route: route.route,
      path,
      pathParameters: parameters,
      ...(token === undefined ? {} : { token }),
      ...(route.body === undefined ? {} : { body: route.body as object }),
    }),
    lambdaContext(),
  );
  return {
    status: reply.statusCode ?? 0,
    body: reply.body ? JSON.parse(reply.body) : undefined,
    headers: reply.headers ?? {},
  };
}

for (const publicRead of [false, true]) {
  describe(`access control with PUBLIC_READ=${publicRead}`, () => {
    before(() => {
      if (publicRead) process.env.PUBLIC_READ = 'true';
    });
    after(() => {
      delete process.env.PUBLIC_READ;
    });

    test('every route answers each credential as its scope says; refusals change nothing', async () => {
      let checked = 0;
      for (const route of ROUTES) {
        for (const who of WHO) {
          const { store, tokens } = await seeded();
          const before = await dumpStore(store);
          const reply = await call(route, store, tokenOf(who, tokens));
          const want = expected(route.scope, who, publicRead);
          const where = `${routeKey(route)} as ${who}: ${reply.status} ${JSON.stringify(reply.body)}`;
          if (want === 'allowed') {
            // Let through: whatever the route answers then is about the request, not about access.
            assert.ok(![401, 403].includes(reply.status) && reply.status < 500, where);
          } else {
            assert.equal(reply.status, want, where);
            assert.deepEqual(reply.body, {
              error:
                want === 401
                  ? {
                      code: 'Unauthorized',
                      message: 'a valid token is required (Authorization: Bearer <token>)',
                    }
                  : { code: 'Forbidden', message: 'this token may not do that' },
            });
            if (want === 401) assert.equal(reply.headers['WWW-Authenticate'], 'Bearer', where);
            assert.equal(await dumpStore(store), before, `${where}: a refused request changed the store`);
          }
          checked++;
        }
      }
      console.log(
        `# auth matrix (PUBLIC_READ=${publicRead}): ${ROUTES.length} routes x ${WHO.length} credentials = ${checked} requests`,
      );
    });
  });
}

describe('access control', () => {
  test("writes with another registry's token are refused and change nothing", async () => {
    const { store, tokens } = await seeded();
    const before = await dumpStore(store);
    const writes = ROUTES.filter((route) => route.method !== 'GET');
    const replies = await Promise.all(writes.map((route) => call(route, store, tokens.beta)));
    assert.deepEqual(
      replies.map((reply) => reply.status),
      writes.map((route) => (route.scope === 'none' ? 200 : 403)),
    );
    assert.equal(await dumpStore(store), before);
  });

  test('answers never reveal whether a registry exists to someone who may not know', async () => {
    const { store, tokens } = await seeded();
    const snapshot = ROUTES.find((route) => routeKey(route) === 'PUT /registries/{name}/snapshot') as Route;
    const get = ROUTES.find((route) => routeKey(route) === 'GET /registries/{name}') as Route;
    const known = await call(snapshot, store, tokens.beta, 'alpha');
    const unknown = await call(snapshot, store, tokens.beta, 'ghost');
    const anonymousKnown = await call(get, store, undefined, 'alpha');
    const anonymousUnknown = await call(get, store, undefined, 'ghost');
    assert.deepEqual([known.status, unknown.status], [403, 403]);
    assert.deepEqual(known.body, unknown.body);
    assert.deepEqual([anonymousKnown.status, anonymousUnknown.status], [401, 401]);
    assert.deepEqual(anonymousKnown.body, anonymousUnknown.body);
  });

  test('a rotated ingest token stops working at once; the new one works', async () => {
    const { store, tokens } = await seeded();
    const rotate = ROUTES.find((route) => routeKey(route) === 'POST /registries/{name}/token') as Route;
    const snapshot = ROUTES.find((route) => routeKey(route) === 'PUT /registries/{name}/snapshot') as Route;
    const rotated = await call(rotate, store, ADMIN);
    const withOld = await call(snapshot, store, tokens.alpha);
    const withNew = await call(snapshot, store, rotated.body.ingestToken);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.ingestToken, tokens.alpha);
    assert.equal(withOld.status, 401);
    assert.equal(withNew.status, 200);
  });

  test('a token rotated while its push is under way is refused too, and the push stores nothing', async () => {
    const { store, tokens } = await seeded();
    const snapshot = ROUTES.find((route) => routeKey(route) === 'PUT /registries/{name}/snapshot') as Route;
    const start = store.startSnapshotWrite.bind(store);
    // The rotation lands after the token was checked, before the write.
    store.startSnapshotWrite = async (name) => {
      const started = await start(name);
      await store.setIngestTokenDigest(name, 'rotated');
      return started;
    };
    const before = await store.getRegistry('alpha');
    const reply = await call(snapshot, store, tokens.alpha);
    assert.equal(reply.status, 401);
    assert.deepEqual(reply.body.error.code, 'Unauthorized');
    assert.equal(reply.headers['WWW-Authenticate'], 'Bearer');
    assert.deepEqual(await store.getRegistry('alpha'), before);
  });

  test('creating a registry returns its ingest token once; reads never show it', async () => {
    const { store, tokens } = await seeded();
    const put = ROUTES.find((route) => routeKey(route) === 'PUT /registries/{name}') as Route;
    const get = ROUTES.find((route) => routeKey(route) === 'GET /registries/{name}') as Route;
    const again = await call(put, store, ADMIN);
    const read = await call(get, store, ADMIN);
    assert.match(tokens.alpha, /^alpha\.[A-Za-z0-9_-]{43}$/);
    assert.equal(again.status, 200);
    assert.equal(again.body.ingestToken, undefined, 'shown once, at creation');
    assert.ok(!JSON.stringify(read.body).includes(tokens.alpha));
  });

  test('logs every request with its principal, request id and cold start, and never a token', async () => {
    const secrets = [ADMIN, READER];
    const lines = await captureLogs(async () => {
      for (const who of WHO) {
        // A fresh store each time: admin's token rotation would make the own token stale.
        const { store, tokens } = await seeded();
        secrets.push(tokens.alpha, tokens.beta);
        for (const route of ROUTES) await call(route, store, tokenOf(who, tokens));
      }
    });
    const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.message === 'request');
    // Each seeding logs its two creations too.
    assert.equal(requests.length, WHO.length * (ROUTES.length + 2));
    const principals = new Set(requests.map((entry) => entry.principal));
    for (const principal of ['admin', 'reader', 'registry:alpha', 'registry:beta', 'anonymous']) {
      assert.ok(principals.has(principal), `no request logged as ${principal}: ${[...principals]}`);
    }
    for (const entry of requests) {
      assert.equal(typeof entry.function_request_id, 'string');
      assert.equal(typeof entry.cold_start, 'boolean');
    }
    const output = lines.join('');
    for (const secret of secrets) {
      assert.ok(!output.includes(secret), 'a token appeared in the logs');
    }
  });
});
