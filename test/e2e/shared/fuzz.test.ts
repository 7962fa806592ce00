/**
 * Anything goes, over HTTP against the shared local stack (serverless-offline + DynamoDB Local): valid
 * and mutated bodies in any encoding, random paths, methods and headers, mixed. Every answer must come
 * in time, never be a 5xx (serverless-offline's own gateway included), and every error must have our
 * JSON shape; afterwards the API still answers and the merged view agrees with the registries.
 *
 * What must be rejected, and that it changes nothing, is fuzzed in process by concern:
 * test/handlers/fuzz-{bodies,schemas,headers,paths}.test.ts. `FUZZ_RUNS`, `FUZZ_SEED` as there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  contentTypeArb,
  encode,
  encodingArb,
  mutate,
  mutationArb,
  randomRequestArb,
  registryArb,
  snapshotArb,
} from '../../helpers/fuzz/arbitraries.ts';
import {
  checkedSender,
  checkProperty,
  FUZZ_RUNS,
  newTally,
  printTally,
  FUZZ_SEED as SEED,
} from '../../helpers/fuzz/check.ts';
import { JSON_TYPE, seedRegistries } from '../../helpers/fuzz/seed.ts';
import { type RawClient, rawClient } from '../../helpers/raw-http.ts';
import { sharedStack } from '../../helpers/shared-stack.ts';
import type { StackWithDb } from '../../helpers/stack-with-db.ts';
import { dumpTable } from '../../helpers/table-dump.ts';

/** The old e2e share of the fuzz cases; the rest runs in process. */
const ANYTHING_RUNS = Math.round(FUZZ_RUNS * 0.35);

let env: StackWithDb;
let client: RawClient;

const sendChecked = checkedSender(
  (request) => client.send(request),
  () => env.stack.output().slice(-3000),
);

describe('fuzzing the HTTP API', () => {
  before(async () => {
    env = await sharedStack();
    client = rawClient(env.stack.url, { headers: { authorization: `Bearer ${env.stack.adminToken}` } });
    const put = async (path: string, body: unknown) => {
      const reply = await client.send({
        method: 'PUT',
        path,
        body: JSON.stringify(body),
        headers: JSON_TYPE,
      });
      assert.ok(reply.status < 300, `${path}: ${reply.status} ${reply.text}`);
    };
    await seedRegistries(put);
    console.log(`# fuzz over HTTP: seed ${SEED}, ${ANYTHING_RUNS} generated cases (FUZZ_RUNS, FUZZ_SEED)`);
  });

  after(() => client?.close());

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
    const dump = await dumpTable(env.endpoint, env.tableName);
    printTally('anything goes', tally);
    console.log(
      `#   afterwards: ${list.json.registries.length} registries, ${view.json.services.length} merged services, table ${dump.items} items`,
    );
  });
});
