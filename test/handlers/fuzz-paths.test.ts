/**
 * Path parameters that try to escape, smuggle or impersonate, in process (the gateway's part played by
 * test/helpers/in-process-api.ts: dot segments resolved, each segment percent-decoded once): a 400 from
 * the route or the gateway's own 4xx, never a 5xx, nothing stored changed. And any method and path
 * that cannot write changes nothing either.
 */
// First: the configuration handler modules read when they load.
import '../helpers/handler-env.ts';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { mayWrite, randomRequestArb, registryArb, snapshotArb, TRICKS } from '../helpers/fuzz/arbitraries.ts';
import { checkProperty, FUZZ_RUNS, FUZZ_SEED, newTally, printTally } from '../helpers/fuzz/check.ts';
import { fuzzSetting, JSON_TYPE } from '../helpers/fuzz/in-process.ts';
import { isGatewayReply } from '../helpers/raw-http.ts';

describe('path parameters', () => {
  test('with encoded tricks are a 400 (or the gateway’s 4xx), never a 5xx, and change nothing', async () => {
    const { send, dump } = await fuzzSetting();
    const tally = newTally();
    const registries = ['GET', 'DELETE', 'PUT', 'POST'].flatMap((method) =>
      TRICKS.map((trick) => ({ method, path: `/registries/${trick}${method === 'POST' ? '/token' : ''}` })),
    );
    const services = TRICKS.map((trick) => ({ method: 'GET', path: `/services/${trick}` }));
    const snapshots = TRICKS.map((trick) => ({ method: 'PUT', path: `/registries/${trick}/snapshot` }));
    const before = await dump();
    for (const { method, path } of [...registries, ...services, ...snapshots]) {
      if (mayWrite(method, path) && method !== 'PUT') continue;
      // A valid body, so that only the path can be what is wrong; PUT bodies are stale or invalid.
      const body = path.endsWith('/snapshot') ? '{"generation":1,"services":[]}' : '{"clusterId":7}';
      const reply = await send(
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
    const same = await send({ method: 'GET', path: '/registries/%66z-one' }, tally);
    assert.equal(same.json?.name, 'fz-one');
    assert.equal(await dump(), before);
    printTally('path tricks', tally);
  });

  test('any method, path and headers that cannot write change nothing', async () => {
    const { send, dump } = await fuzzSetting();
    const tally = newTally();
    const before = await dump();
    const requestArb = randomRequestArb(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        snapshotArb.map((s) => JSON.stringify(s)),
        registryArb.map((r) => JSON.stringify(r)),
      ),
    ).filter(({ method, path }) => !mayWrite(method, path));
    await checkProperty(
      requestArb,
      { numRuns: Math.round(FUZZ_RUNS / 3), seed: FUZZ_SEED },
      async (request) => {
        await send(request, tally);
      },
    );
    assert.equal(await dump(), before);
    printTally('random requests that cannot write', tally);
  });
});
