/**
 * The database goes away under a running stack and comes back. The stack reaches DynamoDB Local
 * (`DYNAMODB_ENDPOINT`) through a TCP proxy; writers push snapshots and readers poll the merged view
 * the whole time; in the middle the proxy closes the database's port and cuts every open connection
 * (what the stack sees when the database's process exits: requests in flight reset, new ones
 * refused), then listens again on the same port. The database itself keeps running, so the test
 * runs on the run's DynamoDB Local instead of booting Java twice; whether a request in flight was
 * applied before its connection was cut is as unknown to the stack as after a crash.
 *
 * - While it is down, requests answer 503 `StoreUnavailable` (with Retry-After, no stack trace) within
 *   a few seconds; nothing hangs, nothing answers 500.
 * - When it is back, the API recovers without a restart of the stack.
 * - A database that hangs (accepts connections, never answers: a paused process, a partition) is a
 *   503 within a few seconds too, not a request that runs into the Lambda timeout.
 * - Nothing partial is ever visible: each registry's services in every read, before, during and after,
 *   come from one generation, and that generation is one a push was made for; no push answered 200 is
 *   lost (the final generation is at least the highest accepted one).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { errorShapeProblem, type RawClient, type RawReply, rawClient } from '../helpers/raw-http.ts';
import { RECORDED_ACTIONS_FILE } from '../helpers/shared-stack.ts';
import { type StackWithDb, startStackWithDb } from '../helpers/stack-with-db.ts';
import { dumpTable } from '../helpers/table-dump.ts';

const REGISTRIES = ['ft-0', 'ft-1', 'ft-2'];
const WRITERS = 4;
const READERS = 2;
const ADMIN_TOKEN = `faults-admin-${randomUUID()}`;
const JSON_TYPE = { 'content-type': 'application/json' };
/** How long a request may take to answer while the database is down. */
const DOWN_ANSWER_MS = 8_000;

let env: StackWithDb;
let client: RawClient;

const serviceCount = (generation: number) => 1 + (generation % 5);

function snapshot(registry: string, generation: number) {
  return {
    generation,
    services: Array.from({ length: serviceCount(generation) }, (_, k) => ({
      hostname: `s${k}.${registry}.test`,
      address: `10.0.${k}.1`,
      labels: { gen: String(generation) },
    })),
  };
}

type Phase = 'up' | 'down' | 'back';
type Outcome = 'accepted' | 'stale' | 'unavailable' | 'failed';

