/**
 * Many writers and readers at once, against the running local stack: 10 writers × 50 snapshot pushes
 * with random explicit generations to 4 registries, while readers poll `GET /services`.
 *
 * - No accepted push is lost: each registry ends at the highest generation any push got a 200 for.
 * - A 409 is justified: some accepted push of that registry had a generation at least as high.
 * - Every read is internally consistent: each registry's services in one response come from one
 *   generation (every service carries its snapshot's generation as the label `gen`, and the count of
 *   services is a function of the generation), generations never go back between one reader's reads,
 *   and every generation a reader saw was accepted.
 *
 * Registries have no cluster id and distinct hostnames, so the merge keeps every service.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LocalStack } from '../helpers/local-stack.ts';
import { type RawClient, rawClient } from '../helpers/raw-http.ts';
import { sharedStack } from '../helpers/shared-stack.ts';

const WRITERS = 10;
/** Function instances started at once while warming up. */
const WARM_STEP = 3;
const PUSHES = 50;
const READERS = 3;
const REGISTRIES = ['cc-0', 'cc-1', 'cc-2', 'cc-3'];
const JSON_TYPE = { 'content-type': 'application/json' };

let stack: LocalStack;
let client: RawClient;

/** The snapshot of generation `g`: 1–4 services, each labelled with `g`. */
function snapshot(registry: string, generation: number, writer: number) {
  const count = serviceCount(generation);
  return {
    generation,
    services: Array.from({ length: count }, (_, k) => ({
      hostname: `s${k}.${registry}.test`,
      address: `10.${writer}.${k}.1`,
      ports: [{ name: 'http', port: 8000 + k, protocol: 'HTTP' }],
      labels: { gen: String(generation), writer: String(writer) },
    })),
  };
}

const serviceCount = (generation: number) => 1 + (generation % 4);

