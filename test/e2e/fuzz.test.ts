/**
 * Tries to break the API with bad input, against the running local stack (serverless-offline + a
 * DynamoDB Local this test owns): random and mutated bodies (valid snapshots and registries mutated:
 * wrong types, huge numbers, deep nesting, unknown fields, duplicate keys, invalid UTF-8, truncated
 * gzip, gzip bombs, bodies over the limit), random Content-Type and Content-Encoding, random paths and methods with encoded
 * tricks. Every answer must come in time, never be a 5xx, and every error must have our JSON shape.
 * For the requests that must be rejected, the table is read directly before and after: it must be
 * byte-identical.
 *
 * ~1500 cases by default; `FUZZ_RUNS=10000` runs more, `FUZZ_SEED` replays a run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  contentTypeArb,
  encode,
  encodingArb,
  expectedCode,
  mayWrite,
  mutate,
  mutationArb,
  randomRequestArb,
  registryArb,
  STORED_GENERATION,
  snapshotArb,
  staleSnapshotArb,
  TRICKS,
} from '../helpers/fuzz/arbitraries.ts';
import {
  checkedSender,
  checkProperty,
  describeRequest,
  newTally,
  printTally,
  FUZZ_RUNS as RUNS,
  FUZZ_SEED as SEED,
} from '../helpers/fuzz/check.ts';
import { isGatewayReply, type RawClient, rawClient } from '../helpers/raw-http.ts';
import { type StackWithDb, startStackWithDb } from '../helpers/stack-with-db.ts';
import { dumpTable } from '../helpers/table-dump.ts';

const REJECTED_RUNS = Math.round(RUNS * 0.65);
const ANYTHING_RUNS = RUNS - REJECTED_RUNS;
/** Small, so that "too large" is cheap to send; the real default is 32 MiB. */
const BODY_LIMIT = 1_000_000;
const SEEDED = ['fz-one', 'fz-two'] as const;
const JSON_TYPE = { 'content-type': 'application/json' };
/** Every request is the admin's unless a case sets its own `authorization`. */
const ADMIN_TOKEN = `fuzz-admin-${randomUUID()}`;

let env: StackWithDb;
let client: RawClient;

