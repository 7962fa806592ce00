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
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeBody, findDuplicateKey } from '#http/body.ts';
import { DNS_LABEL } from '#lib/schemas.ts';
import {
  errorShapeProblem,
  isGatewayReply,
  type RawClient,
  type RawReply,
  type RawRequest,
  rawClient,
} from '../helpers/raw-http.ts';
import { type StackWithDb, startStackWithDb } from '../helpers/stack-with-db.ts';
import { dumpTable } from '../helpers/table-dump.ts';

const RUNS = Math.max(100, Number(process.env.FUZZ_RUNS ?? 1500));
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);
const REJECTED_RUNS = Math.round(RUNS * 0.65);
const ANYTHING_RUNS = RUNS - REJECTED_RUNS;
/** Small, so that "too large" is cheap to send; the real default is 32 MiB. */
const BODY_LIMIT = 1_000_000;
/** The stored generation of the seeded registries: snapshot bodies at or below it are stale. */
const STORED_GENERATION = 1000;
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

// ---------------------------------------------------------------------------------------------------
// JSON trees that can say what JSON.stringify cannot: duplicate keys, `__proto__`, escaped keys, raw
// number text such as 1e400.

class Raw {
  constructor(readonly text: string) {}
}
class Obj {
  constructor(readonly entries: [string, Tree][]) {}
}
class Arr {
  constructor(readonly items: Tree[]) {}
}
type Tree = null | boolean | number | string | Raw | Obj | Arr;

function toTree(value: unknown): Tree {
  if (Array.isArray(value)) return new Arr(value.map(toTree));
  if (value !== null && typeof value === 'object') {
    return new Obj(Object.entries(value).map(([key, child]) => [key, toTree(child)]));
  }
  return value as Tree;
}

/** JSON text of the tree; `space` goes after every `{`, `[`, `:` and `,` (whitespace JSON allows). */
function serialize(tree: Tree, space = ''): string {
  if (tree instanceof Raw) return tree.text;
  if (tree instanceof Arr)
    return `[${space}${tree.items.map((item) => serialize(item, space)).join(`,${space}`)}]`;
  if (tree instanceof Obj) {
    const entries = tree.entries.map(([key, value]) => `${quoteKey(key)}:${space}${serialize(value, space)}`);
    return `{${space}${entries.join(`,${space}`)}}`;
  }
  return JSON.stringify(tree);
}

/** Keys starting with `\\` are written as given (an escaped spelling); others are JSON-quoted. */
function quoteKey(key: string): string {
  return key.startsWith('\\') ? `"${key.slice(1)}"` : JSON.stringify(key);
}

interface Slot {
  get(): Tree;
  set(value: Tree): void;
  /** The key leading here, when the parent is an object. */
  key: string | undefined;
}

/** Every node of the tree with a way to replace it; the root first. */
function slots(root: { tree: Tree }): Slot[] {
  const out: Slot[] = [{ get: () => root.tree, set: (value) => (root.tree = value), key: undefined }];
  const visit = (tree: Tree) => {
    if (tree instanceof Arr) {
      tree.items.forEach((child, index) => {
        out.push({
          get: () => tree.items[index] as Tree,
          set: (value) => (tree.items[index] = value),
          key: undefined,
        });
        visit(child);
      });
    } else if (tree instanceof Obj) {
      tree.entries.forEach((entry) => {
        out.push({ get: () => entry[1], set: (value) => (entry[1] = value), key: entry[0] });
        visit(entry[1]);
      });
    }
  };
  visit(root.tree);
  return out;
}

function typeOf(tree: Tree): string {
  if (tree === null) return 'null';
  if (tree instanceof Arr) return 'array';
  if (tree instanceof Obj) return 'object';
  if (tree instanceof Raw) return 'number';
  return typeof tree;
}

// ---------------------------------------------------------------------------------------------------
// Valid inputs, and mutations that make them invalid (or, for `anything goes`, maybe not).

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/);
const hostnameArb = fc
  .array(label, { minLength: 1, maxLength: 4 })
  .map((labels) => `${labels.join('.')}.test`);