interface Attempt {
  phase: Phase;
  kind: 'push' | 'read';
  outcome: Outcome;
  ms: number;
  sentAt: number;
  doneAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Its own stack, not the shared one: these tests cut it off from the database, and hang it.
describe('faults', () => {
  before(async () => {
    env = await startStackWithDb({
      env: { ADMIN_TOKEN, RECORD_AWS_ACTIONS: RECORDED_ACTIONS_FILE },
      viaProxy: true,
    });
    client = rawClient(env.stack.url, {
      maxSockets: 32,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    for (const name of REGISTRIES) {
      const reply = await client.send({
        method: 'PUT',
        path: `/registries/${name}`,
        body: '{}',
        headers: JSON_TYPE,
      });
      assert.equal(reply.status, 201, reply.text);
    }
  });

  after(async () => {
    client?.close();
    await env?.stop();
  });

  describe('the database fails under a running stack', () => {
    test('503 while it is down, recovery when it is back, nothing partial, nothing accepted lost', async () => {
      let phase: Phase = 'up';
      /** When the database process had exited, and when its restart began. */
      let downAt = Number.POSITIVE_INFINITY;
      let restartAt = Number.POSITIVE_INFINITY;
      let running = true;
      const failures: unknown[] = [];
      const attempts: Attempt[] = [];
      const pushed = new Map<string, Map<number, Outcome>>(REGISTRIES.map((name) => [name, new Map()]));
      const nextGeneration = new Map<string, number>(REGISTRIES.map((name) => [name, 0]));
      let readsChecked = 0;

      /** A 503 must be ours: StoreUnavailable, Retry-After, no stack trace. Anything else >= 500 fails. */
      const classify = (reply: RawReply, what: string): Outcome => {
        // serverless-offline answers a Lambda timeout with a 200 and an `errorType` body: a hang.
        assert.equal(reply.json?.errorType, undefined, `${what}: ${reply.text.slice(0, 300)}`);
        if (reply.status === 503) {
          assert.equal(errorShapeProblem(reply), undefined, what);
          assert.equal(reply.json.error.code, 'StoreUnavailable', what);
          assert.ok(reply.headers['retry-after'], `${what}: no Retry-After`);
          return 'unavailable';
        }
        assert.ok(reply.status < 500, `${what}: ${reply.status} ${reply.text.slice(0, 300)}`);
        return reply.status === 200 ? 'accepted' : reply.status === 409 ? 'stale' : 'failed';
      };

      const guarded = (work: () => Promise<void>) =>
        work().catch((error: unknown) => {
          failures.push(error);
          running = false;
        });

      const writers = Array.from({ length: WRITERS }, (_, writer) =>
        guarded(async () => {
          for (let i = 0; running; i++) {
            const registry = REGISTRIES[(writer + i) % REGISTRIES.length] as string;
            const generation = (nextGeneration.get(registry) ?? 0) + 1;
            nextGeneration.set(registry, generation);
            const sentAt = Date.now();
            const requestPhase = phase;
            const reply = await client.send({
              method: 'PUT',
              path: `/registries/${registry}/snapshot`,
              body: JSON.stringify(snapshot(registry, generation)),
              headers: JSON_TYPE,
              timeoutMs: 30_000,
            });
            const outcome = classify(reply, `push ${registry}@${generation}`);
            if (outcome === 'failed')
              assert.fail(`push ${registry}@${generation}: ${reply.status} ${reply.text}`);
            pushed.get(registry)?.set(generation, outcome);
            attempts.push({
              phase: requestPhase,
              kind: 'push',
              outcome,
              ms: reply.ms,
              sentAt,
              doneAt: Date.now(),
            });
            if (outcome === 'unavailable') await sleep(100);
          }
        }),
      );

      const readers = Array.from({ length: READERS }, () =>
        guarded(async () => {
          while (running) {
            const sentAt = Date.now();
            const requestPhase = phase;
            const reply = await client.send({ method: 'GET', path: '/services', timeoutMs: 30_000 });
            const outcome = classify(reply, 'GET /services');
            attempts.push({
              phase: requestPhase,
              kind: 'read',
              outcome,
              ms: reply.ms,
              sentAt,
              doneAt: Date.now(),
            });
            if (outcome === 'accepted') {
              checkRead(reply.json, pushed);
              readsChecked++;
            } else {
              await sleep(100);
            }
          }
        }),
      );

      const stopAll = async () => {
        running = false;
        await Promise.all([...writers, ...readers]);
      };

      try {
        // Up: traffic until a fair number of pushes went through (the functions start cold).
        const acceptedUp = () => attempts.filter((a) => a.kind === 'push' && a.outcome === 'accepted').length;
        for (const deadline = Date.now() + 20_000; acceptedUp() < 20 && Date.now() < deadline; )
          await sleep(100);
        await sleep(1_000);
        assert.equal(failures.length, 0, String(failures[0]));

        // Down: the database's port closes under the running stack, open connections cut.
        phase = 'down';
        const stopping = Date.now();
        await env.proxy?.setMode('down');
        downAt = Date.now();
        const stoppedMs = Date.now() - stopping;
        await sleep(4_000);
        assert.equal(failures.length, 0, String(failures[0]));

        // Back: the same port answers again.
        const restarting = Date.now();
        restartAt = restarting;
        await env.proxy?.setMode('pass');
        phase = 'back';
        const restartedMs = Date.now() - restarting;
        // Everything accepted before the restart: it must all be there when the database is back.
        const acceptedBeforeRestart = maxAccepted(pushed);
        let recoveredMs = -1;
        for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
          const probe = await client.send({ method: 'GET', path: '/services', timeoutMs: 15_000 });
          if (probe.status === 200) {
            recoveredMs = Date.now() - restarting;
            checkRead(probe.json, pushed);
            for (const name of REGISTRIES) {
              const status = probe.json.registries.find((r: { name: string }) => r.name === name);
              const before = acceptedBeforeRestart.get(name) ?? 0;
              assert.ok(
                status.generation >= before,
                `${name}: ${status.generation} after the restart, ${before} accepted before`,
              );
            }
            break;
          }
          await sleep(200);
        }
        assert.ok(recoveredMs >= 0, 'the API did not recover within 30 s of the database coming back');
        const acceptedWhenBack = attempts.filter(
          (a) => a.phase === 'back' && a.kind === 'push' && a.outcome === 'accepted',
        ).length;
        for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
          if (
            attempts.filter((a) => a.phase === 'back' && a.kind === 'push' && a.outcome === 'accepted')
              .length >=
            acceptedWhenBack + 10
          )
            break;
          await sleep(250);
        }
        await stopAll();
        if (failures.length > 0) throw failures[0];

        // While down: every request sent and answered with the database gone answered 503, and quickly.
        const whileDown = attempts.filter((a) => a.sentAt >= downAt && a.doneAt < restartAt);
        assert.ok(whileDown.length > 0, 'no request was sent while the database was down');
        for (const a of whileDown) {
          assert.equal(a.outcome, 'unavailable', `a ${a.kind} got "${a.outcome}" without a database`);
        }
        // Sent before the restart, answered after it: still in time.
        const straddling = attempts.filter(
          (a) => a.sentAt >= downAt && a.sentAt < restartAt && a.doneAt >= restartAt,
        );
        for (const a of straddling)
          assert.ok(a.ms < DOWN_ANSWER_MS * 2, `a ${a.kind} took ${Math.round(a.ms)} ms`);
        const slowest = Math.max(...whileDown.map((a) => a.ms));
        assert.ok(
          slowest < DOWN_ANSWER_MS,
          `a request took ${Math.round(slowest)} ms to answer while the database was down`,
        );
        const pushesBack = attempts.filter(
          (a) => a.phase === 'back' && a.kind === 'push' && a.outcome === 'accepted',
        );
        assert.ok(
          pushesBack.length >= 10,
          `only ${pushesBack.length} pushes were accepted after the restart`,
        );

        // The final state: from one generation per registry, one that was pushed, none accepted lost.
        const finalView = await client.send({ method: 'GET', path: '/services' });
        assert.equal(finalView.status, 200);
        checkRead(finalView.json, pushed);
        const accepted = maxAccepted(pushed);
        const finals: string[] = [];
        for (const name of REGISTRIES) {
          const status = finalView.json.registries.find((r: { name: string }) => r.name === name);
          assert.ok(
            status.generation >= (accepted.get(name) ?? 0),
            `${name}: accepted generation ${accepted.get(name)} lost`,
          );
          // Accepted, or answered 503 although it went through (the answer was lost, not the write).
          const outcome = pushed.get(name)?.get(status.generation);
          assert.ok(
            outcome === 'accepted' || outcome === 'unavailable',
            `${name}@${status.generation}: ${outcome}`,
          );
          finals.push(`${name} ${status.generation} (${outcome})`);
        }

        // The table, read directly: every current snapshot complete, and how many chunks nobody references.
        const table = await chunkAudit(env.endpoint, env.tableName);
        assert.deepEqual(table.missing, [], 'a current snapshot lacks chunks');

        const count = (filter: (a: Attempt) => boolean) => attempts.filter(filter).length;
        const line = (p: Phase) =>
          `${p}: ${count((a) => a.phase === p && a.kind === 'push')} pushes (${count((a) => a.phase === p && a.kind === 'push' && a.outcome === 'accepted')} accepted, ` +
          `${count((a) => a.phase === p && a.kind === 'push' && a.outcome === 'stale')} stale, ${count((a) => a.phase === p && a.kind === 'push' && a.outcome === 'unavailable')} 503), ` +
          `${count((a) => a.phase === p && a.kind === 'read')} reads (${count((a) => a.phase === p && a.kind === 'read' && a.outcome === 'unavailable')} 503)`;
        // Phases by the time a request was sent: a 503 under "up" was in flight when the database stopped.
        console.log(`# faults (by when sent): ${line('up')}`);
        console.log(`#   ${line('down')}; database gone in ${stoppedMs} ms`);
        console.log(
          `#   while down: ${whileDown.length} requests, all 503 StoreUnavailable, slowest ${Math.round(slowest)} ms`,
        );
        console.log(
          `#   ${line('back')}; database back in ${restartedMs} ms, API answering ${recoveredMs} ms after it came back`,
        );
        console.log(
          `#   ${readsChecked} successful reads checked: every registry from one generation that was pushed`,
        );
        console.log(`#   final generations (outcome of that push): ${finals.join('; ')}`);
        console.log(
          `#   table: ${table.snapshots} current snapshots complete, ${table.orphans} unreferenced chunks (history, or unflipped writes; removed by the sweep after the retention or grace period)`,
        );
      } finally {
        running = false;
        await Promise.all([...writers, ...readers]);
      }
    });
  });

  describe('the database hangs under a running stack', () => {
    test('requests answer 503 within a few seconds, not at the Lambda timeout; then it recovers', async () => {
      const proxy = env.proxy;
      assert.ok(proxy);
      const before = await client.send({ method: 'GET', path: '/services' });
      assert.equal(before.status, 200, before.text);
      const generation =
        Math.max(...before.json.registries.map((r: { generation: number | null }) => r.generation ?? 0)) +
        1000;
      await proxy.setMode('hang');
      let answers: RawReply[] = [];
      try {
        // Every route that touches the database, several at once, as traffic would.
        answers = await Promise.all([
          client.send({ method: 'GET', path: '/services', timeoutMs: 30_000 }),
          client.send({ method: 'GET', path: '/services/s0.ft-0.test', timeoutMs: 30_000 }),
          client.send({ method: 'GET', path: '/registries', timeoutMs: 30_000 }),
          client.send({ method: 'GET', path: '/registries/ft-0', timeoutMs: 30_000 }),
          client.send({
            method: 'PUT',
            path: '/registries/ft-1',
            body: '{}',
            headers: JSON_TYPE,
            timeoutMs: 30_000,
          }),
          client.send({
            method: 'PUT',
            path: '/registries/ft-2/snapshot',
            body: JSON.stringify(snapshot('ft-2', generation)),
            headers: JSON_TYPE,
            timeoutMs: 30_000,
          }),
        ]);
      } finally {
        await proxy.setMode('pass');
      }
      for (const reply of answers) {
        assert.equal(
          reply.status,
          503,
          `${reply.status} after ${Math.round(reply.ms)} ms: ${reply.text.slice(0, 200)}`,
        );
        assert.equal(reply.json?.error?.code, 'StoreUnavailable');
        assert.ok(reply.ms < DOWN_ANSWER_MS, `answered after ${Math.round(reply.ms)} ms`);
      }
      let recovered = -1;
      const healing = Date.now();
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
        const probe = await client.send({ method: 'GET', path: '/services', timeoutMs: 15_000 });
        if (probe.status === 200) {
          recovered = Date.now() - healing;
          checkRead(probe.json, new Map());
          break;
        }
        await sleep(200);
      }
      assert.ok(recovered >= 0, 'no recovery within 20 s after the database answered again');
      const slowest = Math.max(...answers.map((reply) => reply.ms));
      console.log(
        `# hung database: ${answers.length} requests on 6 routes, all 503 StoreUnavailable, slowest ${Math.round(slowest)} ms ` +
          `(the Lambda timeout is 15 s); answering again ${recovered} ms after the database did`,
      );
    });
  });
});

