/** lib/source-schema.ts: what a registry's `source` and refresh settings may look like. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseWith } from '#lib/schemas.ts';
import {
  refreshSettingsSchema,
  resolveRefreshSettings,
  secretRef,
  sourceSchema,
} from '#lib/source-schema.ts';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

const message = (input: unknown) => {
  const result = parseWith(sourceSchema, input);
  return result.ok ? 'ok' : result.message;
};

describe('sourceSchema', () => {
  test('accepts the three source types', () => {
    for (const source of [
      {
        type: 'http',
        url: 'https://registry.example.com/snapshot',
        headers: { Authorization: { fromSsm: '/a/b' }, 'X-Team': 'a' },
      },
      {
        type: 'kubernetes',
        server: 'https://10.0.0.1:6443',
        token: { fromEnv: 'SOURCE_SECRET_KUBE_TOKEN' },
        caData: CA,
        namespaces: ['default', 'bookinfo'],
        clusterDomain: 'cluster.local',
      },
      {
        type: 'consul',
        address: 'http://consul.service:8500',
        datacenter: 'dc-1',
        token: { fromSsm: '/consul/token' },
        domain: 'consul',
      },
    ]) {
      assert.equal(message(source), 'ok', JSON.stringify(source));
    }
  });

  test('refuses what should not be stored or sent', () => {
    const cases: [unknown, RegExp][] = [
      [{ type: 'zookeeper' }, /^type: Invalid discriminator value/],
      [{ type: 'http', url: 'ftp://x/y' }, /^url: must be an http:\/\/ or https:\/\/ URL/],
      [{ type: 'http', url: 'https://user:pw@x/y' }, /^url: must not contain a user name or password/],
      [{ type: 'http', url: 'https://x', extra: 1 }, /extra.*Unrecognized key|Unrecognized key.*extra/],
      [{ type: 'http', url: 'https://x', headers: { Host: 'evil' } }, /^headers\.Host: is set by the client/],
      [
        { type: 'http', url: 'https://x', headers: { 'X-A': 'a\r\nX-B: b' } },
        /^headers\.X-A: must not contain line breaks/,
      ],
      [
        { type: 'http', url: 'https://x', headers: { 'X-A': '1', 'x-a': '2' } },
        /^headers\.x-a: is given twice/,
      ],
      [
        { type: 'kubernetes', server: 'https://k', token: 'plain-token' },
        /^token: must be a secret reference/,
      ],
      [
        { type: 'kubernetes', server: 'https://k', token: { fromEnv: 'A', fromSsm: '/b' } },
        /^token: must be a secret reference/,
      ],
      [
        { type: 'kubernetes', server: 'https://k', caData: 'not base64 pem' },
        /^caData: must be base64 of PEM/,
      ],
      [
        { type: 'kubernetes', server: 'https://k', namespaces: ['Bad_NS'] },
        /^namespaces\[0\]: must be a namespace name/,
      ],
      [{ type: 'kubernetes', server: 'https://k', namespaces: [] }, /^namespaces: Too small/],
      [
        { type: 'kubernetes', server: 'https://k', clusterDomain: '*.local' },
        /^clusterDomain: must be a DNS name/,
      ],
      [{ type: 'consul', address: 'http://c', token: 'plain' }, /^token: must be a secret reference/],
      [
        { type: 'consul', address: 'http://c', datacenter: 'dc 1' },
        /^datacenter: must be a Consul datacenter name/,
      ],
    ];
    for (const [input, expected] of cases) assert.match(message(input), expected, JSON.stringify(input));
  });
});

describe('secretRef', () => {
  test('fromEnv names a variable, fromSsm a parameter path', () => {
    assert.ok(secretRef.safeParse({ fromEnv: 'SOURCE_SECRET_CONSUL_HTTP_TOKEN' }).success);
    assert.ok(secretRef.safeParse({ fromSsm: '/prod/mesh/consul-token' }).success);
    assert.ok(!secretRef.safeParse({ fromEnv: '1BAD' }).success);
    assert.ok(!secretRef.safeParse({ fromSsm: 'no-leading-slash' }).success);
    assert.ok(!secretRef.safeParse({ fromVault: 'x' }).success);
  });
});

describe('refreshSettingsSchema', () => {
  test('defaults: every 60 s, stale after 3 periods', () => {
    assert.deepEqual(resolveRefreshSettings({}), { refreshSeconds: 60, maxAgeSeconds: 180 });
    assert.deepEqual(resolveRefreshSettings({ refreshSeconds: 30 }), {
      refreshSeconds: 30,
      maxAgeSeconds: 90,
    });
    assert.deepEqual(resolveRefreshSettings({ refreshSeconds: 30, maxAgeSeconds: 45 }), {
      refreshSeconds: 30,
      maxAgeSeconds: 45,
    });
  });

  test('limits', () => {
    const check = (input: unknown) => {
      const result = parseWith(refreshSettingsSchema, input);
      return result.ok ? 'ok' : result.message;
    };
    assert.equal(check({}), 'ok');
    assert.equal(check({ refreshSeconds: 10, maxAgeSeconds: 10 }), 'ok');
    assert.match(check({ refreshSeconds: 9 }), /^refreshSeconds: Too small/);
    assert.match(check({ refreshSeconds: 1.5 }), /^refreshSeconds: /);
    assert.match(check({ maxAgeSeconds: 30 }), /^maxAgeSeconds: must be at least refreshSeconds \(60\)/);
    assert.match(
      check({ refreshSeconds: 120, maxAgeSeconds: 60 }),
      /^maxAgeSeconds: must be at least refreshSeconds \(120\)/,
    );
    assert.match(check({ refresh: 60 }), /Unrecognized key/);
  });
});
