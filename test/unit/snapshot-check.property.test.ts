/**
 * The snapshot body's hand-written fast path (lib/snapshot-check.ts) against the zod schema it stands
 * in for, on random snapshots that are mostly valid with a wrong value, a missing or an unknown key
 * here and there, under small and default limits: whatever the fast path accepts, the schema accepts
 * with the same output, to the byte of its JSON, and its input unchanged; the parser answers exactly as `parseWith(schema)`
 * does, messages included; and the common valid snapshot does take the fast path.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS, type Limits } from '#lib/limits.ts';
import { parseWith, snapshotBodySchema } from '#lib/schemas.ts';
import { checkSnapshotBody, snapshotBodyParser } from '#lib/snapshot-check.ts';
import { fuzzRuns } from '../helpers/merge-arbitraries.ts';

// The project's standard count: the limits' edges, which random snapshots reach rarely, have the
// example test 'every limit, at it and one past it' below.
const NUM_RUNS = fuzzRuns();

/** Mostly `valid`, now and then one of `invalid`. */
const mostly = <T>(valid: fc.Arbitrary<T>, ...invalid: fc.Arbitrary<unknown>[]) =>
  fc.oneof(
    { weight: 60, arbitrary: valid as fc.Arbitrary<unknown> },
    ...invalid.map((arbitrary) => ({ weight: 1, arbitrary })),
  );