const portArb = fc.record(
  {
    name: fc.constantFrom('http', 'grpc', 'tcp', ''),
    port: fc.integer({ min: 1, max: 65_535 }),
    protocol: fc.constantFrom('HTTP', 'TCP', 'GRPC', 'HTTP2'),
  },
  { requiredKeys: ['port'] },
);
const labelsArb = fc.dictionary(
  fc.stringMatching(/^[a-z]([a-z0-9.-]{0,6}[a-z0-9])?$/),
  fc.string({ maxLength: 12 }),
  {
    maxKeys: 4,
  },
);
const serviceArb = fc.record(
  {
    hostname: hostnameArb,
    address: fc.ipV4(),
    ports: fc.array(portArb, { maxLength: 3 }),
    namespace: fc.constantFrom('default', 'shop', 'kube-system'),
    resolution: fc.constantFrom('ClientSideLB', 'DNS', 'Passthrough'),
    meshExternal: fc.boolean(),
    labels: labelsArb,
    serviceAccounts: fc.array(fc.constantFrom('spiffe://cluster.local/ns/a/sa/b', 'sa-1'), { maxLength: 2 }),
    endpoints: fc.array(
      fc.record(
        {
          address: fc.ipV4(),
          port: fc.integer({ min: 1, max: 65_535 }),
          healthy: fc.boolean(),
          labels: labelsArb,
        },
        { requiredKeys: ['address', 'port'] },
      ),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: ['hostname'] },
);
const staleSnapshotArb = fc.record({
  generation: fc.integer({ min: 1, max: STORED_GENERATION }),
  services: fc.array(serviceArb, { maxLength: 4 }),
});
const snapshotArb = fc.record(
  { generation: fc.integer({ min: 1, max: 2 ** 40 }), services: fc.array(serviceArb, { maxLength: 4 }) },
  { requiredKeys: ['services'] },
);
const registryArb = fc.record(
  {
    clusterId: fc.stringMatching(/^([a-z0-9][-a-z0-9_.]{0,12})?$/),
    provider: fc.constantFrom('Kubernetes', 'Consul', 'static'),
    description: fc.string({ maxLength: 40 }),
  },
  { requiredKeys: [] },
);

/** Numbers no field accepts: out of every range, not integers, not safe integers, not finite. */
/**
 * Numbers no field accepts: not integers, not positive, beyond the safe integers, not finite. (A port
 * also gets 65536; nowhere else, since 65536 is a fine generation.)
 */
const BAD_NUMBERS = [
  '1e400',
  '-1e400',
  '1e308',
  '9007199254740992',
  '18446744073709551616',
  '-0',
  '0',
  '-1',
  '1.5',
  '0.0000001',
  '-9007199254740993',
];
const BAD_PORTS = [...BAD_NUMBERS, '65536', '70000'];
const UNKNOWN_KEYS = [
  'clusterID',
  'Hostname',
  'extra',
  'port_',
  '__proto__',
  'constructor',
  'cluster_id',
  ' services',
  'gen',
];
const DEEP = [64, 1000, 20_000];
const WRONG_VALUES: Tree[] = [0, 'x', true, null, new Arr([]), new Obj([]), -1, '', false];

type MutationKind = 'wrongType' | 'badNumber' | 'deepNesting' | 'unknownField' | 'duplicateKey';
interface Mutation {
  kind: MutationKind;
  pick: number;
  variant: number;
}
const mutationArb = fc.record({
  kind: fc.constantFrom<MutationKind>(
    'wrongType',
    'badNumber',
    'deepNesting',
    'unknownField',
    'duplicateKey',
  ),
  pick: fc.nat(),
  variant: fc.nat(),
});

/**
 * Applies the mutation and returns the body's text. Every mutation makes a snapshot or registry body
 * invalid, except a duplicate key, which only the duplicate-key check refuses.
 */
function mutate(value: unknown, mutation: Mutation): { text: string; what: string } {
  const root = { tree: toTree(value) };
  const all = slots(root);
  const { pick, variant } = mutation;
  switch (mutation.kind) {
    case 'wrongType': {
      const slot = all[pick % all.length] as Slot;
      const current = typeOf(slot.get());
      const choices = WRONG_VALUES.filter((candidate) => typeOf(candidate) !== current);
      slot.set(choices[variant % choices.length] as Tree);
      break;
    }
    case 'badNumber': {
      const slot = all[pick % all.length] as Slot;
      const numbers = slot.key === 'port' ? BAD_PORTS : BAD_NUMBERS;
      slot.set(new Raw(numbers[variant % numbers.length] as string));
      break;
    }
    case 'deepNesting': {
      const depth = DEEP[variant % DEEP.length] as number;
      const text =
        variant % 2 === 0
          ? `${'['.repeat(depth)}${']'.repeat(depth)}`
          : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      (all[pick % all.length] as Slot).set(new Raw(text));
      break;
    }
    case 'unknownField': {
      const objects = all.map((slot) => slot.get()).filter((tree): tree is Obj => tree instanceof Obj);
      // Not a labels map: any valid key is a label there. Objects are found by identity.
      const records = new Set(all.filter((slot) => slot.key === 'labels').map((slot) => slot.get()));
      const targets = objects.filter((tree) => !records.has(tree));
      const target = targets[pick % targets.length] as Obj;
      target.entries.splice(variant % (target.entries.length + 1), 0, [
        UNKNOWN_KEYS[variant % UNKNOWN_KEYS.length] as string,
        variant % 3 === 0 ? 'x' : variant % 3 === 1 ? 1 : null,
      ]);
      break;
    }
    case 'duplicateKey': {
      const objects = all
        .map((slot) => slot.get())
        .filter((tree): tree is Obj => tree instanceof Obj && tree.entries.length > 0);
      if (objects.length === 0) return { text: '{"a":1,"a":1}', what: 'duplicateKey' };
      const target = objects[pick % objects.length] as Obj;
      const [key, child] = target.entries[variant % target.entries.length] as [string, Tree];
      // The same key again: with the same value, a newer-looking value, or an escaped spelling.
      const spelling =
        variant % 3 === 2 ? `\\\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${escapeRest(key)}` : key;
      const again: Tree = key === 'generation' && variant % 3 === 1 ? 999_999_999 : child;
      target.entries.push([key === '' ? key : spelling, again]);
      break;
    }
  }
  return { text: serialize(root.tree), what: mutation.kind };
}

/** A key written with its first UTF-16 unit as a `\uXXXX` escape (see quoteKey). */
function escapedSpelling(key: string): string {
  if (key === '') return key;
  return `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${escapeRest(key)}`;
}

/** The decoded key of an entry (escaped spellings as JSON reads them). */
function decodedKey(key: string): string {
  return key.startsWith('\\') ? (JSON.parse(`"${key.slice(1)}"`) as string) : key;
}

/** What findDuplicateKey must answer: the first repeated key in text order, with the path of its object. */
function referenceDuplicate(tree: Tree, path: string): { key: string; path: string } | undefined {
  if (tree instanceof Arr) {
    for (const [index, item] of tree.items.entries()) {
      const found = referenceDuplicate(item, `${path}[${index}]`);
      if (found) return found;
    }
  } else if (tree instanceof Obj) {
    const seen = new Set<string>();
    for (const [raw, value] of tree.entries) {
      const key = decodedKey(raw);
      if (seen.has(key)) return { key, path };
      seen.add(key);
      const step = /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${path === '' ? '' : '.'}${key}`
        : `[${JSON.stringify(key).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}]`;
      const found = referenceDuplicate(value, path + step);
      if (found) return found;
    }
  }
  return undefined;
}

/** The rest of a key after its first character, JSON-escaped (for `\uXXXX` + rest spellings). */
function escapeRest(key: string): string {
  return JSON.stringify(key.slice(1)).slice(1, -1);
}

// ---------------------------------------------------------------------------------------------------
// Encodings, headers, paths.

const INVALID_UTF8 = [
  [0xff],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
];

type Encoding = 'plain' | 'gzip' | 'truncatedGzip' | 'badUtf8Gzip' | 'badUtf8Identity' | 'badUtf8Plain';
const encodingArb = fc.record({
  kind: fc.constantFrom<Encoding>(
    'plain',
    'plain',
    'gzip',
    'truncatedGzip',
    'badUtf8Gzip',
    'badUtf8Identity',
    'badUtf8Plain',
  ),
  at: fc.nat(),
  variant: fc.nat(),
});

function encode(text: string, encoding: { kind: Encoding; at: number; variant: number }) {
  const bytes = Buffer.from(text, 'utf8');
  const bad = () => {
    const at = encoding.at % (bytes.length + 1);
    const insert = Buffer.from(INVALID_UTF8[encoding.variant % INVALID_UTF8.length] as number[]);
    return Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at)]);
  };
  switch (encoding.kind) {
    case 'plain':
      return { body: bytes, headers: {} };
    case 'gzip':
      return { body: gzipSync(bytes), headers: { 'content-encoding': 'gzip' } };
    case 'truncatedGzip': {
      const zipped = gzipSync(bytes);
      return {
        body: zipped.subarray(0, 1 + (encoding.at % (zipped.length - 1))),
        headers: { 'content-encoding': 'gzip' },
      };
    }
    case 'badUtf8Gzip':
      return { body: gzipSync(bad()), headers: { 'content-encoding': 'gzip' } };
    case 'badUtf8Identity':
      return { body: bad(), headers: { 'content-encoding': 'identity' } };
    case 'badUtf8Plain':
      return { body: bad(), headers: {} };
  }
}

const contentTypeArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/merge-patch+json',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/jsonx',
      '*/*',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,40}$/) },
);
const contentEncodingArb = fc.option(
  fc.oneof(
    fc.constantFrom(
      'gzip',
      'identity',
      'GZIP',
      ' gzip ',
      'br',
      'deflate',
      'x-gzip',
      'gzip, gzip',
      'compress',
      '',
    ),
    fc.stringMatching(/^[\x21-\x7e]{1,20}$/),
  ),
  { freq: 3 },
);
const extraHeadersArb = fc.dictionary(
  fc.constantFrom(
    'authorization',
    'accept-encoding',
    'if-none-match',
    'accept',
    'origin',
    'x-forwarded-for',
    'x-amzn-trace-id',
    'cookie',
  ),
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/),
  { maxKeys: 3 },
);

/** Path segments that try to escape, smuggle or impersonate. */
const TRICKS = [
  '%2e%2e',
  '..',
  '.',
  '%2e',
  '%2F',
  'a%2Fb',
  '%252F',
  '%252e%252e',
  '%00',
  'a%00b',
  '%0a',
  '%0d%0a',
  '%20',
  'a%20b',
  '%D0%B0',
  '%EF%BD%81',
  '%E2%80%8B',
  '%C0%AF',
  '%E0%A4%A',
  '%',
  '%zz',
  '%%32%46',
  '%u002e',
  '~',
  '*',
  '%2A',
  ';',
  'a;b',
  'fz-one%2F..%2Ffz-two',
  'FZ-ONE',
  'fz_one',
  '-fz',
  'fz-',
  'x'.repeat(64),
  'y'.repeat(300),
  '%C4%B1',
  '%E2%84%AA',
  '%ef%bc%8e%ef%bc%8e',
  '..%2F..%2Fservices',
  '%5C',
  'a%5Cb',
  '%3F',
  '%23',
  '@',
  '%40',
  'null',
  'undefined',
  '__proto__',
];
const segmentArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...TRICKS) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'registries',
      'services',
      'snapshot',
      'refresh',
      'fz-one',
      'fz-two',
      'nope',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
);
const pathArb = fc.oneof(
  fc.tuple(fc.constantFrom('registries', 'services'), segmentArb).map(([a, b]) => `/${a}/${b}`),
  fc
    .tuple(segmentArb, fc.constantFrom('snapshot', 'refresh', ''))
    .map(([name, tail]) => `/registries/${name}${tail ? `/${tail}` : ''}`),
  fc.array(segmentArb, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
);
const methodArb = fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'HEAD', 'OPTIONS');

/**
 * Whether a request could change stored data: a writing method on a route that resolves (after
 * decoding and dot-segment removal, as the HTTP server does) to a real registry route with a valid
 * name. Conservative: when in doubt, yes.
 */
function mayWrite(method: string, path: string): boolean {
  if (!['PUT', 'DELETE', 'POST', 'PATCH'].includes(method)) return false;
  let normalised: string;
  try {
    normalised = new URL(path, 'http://x').pathname;
  } catch {
    return true;
  }
  const segments = normalised.split('/').slice(1);
  let decoded: string[];
  try {
    decoded = segments.map(decodeURIComponent);
  } catch {
    return false; // not decodable: the HTTP server answers 400 before any function runs
  }
  if (decoded[0] !== 'registries' || decoded.length < 2 || decoded.length > 3) return false;
  return DNS_LABEL.test(decoded[1] ?? '') || decoded.length === 3;
}

/**
 * Any method, path and headers, with an optional body. One combination is left out on purpose: a
 * body that does not inflate, sent with `Content-Encoding: gzip` or `deflate` to a path no route
 * matches, crashes serverless-offline itself (hapi's payload decoder emits an uncaught "Invalid
 * compressed payload" and the process exits). API Gateway does not run hapi, and our routes never let
 * hapi decode (they read the raw payload), so such bodies are compressed properly here.
 */
function randomRequestArb(bodyArb: fc.Arbitrary<string>): fc.Arbitrary<RawRequest> {
  return fc
    .record({
      method: methodArb,
      path: pathArb,
      contentType: contentTypeArb,
      contentEncoding: contentEncodingArb,
      extra: extraHeadersArb,
      body: fc.option(bodyArb),
    })
    .map(({ method, path, contentType, contentEncoding, extra, body }) => {
      const headers: Record<string, string> = { ...extra, 'content-type': contentType };
      if (contentEncoding !== null) headers['content-encoding'] = contentEncoding;
      if (method === 'GET' || method === 'HEAD') return { method, path, headers };
      let bytes: Buffer | undefined = body === null ? undefined : Buffer.from(body);
      // The HTTP server trims header values: ' gzip ' is gzip to hapi.
      if (contentEncoding?.trim() === 'gzip') bytes = gzipSync(bytes ?? Buffer.alloc(0));
      if (contentEncoding?.trim() === 'deflate') bytes = deflateSync(bytes ?? Buffer.alloc(0));
      return bytes === undefined ? { method, path, headers } : { method, path, headers, body: bytes };
    });
}

// ---------------------------------------------------------------------------------------------------
// Checking answers.

interface Tally {
  cases: number;
  statuses: Map<string, number>;
  gateway: number;
  accepted: number;
  slowestMs: number;
  bytesSent: number;
}

const newTally = (): Tally => ({
  cases: 0,
  statuses: new Map(),
  gateway: 0,
  accepted: 0,
  slowestMs: 0,
  bytesSent: 0,
});

function record(tally: Tally, request: RawRequest, reply: RawReply): void {
  tally.cases++;
  tally.slowestMs = Math.max(tally.slowestMs, reply.ms);
  tally.bytesSent += request.body?.length ?? 0;
  const gateway = isGatewayReply(reply);
  if (gateway) tally.gateway++;
  if (reply.status < 300) tally.accepted++;
  const key = gateway
    ? `${reply.status} (gateway)`
    : `${reply.status} ${reply.json?.error?.code ?? ''}`.trim();
  tally.statuses.set(key, (tally.statuses.get(key) ?? 0) + 1);
}

function describeRequest(request: RawRequest): string {
  const body =
    request.body === undefined ? '' : Buffer.from(request.body).subarray(0, 200).toString('latin1');
  return `${request.method} ${request.path.slice(0, 200)} ${JSON.stringify(request.headers ?? {})} ${body}`;
}

const recent: string[] = [];
let noAnswer: string | undefined;

/** Never a 5xx, an answer in time (the client's deadline), our error shape on every error. */
async function sendChecked(request: RawRequest, tally: Tally): Promise<RawReply> {
  recent.push(describeRequest(request).slice(0, 300));
  if (recent.length > 5) recent.shift();
  const reply = await client.send({ timeoutMs: 15_000, ...request }).catch((error: unknown) => {
    // No answer at all: say what was sent before the first such failure, and what the stack said.
    noAnswer ??= `sent last:\n${recent.join('\n')}\n${env.stack.output().slice(-3000)}`;
    throw new Error(`${describeRequest(request)}: ${String(error)}\n${noAnswer}`);
  });
  record(tally, request, reply);
  const context = () => `${describeRequest(request)}\n→ ${reply.status} ${reply.text.slice(0, 300)}`;
  assert.ok(reply.status >= 200 && reply.status < 500, `a ${reply.status}: ${context()}`);
  // serverless-offline answers a Lambda timeout or crash with a 200 and an `errorType` body.
  assert.equal(reply.json?.errorType, undefined, `the function failed: ${context()}`);
  if (reply.status >= 400 && request.method !== 'HEAD' && !isGatewayReply(reply)) {
    const problem = errorShapeProblem(reply);
    assert.equal(problem, undefined, `${problem}: ${context()}`);
  }
  return reply;
}

function printTally(name: string, tally: Tally): void {
  const statuses = [...tally.statuses].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, n]) => `${key}: ${n}`);
  console.log(
    `# ${name}: ${tally.cases} requests (${(tally.bytesSent / 1e6).toFixed(1)} MB sent), ${tally.accepted} accepted, ` +
      `${tally.cases - tally.accepted} rejected, ${tally.gateway} answered by the emulated gateway; slowest ${Math.round(tally.slowestMs)} ms`,
  );
  console.log(`#   ${statuses.join(', ')}`);
}

/** fc.assert, with the failing case's own assertion message in the error (fast-check keeps only its own). */
async function checkProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  params: fc.Parameters<[T]>,
  property: (value: T) => Promise<void>,
): Promise<void> {
  let failure: unknown;
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        try {
          await property(value);
        } catch (error) {
          failure = error;
          throw error;
        }
      }),
      params,
    );
  } catch (error) {
    const cause = failure instanceof Error ? failure.message : String(failure);
    throw new Error(`${(error as Error).message.slice(0, 3000)}\nThe failure: ${cause}`);
  }
}

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

  test('duplicate-key check, in process: agrees with a reference on random JSON with repeated keys', () => {
    // Few distinct keys, so duplicates are common; some need escaping, some are written escaped.
    const keyArb = fc.constantFrom('a', 'b', 'é', 'a"b', 'a\\', '', '\u2028', '𝒳');
    const { tree } = fc.letrec<{ tree: Tree }>((recurse) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null)),
        fc.array(recurse('tree'), { maxLength: 4 }).map((items) => new Arr(items)),
        fc
          .array(fc.tuple(keyArb, fc.boolean(), recurse('tree')), { maxLength: 4 })
          .map(
            (entries) =>
              new Obj(entries.map(([key, escaped, value]) => [escaped ? escapedSpelling(key) : key, value])),
          ),
      ),
    }));
    let withDuplicates = 0;
    fc.assert(
      fc.property(tree, fc.boolean(), (value, spaced) => {
        const text = serialize(value, spaced ? ' \n ' : '');
        const expected = referenceDuplicate(value, '');
        if (expected) withDuplicates++;
        assert.deepEqual(findDuplicateKey(text), expected, text);
      }),
      { numRuns: 2000, seed: SEED },
    );
    console.log(
      `# duplicate-key scanner vs reference: 2000 random JSON texts (${withDuplicates} with a duplicate) agree`,
    );
  });

  test('duplicate-key check on a 30 MB body, in process: linear, well under a second', () => {
    const services = Array.from({ length: 36_000 }, (_, i) => ({
      hostname: `svc-${i}.ns.svc.cluster.local`,
      address: '10.0.0.1',
      ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
      labels: { app: `a${i}`, version: 'v1' },
      endpoints: Array.from({ length: 8 }, (_, j) => ({
        address: `10.1.${j}.1`,
        port: 8080,
        labels: { zone: 'a', idx: String(j) },
        healthy: true,
      })),
    }));
    const text = JSON.stringify({ services, generation: 5 });
    const middleware = decodeBody({ maxBytes: 64 * 1024 * 1024 });
    const run = (body: string) => {
      const event = { body, isBase64Encoded: false, headers: { 'content-type': 'application/json' } } as any;
      const started = performance.now();
      let error: any;
      try {
        middleware.before?.({ event } as any);
      } catch (caught) {
        error = caught;
      }
      return { ms: performance.now() - started, error };
    };
    run(text); // warm up
    const clean = run(text);
    const duplicate = run(`${text.slice(0, -1)},"generation":6}`);
    const nested = run(text.replace('"version":"v1"}', '"version":"v1","app":"again"}'));
    assert.equal(clean.error, undefined);
    assert.match(duplicate.error?.message ?? '', /DuplicateKey.*duplicate key \\"generation\\" in the body/);
    assert.match(nested.error?.message ?? '', /duplicate key \\"app\\" in services\[0\]\.labels/);
    assert.ok(clean.ms < 1500, `${clean.ms} ms`);
    console.log(
      `# duplicate keys, ${(text.length / 1e6).toFixed(1)} MB body: clean ${Math.round(clean.ms)} ms, ` +
        `duplicate at the end ${Math.round(duplicate.ms)} ms, in the first service ${Math.round(nested.ms)} ms`,
    );
  });
});

/** The one error code a case must get, when only one is possible; undefined when several are. */
function expectedCode(what: string, encoding: Encoding, contentType: string): string | undefined {
  const json = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i.test(contentType);
  if (encoding === 'truncatedGzip') return 'InvalidEncoding';
  if (encoding === 'badUtf8Gzip' || encoding === 'badUtf8Identity') return 'InvalidEncoding';
  // Without Content-Encoding, whether the bytes arrive as text or base64 is the gateway's choice.
  if (encoding === 'badUtf8Plain') return undefined;
  if (!json) return 'UnsupportedMediaType';
  if (what === 'duplicateKey') return 'DuplicateKey';
  return undefined;
}
