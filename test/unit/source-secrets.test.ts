/**
 * What a registry's source may hold (PUT /registries/{name} answers 400 otherwise): secret references
 * only where the refresh worker may read (`SOURCE_SECRET_*`, `/aggregate-registry/<stage>/sources/`),
 * credential-bearing headers only as references, and settings bounded so a registry item always fits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { registryBodySchemaFor } from '#lib/registry-schema.ts';
import { parseWith } from '#lib/schemas.ts';
import { secretRulesFor } from '#lib/source-schema.ts';

const schema = registryBodySchemaFor(secretRulesFor('prod'));
const parse = (body: unknown) => parseWith(schema, body);
const message = (body: unknown) => {
  const parsed = parse(body);
  return parsed.ok ? '(accepted)' : parsed.message;
};
const kubernetes = (token: unknown) => ({
  source: { type: 'kubernetes', server: 'https://k8s.example', token },
});

describe('secret references', () => {
  test("an SSM reference under this stage's sources path is accepted", () => {
    assert.ok(parse(kubernetes({ fromSsm: '/aggregate-registry/prod/sources/east/token' })).ok);
  });

  for (const path of [
    '/aggregate-registry/prod/admin-token',
    '/aggregate-registry/prod/reader-token',
    '/aggregate-registry/dev/sources/token',
    '/aggregate-registry/prod/sources/',
    '/aggregate-registry/prod/sources/../admin-token',
    '/other/prod/sources/token',
  ]) {
    test(`the SSM reference ${path} is refused, naming the field`, () => {
      assert.match(
        message(kubernetes({ fromSsm: path })),
        /^source\.token(\.fromSsm)?: must be an SSM parameter|must not contain/,
      );
    });
  }

  test('an environment reference must be SOURCE_SECRET_*', () => {
    assert.ok(parse(kubernetes({ fromEnv: 'SOURCE_SECRET_EAST_TOKEN' })).ok);
  });

  for (const name of ['ADMIN_TOKEN', 'READER_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'PATH']) {
    test(`the environment reference ${name} is refused`, () => {
      assert.match(message(kubernetes({ fromEnv: name })), /source\.token/);
    });
  }

  test('a reference in a Consul token or a header is checked the same way', () => {
    const consul = {
      source: {
        type: 'consul',
        address: 'http://c:8500',
        token: { fromSsm: '/aggregate-registry/prod/admin-token' },
      },
    };
    const http = {
      source: {
        type: 'http',
        url: 'https://s.example',
        headers: { Authorization: { fromEnv: 'ADMIN_TOKEN' } },
      },
    };
    assert.match(message(consul), /^source\.token: must be an SSM parameter under/);
    assert.match(message(http), /^source\.headers\.Authorization/);
  });
});

describe('credential headers', () => {
  for (const header of [
    'Authorization',
    'proxy-authorization',
    'X-Api-Key',
    'Cookie',
    'X-Consul-Token',
    'X-Auth-Token',
    'Private-Token',
  ]) {
    test(`a plain ${header} value is refused (it would be stored and shown)`, () => {
      const body = {
        source: { type: 'http', url: 'https://s.example', headers: { [header]: 'Bearer abc' } },
      };
      assert.match(
        message(body),
        new RegExp(`source\\.headers\\.${header}: carries credentials and must be a secret reference`),
      );
    });
  }

  test('a plain non-credential header stays allowed', () => {
    assert.ok(
      parse({ source: { type: 'http', url: 'https://s.example', headers: { 'X-Tenant': 'team-a' } } }).ok,
    );
  });
});

describe('settings bounds', () => {
  test('a caData larger than 64 KiB is refused, naming the field', () => {
    const caData = Buffer.from(
      `-----BEGIN CERTIFICATE-----\n${'A'.repeat(70_000)}\n-----END CERTIFICATE-----\n`,
    ).toString('base64');
    assert.match(
      message({ source: { type: 'kubernetes', server: 'https://k', caData } }),
      /^source\.caData: Too big/,
    );
  });

  test('headers of more than 16 KiB in all are refused, naming the field', () => {
    const headers = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`X-Extra-${i}`, 'v'.repeat(4000)]),
    );
    assert.match(
      message({ source: { type: 'http', url: 'https://s.example', headers } }),
      /^source\.headers: must be at most 16384 bytes/,
    );
  });

  test('the largest registry body the schema accepts fits a DynamoDB item (400 KB) with room to spare', () => {
    // Prepare: every field at its bound.
    const pem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(47_000)}\n-----END CERTIFICATE-----\n`;
    const caData = Buffer.from(pem)
      .toString('base64')
      .slice(0, 64 * 1024);
    const body = {
      clusterId: 'c'.repeat(253),
      provider: 'p'.repeat(64),
      description: 'd'.repeat(1024),
      source: {
        type: 'kubernetes',
        server: `https://k.example/${'x'.repeat(2000)}`,
        token: { fromSsm: `/aggregate-registry/prod/sources/${'t'.repeat(970)}` },
        caData,
        namespaces: Array.from({ length: 100 }, (_, i) => `n${i}-${'a'.repeat(58)}`.slice(0, 63)),
        clusterDomain: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
      },
    };

    // Act
    const parsed = parse(body);

    // Assess
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    assert.ok(Buffer.byteLength(JSON.stringify(body)) < 100 * 1024);
  });
});
