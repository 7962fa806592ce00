/**
 * What the fuzz tests send: valid snapshots and registries, mutations that make them invalid, body
 * encodings, content types and encodings, path segments that try to escape or impersonate, random
 * requests. Shared by the in-process fuzz tests (test/handlers/fuzz-*.test.ts) and the HTTP one.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DNS_LABEL } from '#lib/schemas.ts';
import type { RawRequest } from '../raw-http.ts';
import {
  Arr,
  escapeRest,
  Obj,
  Raw,
  type Slot,
  serialize,
  slots,
  type Tree,
  toTree,
  typeOf,
} from './json-tree.ts';

/** The stored generation of the seeded registries: snapshot bodies at or below it are stale. */
export const STORED_GENERATION = 1000;

export const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/);
export const hostnameArb = fc
  .array(label, { minLength: 1, maxLength: 4 })
  .map((labels) => `${labels.join('.')}.test`);
export const portArb = fc.record(
  {
    name: fc.constantFrom('http', 'grpc', 'tcp', ''),
    port: fc.integer({ min: 1, max: 65_535 }),
    protocol: fc.constantFrom('HTTP', 'TCP', 'GRPC', 'HTTP2'),
  },
  { requiredKeys: ['port'] },
);
export const labelsArb = fc.dictionary(
  fc.stringMatching(/^[a-z]([a-z0-9.-]{0,6}[a-z0-9])?$/),
  fc.string({ maxLength: 12 }),
  {
    maxKeys: 4,
  },
);
export const serviceArb = fc.record(
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
export const staleSnapshotArb = fc.record({
  generation: fc.integer({ min: 1, max: STORED_GENERATION }),
  services: fc.array(serviceArb, { maxLength: 4 }),
});
export const snapshotArb = fc.record(
  { generation: fc.integer({ min: 1, max: 2 ** 40 }), services: fc.array(serviceArb, { maxLength: 4 }) },
  { requiredKeys: ['services'] },
);
export const registryArb = fc.record(
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
export const BAD_NUMBERS = [
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
export const BAD_PORTS = [...BAD_NUMBERS, '65536', '70000'];
export const UNKNOWN_KEYS = [
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
export const DEEP = [64, 1000, 20_000];
export const WRONG_VALUES: Tree[] = [0, 'x', true, null, new Arr([]), new Obj([]), -1, '', false];

export type MutationKind = 'wrongType' | 'badNumber' | 'deepNesting' | 'unknownField' | 'duplicateKey';
export interface Mutation {
  kind: MutationKind;
  pick: number;
  variant: number;
}
export const mutationArb = fc.record({
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
export function mutate(value: unknown, mutation: Mutation): { text: string; what: string } {
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

export const INVALID_UTF8 = [
  [0xff],
  [0xc3, 0x28],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
];

export type Encoding =
  | 'plain'
  | 'gzip'
  | 'truncatedGzip'
  | 'badUtf8Gzip'
  | 'badUtf8Identity'
  | 'badUtf8Plain';
export const encodingArb = fc.record({
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

export function encode(text: string, encoding: { kind: Encoding; at: number; variant: number }) {
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

export const contentTypeArb = fc.oneof(
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
export const contentEncodingArb = fc.option(
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
export const extraHeadersArb = fc.dictionary(
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
export const TRICKS = [
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
export const segmentArb = fc.oneof(
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
export const pathArb = fc.oneof(
  fc.tuple(fc.constantFrom('registries', 'services'), segmentArb).map(([a, b]) => `/${a}/${b}`),
  fc
    .tuple(segmentArb, fc.constantFrom('snapshot', 'refresh', ''))
    .map(([name, tail]) => `/registries/${name}${tail ? `/${tail}` : ''}`),
  fc.array(segmentArb, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
);
export const methodArb = fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'HEAD', 'OPTIONS');

/**
 * Whether a request could change stored data: a writing method on a route that resolves (after
 * decoding and dot-segment removal, as the HTTP server does) to a real registry route with a valid
 * name. Conservative: when in doubt, yes.
 */
export function mayWrite(method: string, path: string): boolean {
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
export function randomRequestArb(bodyArb: fc.Arbitrary<string>): fc.Arbitrary<RawRequest> {
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

/** The one error code a case must get, when only one is possible; undefined when several are. */
export function expectedCode(what: string, encoding: Encoding, contentType: string): string | undefined {
  const json = /^application\/([a-z0-9.+-]+\+)?json(;|$)/i.test(contentType);
  if (encoding === 'truncatedGzip') return 'InvalidEncoding';
  if (encoding === 'badUtf8Gzip' || encoding === 'badUtf8Identity') return 'InvalidEncoding';
  // Without Content-Encoding, whether the bytes arrive as text or base64 is the gateway's choice.
  if (encoding === 'badUtf8Plain') return undefined;
  if (!json) return 'UnsupportedMediaType';
  if (what === 'duplicateKey') return 'DuplicateKey';
  return undefined;
}