before(async () => {
  env = await startStackWithDb({ env: { LIMIT_BODY_BYTES: String(BODY_LIMIT), ADMIN_TOKEN } });
  client = rawClient(env.stack.url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const put = async (path: string, body: unknown) => {
    const reply = await client.send({ method: 'PUT', path, body: JSON.stringify(body), headers: JSON_TYPE });
    assert.ok(reply.status < 300, `${path}: ${reply.status} ${reply.text}`);
  };
  await put('/registries/fz-one', { clusterId: 'c1', provider: 'Kubernetes', description: 'seeded' });
  await put('/registries/fz-two', { provider: 'static' });
  for (const name of SEEDED) {
    await put(`/registries/${name}/snapshot`, {
      generation: STORED_GENERATION,
      services: [
        {
          hostname: `hello.${name}.svc.cluster.local`,
          address: '10.0.0.1',
          ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
          labels: { app: 'hello' },
          endpoints: [{ address: '10.0.1.1', port: 8080, healthy: true }],
        },
      ],
    });
  }
  console.log(`# fuzz: seed ${SEED}, ${RUNS} generated cases (FUZZ_RUNS, FUZZ_SEED)`);
});

after(async () => {
  client?.close();
  await env?.stop();
});

const sendChecked = checkedSender(
  (request) => client.send(request),
  () => env.stack.output().slice(-3000),
);

// ---------------------------------------------------------------------------------------------------

describe('fuzzing the HTTP API', () => {
  test('path parameters with encoded tricks are a 400 (or the gateway’s 404), never a 5xx', async () => {
    const tally = newTally();
    const registries = ['GET', 'DELETE', 'PUT'].flatMap((method) =>
      TRICKS.map((trick) => ({ method, path: `/registries/${trick}` })),
    );
    const services = TRICKS.map((trick) => ({ method: 'GET', path: `/services/${trick}` }));
    const snapshots = TRICKS.map((trick) => ({ method: 'PUT', path: `/registries/${trick}/snapshot` }));
    const before = await dumpTable(env.endpoint);
    for (const { method, path } of [...registries, ...services, ...snapshots]) {
      if (mayWrite(method, path) && method !== 'PUT') continue;
      // A valid body, so that only the path can be what is wrong; PUT bodies are stale or invalid.
      const body = path.endsWith('/snapshot') ? '{"generation":1,"services":[]}' : '{"clusterId":7}';
      const reply = await sendChecked(
        { method, path, ...(method === 'PUT' ? { body, headers: JSON_TYPE } : {}) },
        tally,
      );
      // Dot segments may resolve to a collection (`/registries/.` is `/registries`): a read, fine.
      const collection = ['/registries', '/registries/', '/services', '/services/', '/'].includes(
        new URL(path, 'http://x').pathname,
      );
      if (!(collection && method === 'GET')) {
        assert.ok(reply.status >= 400, `${method} ${path} → ${reply.status} ${reply.text.slice(0, 300)}`);
      }
      const code = reply.json?.error?.code;
      if (!isGatewayReply(reply) && reply.status === 400 && method !== 'PUT') {
        assert.ok(['InvalidRegistryName', 'InvalidHostname'].includes(code), `${method} ${path} → ${code}`);
      }
    }
    // Percent-encoding an ordinary character is the same name: that is not a trick.
    const same = await sendChecked({ method: 'GET', path: '/registries/%66z-one' }, tally);
    assert.equal(same.json?.name, 'fz-one');
    assert.equal((await dumpTable(env.endpoint)).text, before.text);
    printTally('path tricks', tally);
  });

  test('requests that must be rejected are, and nothing else that cannot write changes the table', async () => {
    const tally = newTally();
    const before = await dumpTable(env.endpoint);
    const expected = new Map<string, number>();
    const expect = (what: string) => expected.set(what, (expected.get(what) ?? 0) + 1);

    /** A stale snapshot, mutated or not, in any encoding, to a seeded registry: 4xx whatever else. */
    const staleSnapshot = fc
      .record({
        registry: fc.constantFrom(...SEEDED, 'nope', '%66z-one'),
        body: staleSnapshotArb,
        mutation: fc.option(mutationArb, { freq: 4 }),
        encoding: encodingArb,
        contentType: contentTypeArb,
      })
      .map(({ registry, body, mutation, encoding, contentType }) => {
        const { text, what } = mutation
          ? mutate(body, mutation)
          : { text: JSON.stringify(body), what: 'stale' };
        const encoded = encode(text, encoding);
        return {
          what: `snapshot/${what}/${encoding.kind}`,
          request: {
            method: 'PUT',
            path: `/registries/${registry}/snapshot`,
            body: encoded.body,
            headers: { 'content-type': contentType, ...encoded.headers },
          },
          code: expectedCode(what, encoding.kind, contentType),
        };
      });

    /** A registry body made invalid; never an encoding that could turn it valid again. */
    const invalidRegistry = fc
      .record({
        name: fc.constantFrom(...SEEDED, 'fz-new', 'fz-other'),
        body: registryArb,
        mutation: mutationArb,
        encoding: encodingArb.filter((e) => e.kind !== 'badUtf8Plain'),
        contentType: contentTypeArb,
      })
      .map(({ name, body, mutation, encoding, contentType }) => {
        const { text, what } = mutate(body, mutation);
        const encoded = encode(text, encoding);
        return {
          what: `registry/${what}/${encoding.kind}`,
          request: {
            method: 'PUT',
            path: `/registries/${name}`,
            body: encoded.body,
            headers: { 'content-type': contentType, ...encoded.headers },
          },
          code: expectedCode(what, encoding.kind, contentType),
        };
      });

    /** Wrong media type or encoding on an otherwise valid body. */
    const wrongHeaders = fc
      .record({
        target: fc.constantFrom('registry', 'snapshot'),
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'text/json',
        ),
        encoding: fc.constantFrom(undefined, 'br', 'deflate', 'x-gzip', 'compress', 'gzip;q=1'),
        registry: registryArb,
        snapshot: snapshotArb,
      })
      .filter(({ contentType, encoding }) => contentType !== 'application/json' || encoding !== undefined)
      .map(({ target, contentType, encoding, registry, snapshot }) => ({
        what: `headers/${encoding ?? contentType}`,
        request: {
          method: 'PUT',
          path: target === 'registry' ? '/registries/fz-new' : '/registries/fz-one/snapshot',
          body: Buffer.from(JSON.stringify(target === 'registry' ? registry : snapshot)),
          headers: { 'content-type': contentType, ...(encoding ? { 'content-encoding': encoding } : {}) },
        },
        code: encoding ? 'UnsupportedContentEncoding' : 'UnsupportedMediaType',
      }));

    /** Bodies over the limit, plain or as a gzip bomb. */
    const tooLarge = fc
      .record({
        bomb: fc.boolean(),
        factor: fc.nat(),
        target: fc.constantFrom('/registries/fz-new', '/registries/fz-one/snapshot'),
      })
      .map(({ bomb, factor, target }) => {
        // A bomb inflates to 1–100 times the limit; a plain body is just over it (bytes are sent).
        const times = (bomb ? [1.01, 8, 100][factor % 3] : [1.01, 1.5][factor % 2]) ?? 2;
        const size = Math.ceil(BODY_LIMIT * times);
        const text = `{"description":"${'x'.repeat(size)}"}`;
        return {
          what: bomb ? 'gzip bomb' : 'too large',
          request: {
            method: 'PUT',
            path: target,
            body: bomb ? gzipSync(Buffer.alloc(size, 0x20)) : Buffer.from(text),
            headers: { ...JSON_TYPE, ...(bomb ? { 'content-encoding': 'gzip' } : {}) },
          },
          code: 'PayloadTooLarge',
        };
      });

    /** Any method, path and headers that cannot write. */
    const randomRequest = randomRequestArb(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        snapshotArb.map((s) => JSON.stringify(s)),
        registryArb.map((r) => JSON.stringify(r)),
      ),
    )
      .filter(({ method, path }) => !mayWrite(method, path))
      .map((request) => ({ what: `random/${request.method}`, request, code: undefined }));

    const caseArb = fc.oneof(
      { weight: 5, arbitrary: staleSnapshot },
      { weight: 4, arbitrary: invalidRegistry },
      { weight: 1, arbitrary: wrongHeaders },
      { weight: 1, arbitrary: tooLarge },
      { weight: 4, arbitrary: randomRequest },
    );

    let checkedCodes = 0;
    await checkProperty(caseArb, { numRuns: REJECTED_RUNS, seed: SEED }, async ({ what, request, code }) => {
      expect(what.split('/').slice(0, 2).join('/'));
      const reply = await sendChecked(request, tally);
      // Reads may answer 2xx; anything that carries data to store must be refused.
      if (!what.startsWith('random/')) {
        assert.ok(
          reply.status >= 400,
          `accepted a request that must be rejected (${what}): ${describeRequest(request)} → ${reply.status} ${reply.text.slice(0, 300)}`,
        );
      }
      if (code !== undefined && !isGatewayReply(reply)) {
        assert.equal(
          reply.json?.error?.code,
          code,
          `${what}: ${describeRequest(request)} → ${reply.text.slice(0, 300)}`,
        );
        checkedCodes++;
      }
    });

    const afterwards = await dumpTable(env.endpoint);
    assert.equal(afterwards.text, before.text, 'the table changed although every request was rejected');
    printTally('must-reject requests', tally);
    console.log(`#   ${checkedCodes} answers had their exact error code checked`);
    console.log(
      `#   kinds: ${[...expected]
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
    );
    console.log(`#   table before and after: ${before.items} items, ${before.bytes} bytes, byte-identical`);
  });

  test('anything goes: valid and invalid requests mixed, never a 5xx, the API still consistent', async () => {
    const tally = newTally();
    const names = ['fz-one', 'fz-two', 'fz-p1', 'fz-p2'];
    const caseArb = fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .record({
            name: fc.constantFrom(...names),
            body: snapshotArb,
            mutation: fc.option(mutationArb, { freq: 2 }),
            encoding: encodingArb,
            contentType: contentTypeArb,
          })
          .map(({ name, body, mutation, encoding, contentType }) => {
            const text = mutation ? mutate(body, mutation).text : JSON.stringify(body);
            const encoded = encode(text, encoding);
            return {
              method: 'PUT',
              path: `/registries/${name}/snapshot`,
              body: encoded.body,
              headers: { 'content-type': contentType, ...encoded.headers },
            };
          }),
      },
      {
        weight: 2,
        arbitrary: fc
          .record({
            name: fc.constantFrom(...names),
            body: registryArb,
            mutation: fc.option(mutationArb, { freq: 2 }),
            encoding: encodingArb,
          })
          .map(({ name, body, mutation, encoding }) => {
            const text = mutation ? mutate(body, mutation).text : JSON.stringify(body);
            const encoded = encode(text, encoding);
            return {
              method: 'PUT',
              path: `/registries/${name}`,
              body: encoded.body,
              headers: { ...JSON_TYPE, ...encoded.headers },
            };
          }),
      },
      {
        weight: 3,
        arbitrary: randomRequestArb(fc.string({ maxLength: 200 })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(...names)
          .map((name) => ({ method: 'DELETE', path: `/registries/${name}` })),
      },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom('/services', '/registries', '/services/hello.fz-one.svc.cluster.local')
          .map((path) => ({ method: 'GET', path })),
      },
    );
    await checkProperty(
      caseArb,
      { numRuns: ANYTHING_RUNS, seed: SEED + 1, endOnFailure: true },
      async (request) => {
        await sendChecked(request, tally);
      },
    );

    // Whatever was accepted, the API still answers, and the merged view agrees with the registries.
    const list = await sendChecked({ method: 'GET', path: '/registries' }, tally);
    const view = await sendChecked({ method: 'GET', path: '/services' }, tally);
    assert.equal(list.status, 200);
    assert.equal(view.status, 200);
    const generations = Object.fromEntries(list.json.registries.map((r: any) => [r.name, r.generation]));
    for (const status of view.json.registries)
      assert.equal(status.generation, generations[status.name], status.name);
    const counted = view.json.registries.reduce((sum: number, r: any) => sum + r.serviceCount, 0);
    assert.ok(view.json.services.length <= counted);
    const dump = await dumpTable(env.endpoint);
    printTally('anything goes', tally);
    console.log(
      `#   afterwards: ${list.json.registries.length} registries, ${view.json.services.length} merged services, table ${dump.items} items`,
    );
  });
});