const wrongType = fc.constantFrom<unknown>(undefined, null, 0, -1, 1.5, '', 'x', true, [], {}, [1], { a: 1 });
const numberish = fc.oneof(
  fc.integer({ min: -2, max: 70_000 }),
  fc.constantFrom(
    0,
    -0,
    1.5,
    65_535,
    65_536,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    Number.NaN,
    '80',
  ),
);
const longString = (min: number, max: number) => fc.integer({ min, max }).map((length) => 'a'.repeat(length));
const hostnameish = fc.oneof(
  fc.constantFrom('svc.ns.svc.cluster.local', 'Hello.Example.COM.', '*.mesh.local', 'a_b.c', '1.2.3.4.'),
  fc.domain(),
);
const oddHostname = fc.oneof(
  fc.stringMatching(/^[-*._A-Za-z0-9]{0,12}(\.[-A-Za-z0-9_]{0,70}){0,3}\.?$/),
  longString(250, 256),
);
const ipv4Cidr = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 40 })).map(([ip, bits]) => `${ip}/${bits}`);
const ipv6Cidr = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 130 })).map(([ip, bits]) => `${ip}/${bits}`);
const oddAddress = fc.oneof(
  fc.ipV4Extended(),
  ipv4Cidr,
  ipv6Cidr,
  fc.ipV6(),
  oddHostname,
  fc.constantFrom('01.2.3.4', '1.2.3', '::1\n', '::@1\\', 'fe80::1%eth0', '1.2.3.4/', ' 1.2.3.4', ':', 'a:b'),
  fc.string({ maxLength: 12 }),
);
const tokenish = fc.oneof(
  fc.constantFrom('http', 'HTTP', 'grpc-web', 'Tcp', 'custom_x.1', 'ClientSideLB', 'DNS'),
  fc.stringMatching(/^[A-Za-z0-9][-A-Za-z0-9_.]{0,20}$/),
);
const oddToken = fc.oneof(
  fc.constantFrom('', '-bad', 'has space', 'ok'.repeat(20)),
  fc.stringMatching(/^[-A-Za-z0-9_.]{0,34}$/),
  longString(252, 255),
);
const labelKey = mostly(
  fc.oneof(
    fc.constantFrom('app', 'version', 'topology.kubernetes.io/zone', 'a/b', '1', '42', 'constructor'),
    fc.stringMatching(/^([a-z0-9][-a-z0-9.]{0,6}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?$/),
  ),
  fc.constantFrom(
    '__proto__',
    '-a',
    'a-',
    'a/',
    '/a',
    'x'.repeat(318),
    `${'p'.repeat(253)}/${'n'.repeat(63)}`,
  ),
  fc.stringMatching(/^[-A-Za-z0-9_./]{0,12}$/),
) as fc.Arbitrary<string>;
const labelsArb = mostly(
  fc
    .array(fc.tuple(labelKey, mostly(fc.string({ maxLength: 12 }), longString(255, 258), wrongType)), {
      maxLength: 4,
    })
    .map((entries) => Object.fromEntries(entries)),
  wrongType,
);

/**
 * A record whose optional keys are each present or not, a required one now and then missing, its keys
 * in the schema's order or shuffled, and now and then an unknown key (own and enumerable, as JSON.parse
 * makes even `__proto__`).
 */
function objectArb(model: Record<string, fc.Arbitrary<unknown>>, required: string[]) {
  const shaped = fc.oneof(
    { weight: 19, arbitrary: fc.record(model, { requiredKeys: required }) },
    { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) },
  );
  return mostly(
    fc
      .tuple(
        shaped,
        mostly(fc.constant(null), fc.constantFrom('clusterID', 'extra', '__proto__', 'hostName')),
        fc.option(fc.array(fc.nat(), { minLength: 10, maxLength: 10 }), { freq: 3 }),
      )
      .map(([value, unknown, shuffle]) => {
        const entries = Object.entries(value);
        if (shuffle !== null) {
          const weights = new Map(entries.map(([key], i) => [key, shuffle[i] ?? 0]));
          entries.sort(([a], [b]) => (weights.get(a) ?? 0) - (weights.get(b) ?? 0));
        }
        const object: Record<string, unknown> = Object.fromEntries(entries);
        if (typeof unknown === 'string') {
          Object.defineProperty(object, unknown, {
            value: 1,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return object;
      }),
    wrongType,
  );
}

const portArb = objectArb(
  {
    name: mostly(fc.constantFrom('http', 'grpc', ''), longString(62, 65), wrongType),
    port: mostly(fc.integer({ min: 1, max: 65_535 }), numberish, wrongType),
    protocol: mostly(tokenish, oddToken, wrongType),
  },
  ['port'],
);
const endpointArb = objectArb(
  {
    address: mostly(fc.oneof(fc.ipV4(), fc.ipV6(), hostnameish), oddAddress, wrongType),
    port: mostly(fc.integer({ min: 1, max: 65_535 }), numberish, wrongType),
    portName: mostly(fc.constantFrom('http', ''), longString(62, 65), wrongType),
    labels: labelsArb,
    locality: mostly(fc.constantFrom('region/zone', ''), longString(255, 258), wrongType),
    serviceAccount: mostly(
      fc.constantFrom('spiffe://cluster.local/ns/a/sa/b'),
      fc.constant(''),
      longString(511, 514),
      wrongType,
    ),
    healthy: mostly(fc.boolean(), wrongType),
  },
  ['address', 'port'],
);
const serviceArb = objectArb(
  {
    hostname: mostly(hostnameish, oddHostname, wrongType),
    address: mostly(
      fc.oneof(
        fc.constant(''),
        fc.ipV4(),
        ipv4Cidr.filter((c) => !c.match(/\/(3[3-9]|40)$/)),
      ),
      oddAddress,
      wrongType,
    ),
    ports: mostly(fc.array(portArb, { maxLength: 4 }), wrongType),
    namespace: mostly(tokenish, oddToken, wrongType),
    serviceAccounts: mostly(
      fc.array(
        mostly(fc.constantFrom('sa-1', 'spiffe://x/sa'), fc.constant(''), longString(511, 514), wrongType),
        { maxLength: 4 },
      ),
      wrongType,
    ),
    resolution: mostly(tokenish, oddToken, wrongType),
    meshExternal: mostly(fc.boolean(), wrongType),
    labels: labelsArb,
    endpoints: mostly(fc.array(endpointArb, { maxLength: 4 }), wrongType),
  },
  ['hostname'],
);
const bodyArb = objectArb(
  {
    services: mostly(fc.array(serviceArb, { maxLength: 5 }), wrongType),
    generation: mostly(fc.integer({ min: 1, max: 1_000 }), numberish, wrongType),
  },
  ['services'],
);
const limitsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(DEFAULT_LIMITS) },
  {
    weight: 1,
    arbitrary: fc
      .record({
        maxServicesPerSnapshot: fc.integer({ min: 1, max: 5 }),
        maxEndpointsPerService: fc.integer({ min: 1, max: 4 }),
        maxPortsPerService: fc.integer({ min: 1, max: 4 }),
        maxLabels: fc.integer({ min: 1, max: 4 }),
        maxServiceAccounts: fc.integer({ min: 1, max: 4 }),
      })
      .map((small): Limits => ({ ...DEFAULT_LIMITS, ...small })),
  },
);

describe('the snapshot fast path', () => {
  test('accepts only what the schema accepts, with the same output to the byte', () => {
    let fast = 0;
    let refused = 0;
    fc.assert(
      fc.property(bodyArb, limitsArb, (body, limits) => {
        const pristine = structuredClone(body);
        const schema = parseWith(snapshotBodySchema(limits), pristine);
        const checked = checkSnapshotBody(body, limits);
        assert.deepStrictEqual(body, pristine, 'the fast path changed its input');
        if (!schema.ok) refused++;
        if (checked === undefined) return;
        fast++;
        assert.ok(schema.ok, `the fast path took what the schema refuses: ${schema.ok || schema.message}`);
        assert.deepStrictEqual(checked, schema.value);
        assert.equal(JSON.stringify(checked), JSON.stringify(schema.value));
      }),
      { numRuns: NUM_RUNS },
    );
    // Both sides of the decision were exercised, not just one.
    assert.ok(fast > NUM_RUNS / 20 && refused > NUM_RUNS / 20, `fast ${fast}, refused ${refused}`);
  });

  test('the parser answers as parseWith(schema) does, refusal messages included', () => {
    fc.assert(
      fc.property(bodyArb, limitsArb, (body, limits) => {
        assert.deepStrictEqual(snapshotBodyParser(limits)(body), parseWith(snapshotBodySchema(limits), body));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('a common valid snapshot, as JSON.parse gives it, takes the fast path', () => {
    const common = fc.array(
      fc.record({
        hostname: fc.constantFrom('reviews.bookinfo.svc.cluster.local', 'API.Example.com.'),
        address: fc.ipV4(),
        namespace: fc.constantFrom('bookinfo', 'default'),
        ports: fc.array(
          fc.record({
            name: fc.constantFrom('http', 'grpc'),
            port: fc.integer({ min: 1, max: 65_535 }),
            protocol: fc.constantFrom('http', 'GRPC'),
          }),
          { maxLength: 3 },
        ),
        serviceAccounts: fc.array(fc.constant('spiffe://cluster.local/ns/bookinfo/sa/reviews'), {
          maxLength: 2,
        }),
        labels: fc.dictionary(fc.constantFrom('app', 'version', 'team/owner'), fc.string({ maxLength: 10 })),
        endpoints: fc.array(
          fc.record({
            address: fc.oneof(fc.ipV4(), fc.ipV6()),
            port: fc.integer({ min: 1, max: 65_535 }),
            labels: fc.dictionary(fc.constantFrom('app', 'pod'), fc.string({ maxLength: 10 })),
            locality: fc.constant('eu-west-1/eu-west-1a'),
            healthy: fc.boolean(),
          }),
          { maxLength: 3 },
        ),
      }),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(common, fc.option(fc.integer({ min: 1, max: 100 })), (services, generation) => {
        const body = JSON.parse(
          JSON.stringify(generation === null ? { services } : { services, generation }),
        );
        assert.notEqual(checkSnapshotBody(body, DEFAULT_LIMITS), undefined, JSON.stringify(body));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('every limit, at it and one past it, decided as the schema decides it', () => {
    const base = () => ({
      hostname: 'reviews.bookinfo.svc.cluster.local',
      address: '10.0.0.1',
      namespace: 'bookinfo',
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      serviceAccounts: ['spiffe://cluster.local/ns/bookinfo/sa/reviews'],
      labels: { app: 'reviews' } as Record<string, string>,
      endpoints: [
        {
          address: '10.1.0.1',
          port: 9080,
          portName: 'http',
          labels: { pod: 'a' },
          locality: 'eu-west-1/eu-west-1a',
          serviceAccount: 'spiffe://cluster.local/ns/bookinfo/sa/reviews',
        },
      ],
    });
    type Service = ReturnType<typeof base>;
    const a = (length: number) => 'a'.repeat(length);
    // Each edit sets one field to a value of the given length (or count); the schema's limit is where
    // it stops accepting, and the fast path must never accept past it.
    const onEndpoint =
      (key: string) =>
      (s: Service, n: number): void => {
        s.endpoints[0] = { ...s.endpoints[0], [key]: a(n) } as Service['endpoints'][0];
      };
    const edits: [string, (service: Service, n: number) => void][] = [
      [
        'port name',
        (s, n) => {
          s.ports[0] = { ...s.ports[0], name: a(n) } as Service['ports'][0];
        },
      ],
      ['endpoint port name', onEndpoint('portName')],
      ['endpoint locality', onEndpoint('locality')],
      ['endpoint service account', onEndpoint('serviceAccount')],
      [
        'service account',
        (s, n) => {
          s.serviceAccounts = [a(n)];
        },
      ],
      [
        'label value',
        (s, n) => {
          s.labels = { app: a(n) };
        },
      ],
      [
        'label key',
        (s, n) => {
          s.labels = { [a(n)]: 'x' };
        },
      ],
      [
        'hostname',
        (s, n) => {
          s.hostname = `${a(Math.max(n - 6, 1))}.local`;
        },
      ],
      [
        'namespace',
        (s, n) => {
          s.namespace = a(n);
        },
      ],
      [
        'ports',
        (s, n) => {
          s.ports = Array.from({ length: n }, (_, i) => ({
            name: `p${i}`,
            port: 1000 + i,
            protocol: 'http',
          }));
        },
      ],
      [
        'endpoints',
        (s, n) => {
          s.endpoints = Array.from({ length: n }, (_, i) => ({
            ...base().endpoints[0],
            address: `10.1.${i >> 8}.${i & 255}`,
          })) as Service['endpoints'];
        },
      ],
    ];
    const limits: Limits = { ...DEFAULT_LIMITS, maxPortsPerService: 3, maxEndpointsPerService: 3 };
    let edges = 0;
    for (const [what, edit] of edits) {
      // The largest length (or count) the schema accepts: doubled past it, then halved back to it.
      const accepted = (n: number) => {
        const service = base();
        edit(service, n);
        return parseWith(snapshotBodySchema(limits), { services: [service] }).ok;
      };
      let n = 1;
      while (!accepted(n) && n < 8) n++;
      assert.ok(accepted(n), `${what}: no accepted value`);
      let past = n + 1;
      while (accepted(past)) past *= 2;
      while (past - n > 1) {
        const middle = Math.floor((n + past) / 2);
        if (accepted(middle)) n = middle;
        else past = middle;
      }
      for (const length of [n, n + 1]) {
        const service = base();
        edit(service, length);
        const body = { services: [service] };
        const schema = parseWith(snapshotBodySchema(limits), structuredClone(body));
        const checked = checkSnapshotBody(body, limits);
        if (checked !== undefined) {
          assert.ok(schema.ok, `${what} of ${length}: the fast path took what the schema refuses`);
          assert.equal(JSON.stringify(checked), JSON.stringify(schema.value), `${what} of ${length}`);
        }
        assert.deepStrictEqual(snapshotBodyParser(limits)(body), schema, `${what} of ${length}`);
      }
      edges++;
    }
    assert.equal(edges, edits.length);
  });
});