/** Each registry's services from one generation, the right number of them, and one that was pushed. */
function checkRead(body: any, pushed: Map<string, Map<number, Outcome>>): void {
  for (const status of body.registries) {
    if (status.generation === null) continue;
    const generation = status.generation as number;
    const services = body.services.filter((s: { registry: string }) => s.registry === status.name);
    const tags = new Set(services.map((s: { labels: { gen: string } }) => s.labels.gen));
    assert.deepEqual(
      [...tags],
      [String(generation)],
      `${status.name}: services from generations ${[...tags]}`,
    );
    assert.equal(
      services.length,
      serviceCount(generation),
      `${status.name}@${generation}: ${services.length} services`,
    );
    // The push may still be waiting for its answer; it must at least have been sent, and not refused.
    const outcome = pushed.get(status.name)?.get(generation);
    assert.notEqual(outcome, 'stale', `${status.name}@${generation} is served but was refused as stale`);
  }
}

function maxAccepted(pushed: Map<string, Map<number, Outcome>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, outcomes] of pushed) {
    let max = 0;
    for (const [generation, outcome] of outcomes) if (outcome === 'accepted') max = Math.max(max, generation);
    out.set(name, max);
  }
  return out;
}

/** Current snapshots whose chunks are missing, and chunks no registry points at. */
async function chunkAudit(
  endpoint: string,
  tableName: string,
): Promise<{ snapshots: number; missing: string[]; orphans: number }> {
  const dump = await dumpTable(endpoint, tableName);
  const items = dump.text.split('\n').map((line) => JSON.parse(line));
  const chunks = new Set<string>();
  const pointers: { name: string; id: string }[] = [];
  for (const item of items) {
    const pk = item.pk?.S as string;
    const sk = item.sk?.S as string;
    if (pk.startsWith('SNAPSHOT#')) chunks.add(`${pk.slice('SNAPSHOT#'.length)}|${sk}`);
    const pointer = item.snapshot?.M;
    if (pk === 'REGISTRY' && pointer) pointers.push({ name: item.name.S, id: pointer.id.S });
  }
  const missing: string[] = [];
  let referenced = 0;
  // A snapshot id is `<uuid>.<service chunks>.<endpoint chunks>` (functions/store/dynamodb/keys.ts).
  for (const { id } of pointers) {
    const [uuid, serviceChunks, endpointChunks] = id.split('.');
    const keys = [
      ...Array.from({ length: Number(serviceChunks) }, (_, i) => `${uuid}|S#${String(i).padStart(4, '0')}`),
      ...Array.from({ length: Number(endpointChunks) }, (_, i) => `${uuid}|E#${String(i).padStart(4, '0')}`),
    ];
    for (const key of keys) {
      if (chunks.has(key)) referenced++;
      else missing.push(key);
    }
  }
  return { snapshots: pointers.length, missing, orphans: chunks.size - referenced };
}