/** A seeded PRNG (mulberry32), so a failing run can be replayed with CONCURRENCY_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('concurrent writers and readers', () => {
  before(async () => {
    // A stack of its own: this load next to another file's flow would time that flow out.
    stack = (await sharedStack('load')).stack;
    client = rawClient(stack.url, {
      maxSockets: 64,
      headers: { authorization: `Bearer ${stack.adminToken}` },
    });
    for (const name of REGISTRIES) {
      const reply = await client.send({
        method: 'PUT',
        path: `/registries/${name}`,
        body: '{"provider":"static"}',
        headers: JSON_TYPE,
      });
      assert.equal(reply.status, 201, reply.text);
    }
    // Warm up as many function instances as there will be concurrent requests: serverless-offline
    // starts one worker per concurrent invocation, and 20 cold starts at once on a busy machine run
    // into the 15 s Lambda timeout. Ramping up a few at a time starts each worker once, with time to
    // spare. What is measured below is concurrency, not cold starts.
    const warmed = Date.now();
    await client.send({ method: 'PUT', path: '/registries/cc-warm', body: '{}', headers: JSON_TYPE });
    let warmups: Awaited<ReturnType<RawClient['send']>>[] = [];
    for (let width = WARM_STEP; width < WRITERS + WARM_STEP; width += WARM_STEP) {
      const writers = Math.min(width, WRITERS);
      const readers = Math.min(width, READERS);
      warmups = await Promise.all([
        ...Array.from({ length: writers }, () =>
          client.send({
            method: 'PUT',
            path: '/registries/cc-warm/snapshot',
            body: '{"services":[]}',
            headers: JSON_TYPE,
            timeoutMs: 60_000,
          }),
        ),
        ...Array.from({ length: readers }, () =>
          client.send({ method: 'GET', path: '/services', timeoutMs: 60_000 }),
        ),
      ]);
    }
    await client.send({ method: 'DELETE', path: '/registries/cc-warm' });
    console.log(
      `# warm-up: ramped to ${warmups.length} concurrent requests in ${Date.now() - warmed} ms, answered ` +
        warmups.map((r) => (r.json?.errorType ? 'timeout' : r.status)).join(' '),
    );
  });

  after(async () => {
    await client?.close();
  });

  test('no accepted push is lost, every 409 is justified, every read is from one generation per registry', async () => {
    const seed = Number(process.env.CONCURRENCY_SEED ?? Date.now() % 2 ** 31);
    const started = Date.now();
    const accepted = new Map<string, number[]>(REGISTRIES.map((name) => [name, []]));
    const stale = new Map<string, number[]>(REGISTRIES.map((name) => [name, []]));
    const statuses = new Map<number, number>();
    let writing = true;
    // The first failure stops everybody, so no request outlives the test.
    const failures: unknown[] = [];
    const guarded = (work: () => Promise<void>) =>
      work().catch((error: unknown) => {
        failures.push(error);
        writing = false;
      });

    const writers = Array.from({ length: WRITERS }, (_, writer) =>
      guarded(async () => {
        const next = random(seed + writer);
        for (let i = 0; i < PUSHES && failures.length === 0; i++) {
          const registry = REGISTRIES[Math.floor(next() * REGISTRIES.length)] as string;
          // Random, but drifting upwards, so that many pushes win and many lose.
          const generation = 1 + i * 20 + Math.floor(next() * 60);
          const reply = await client.send({
            method: 'PUT',
            path: `/registries/${registry}/snapshot`,
            body: JSON.stringify(snapshot(registry, generation, writer)),
            headers: JSON_TYPE,
            timeoutMs: 30_000,
          });
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          // serverless-offline answers a Lambda timeout with a 200 and an `errorType` body.
          assert.equal(reply.json?.errorType, undefined, `push ${registry}@${generation}: ${reply.text}`);
          if (reply.status === 200) {
            const { registry: r, generation: g, serviceCount: n } = reply.json;
            assert.deepEqual({ r, g, n }, { r: registry, g: generation, n: serviceCount(generation) });
            accepted.get(registry)?.push(generation);
          } else {
            assert.equal(reply.status, 409, `push ${registry}@${generation}: ${reply.status} ${reply.text}`);
            assert.equal(reply.json?.error?.code, 'StaleGeneration');
            stale.get(registry)?.push(generation);
          }
        }
      }),
    );

    let reads = 0;
    let registryReads = 0;
    const seen = new Map<string, Set<number>>(REGISTRIES.map((name) => [name, new Set()]));
    const readers = Array.from({ length: READERS }, (_, reader) =>
      guarded(async () => {
        const last = new Map<string, number>();
        while (writing) {
          const reply = await client.send({ method: 'GET', path: '/services', timeoutMs: 30_000 });
          assert.equal(reply.status, 200, reply.text);
          assert.equal(reply.json?.errorType, undefined, reply.text);
          const body = reply.json;
          reads++;
          // The shared stack holds other files' registries too: only these are written here.
          for (const status of body.registries.filter((r: { name: string }) => REGISTRIES.includes(r.name))) {
            if (status.generation === null) continue;
            registryReads++;
            const generation = status.generation as number;
            const services = body.services.filter((s: { registry: string }) => s.registry === status.name);
            const tags = new Set(services.map((s: { labels: { gen: string } }) => s.labels.gen));
            const where = `reader ${reader}, read ${reads}, ${status.name}`;
            assert.deepEqual(
              [...tags],
              [String(generation)],
              `${where}: services from generations ${[...tags]}`,
            );
            assert.equal(services.length, serviceCount(generation), `${where}: ${services.length} services`);
            assert.equal(status.serviceCount, services.length, where);
            const previous = last.get(status.name) ?? 0;
            assert.ok(
              generation >= previous,
              `${where}: generation went back from ${previous} to ${generation}`,
            );
            last.set(status.name, generation);
            seen.get(status.name)?.add(generation);
          }
        }
      }),
    );

    await Promise.all(writers);
    writing = false;
    await Promise.all(readers);
    if (failures.length > 0) throw failures[0];

    const finals: string[] = [];
    const view = await client.send({ method: 'GET', path: '/services' });
    for (const name of REGISTRIES) {
      const wins = accepted.get(name) ?? [];
      const losses = stale.get(name) ?? [];
      const max = Math.max(0, ...wins);
      const record = await client.send({ method: 'GET', path: `/registries/${name}` });
      assert.equal(record.json.generation, max, `${name}: the final generation is the highest accepted one`);
      assert.ok(wins.every((g) => g <= record.json.generation));
      assert.equal(new Set(wins).size, wins.length, `${name}: one generation accepted twice`);
      for (const g of losses)
        assert.ok(g <= max, `${name}: ${g} was refused as stale, but nothing ≥ ${g} won`);
      for (const g of seen.get(name) ?? [])
        assert.ok(wins.includes(g), `${name}: a reader saw ${g}, never accepted`);
      const services = view.json.services.filter((s: { registry: string }) => s.registry === name);
      assert.deepEqual(
        services.map((s: { labels: { gen: string } }) => s.labels.gen),
        Array(serviceCount(max)).fill(String(max)),
      );
      finals.push(
        `${name} ${max} (${wins.length} won, ${losses.length} stale, ${seen.get(name)?.size} seen)`,
      );
    }
    const pushes = WRITERS * PUSHES;
    console.log(
      `# concurrency (seed ${seed}): ${pushes} pushes by ${WRITERS} writers in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${[...statuses].map(([s, n]) => `${n}× ${s}`).join(', ')}`,
    );
    console.log(
      `# ${reads} reads by ${READERS} readers, ${registryReads} registry snapshots checked: each from one generation`,
    );
    console.log(`# final generation = highest accepted: ${finals.join('; ')}`);
    assert.ok(reads >= READERS, 'the readers read while the writers wrote');
  });
});
