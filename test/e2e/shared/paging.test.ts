/**
 * Paging at 100,000 services through `npm start`: 20 registries of 5,000 small services each, pushed
 * gzip-compressed (each body is under the shared stack's LIMIT_BODY_BYTES once inflated, and under the
 * default LIMIT_SERVICES_PER_SNAPSHOT). Every page read with `limit` and `cursor` is under Lambda's
 * 6 MB (base64 counted for a compressed body), the pages together are exactly the view of the first
 * page's revision, and the view without `limit` is answered as the README says: whole when it fits
 * (gzip), otherwise its first page with `truncated: true` and `next` (identity, ~15 MB).
 *
 * Other files may share the stack and push while this runs: the view holds their services too, and the
 * revision moves; the cursor pins the revision, and only this file's registries are counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { type RawClient, type RawReply, rawClient } from '../../helpers/raw-http.ts';
import { SHARED_BODY_LIMIT, sharedStack } from '../../helpers/shared-stack.ts';

const LAMBDA_RESPONSE_LIMIT = 6_291_456;
const REGISTRIES = 20;
const PER_REGISTRY = 5_000;
const PREFIX = 'pg100k-';
const NAMES = Array.from({ length: REGISTRIES }, (_, r) => `${PREFIX}${String(r).padStart(2, '0')}`);
/** Pages of this many services are ~3 MB uncompressed; a larger limit would be cut by size. */
const PAGE_LIMIT = 25_000;
/** Pushes at a time: each moves the revision in one optimistic transaction on the same item. */
const PUSHES_AT_ONCE = 5;

let stack: LocalStack;
let client: RawClient;

/** A small service's JSON, written directly (cheaper than building objects for 100k of them). */
const serviceJson = (r: number, i: number) =>
  `{"hostname":"s${i}.${NAMES[r]}.example.com","address":"10.${r}.${i >> 8}.${i & 255}"}`;

function snapshotBody(r: number): Buffer {
  const parts = Array.from({ length: PER_REGISTRY }, (_, i) => serviceJson(r, i));
  const text = `{"services":[${parts.join(',')}]}`;
  assert.ok(Buffer.byteLength(text) < SHARED_BODY_LIMIT, `${text.length} bytes inflated`);
  return gzipSync(text);
}

async function send(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer) {
  return client.send({
    method,
    path,
    headers: { authorization: `Bearer ${stack.adminToken}`, ...headers },
    ...(body === undefined ? {} : { body }),
    timeoutMs: 120_000,
  });
}

/** A push, tried again while the store answers 503 under the writers' contention (as clients do). */
async function push(r: number, body: Buffer): Promise<void> {
  const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
  for (let attempt = 1; ; attempt++) {
    const reply = await send('PUT', `/registries/${NAMES[r]}/snapshot`, headers, body);
    if (reply.status === 200) return;
    if (reply.status !== 503 || attempt >= 5) assert.fail(`push ${NAMES[r]}: ${reply.status} ${reply.text}`);
  }
}

/** What the body takes in a Lambda response: a compressed body travels base64-encoded. */
function payloadBytes(reply: RawReply): number {
  const encoded = reply.headers['content-encoding'] !== undefined;
  return encoded ? Math.ceil(reply.raw.length / 3) * 4 : reply.raw.length;
}

interface Entry {
  id: string;
  registry: string;
}
const ours = (services: Entry[]) => services.filter((s) => s.registry.startsWith(PREFIX));

describe('paging at 100,000 services', () => {
  before(async () => {
    stack = (await sharedStack()).stack;
    client = rawClient(stack.url, { maxSockets: PUSHES_AT_ONCE + 2 });
    for (const name of NAMES) {
      const created = await send(
        'PUT',
        `/registries/${name}`,
        { 'content-type': 'application/json' },
        Buffer.from('{"provider":"static"}'),
      );
      assert.ok(created.status === 201 || created.status === 200, created.text);
    }
    const queue = NAMES.map((_, r) => r);
    await Promise.all(
      Array.from({ length: PUSHES_AT_ONCE }, async () => {
        for (let r = queue.shift(); r !== undefined; r = queue.shift()) await push(r, snapshotBody(r));
      }),
    );
  });

  // The next files on the shared stack read the view without a limit: give them back a small one.
  after(async () => {
    if (stack) for (const name of NAMES) await send('DELETE', `/registries/${name}`);
    client?.close();
  });

  test('the pages of a revision add up to its whole view, each under 6 MB, and no limit is answered as documented', async () => {
    // Act: every page of one walk, uncompressed.
    const pages: RawReply[] = [];
    let next: string | undefined;
    do {
      const query = `limit=${PAGE_LIMIT}${next === undefined ? '' : `&cursor=${next}`}`;
      const page = await send('GET', `/services?${query}`, { 'accept-encoding': 'identity' });
      assert.equal(page.status, 200, page.text.slice(0, 300));
      pages.push(page);
      next = page.json.next;
    } while (next !== undefined);
    const revision = pages[0]?.json.revision as number;
    const whole = await send('GET', `/services?revision=${revision}`, { 'accept-encoding': 'gzip' });
    const unpaged = await send('GET', `/services?revision=${revision}`, { 'accept-encoding': 'identity' });

    // Assess: the walk is exactly the revision's view, whatever was pushed meanwhile.
    const walked: Entry[] = pages.flatMap((page) => page.json.services);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['content-encoding'], 'gzip');
    assert.equal(whole.json.truncated, undefined);
    assert.equal(whole.json.next, undefined);
    assert.equal(walked.length, pages[0]?.json.total);
    assert.deepEqual(walked, whole.json.services);
    for (const page of pages) {
      assert.equal(page.json.revision, revision);
      assert.ok(payloadBytes(page) < LAMBDA_RESPONSE_LIMIT, `a page of ${payloadBytes(page)} bytes`);
    }
    assert.ok(
      payloadBytes(whole) < LAMBDA_RESPONSE_LIMIT,
      `the gzip view takes ${payloadBytes(whole)} bytes`,
    );
    // Only the first page carries registries, errors and conflicts.
    assert.ok(Array.isArray(pages[0]?.json.registries));
    assert.ok(pages.slice(1).every((page) => page.json.registries === undefined));

    // This file's 100,000 services, each once, as pushed.
    const mine = ours(walked);
    assert.equal(mine.length, REGISTRIES * PER_REGISTRY);
    assert.equal(new Set(mine.map((s) => s.id)).size, mine.length);
    assert.deepEqual(mine[PER_REGISTRY + 7], {
      hostname: `s7.${NAMES[1]}.example.com`,
      address: '10.1.0.7',
      registry: NAMES[1],
      id: `${NAMES[1]}/s7.${NAMES[1]}.example.com`,
    });

    // Without limit and uncompressed (~15 MB), the first page that fits, said to be one.
    assert.equal(unpaged.status, 200);
    assert.ok(
      unpaged.raw.length > 0 && payloadBytes(unpaged) < LAMBDA_RESPONSE_LIMIT,
      `${unpaged.raw.length} bytes`,
    );
    assert.equal(unpaged.json.truncated, true);
    assert.equal(typeof unpaged.json.next, 'string');
    assert.ok(unpaged.json.services.length < walked.length);
    assert.deepEqual(unpaged.json.services, walked.slice(0, unpaged.json.services.length));
  });
});
