/**
 * The refresh worker's resolver checks the reference rules again before reading anything: a source
 * stored before the rules (or written around the API) still cannot reach the API tokens, AWS
 * credentials or another stage's parameters. SSM is stood in for by a recording reader.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { secretRulesFor } from '#lib/source-schema.ts';
import { type ParameterReader, workerSecretResolver } from '../../functions/refresh/secret-resolver.ts';
import { SourceError } from '../../functions/sources/index.ts';

function recordingSsm(values: Record<string, string>) {
  const asked: { name: string; decrypt: boolean; maxAge: number }[] = [];
  const reader: ParameterReader = {
    async get(name, options) {
      asked.push({ name, ...options });
      return values[name];
    },
  };
  return { asked, reader };
}

const env = {
  ADMIN_TOKEN: 'admin-secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  SOURCE_SECRET_KUBE: 'kube-token',
};

describe('workerSecretResolver', () => {
  test('reads an allowed SSM parameter decrypted and cached for five minutes', async () => {
    const ssm = recordingSsm({ '/aggregate-registry/prod/sources/kube': 'from-ssm' });
    const resolve = workerSecretResolver(env, secretRulesFor('prod'), ssm.reader);
    assert.equal(await resolve({ fromSsm: '/aggregate-registry/prod/sources/kube' }), 'from-ssm');
    assert.deepEqual(ssm.asked, [
      { name: '/aggregate-registry/prod/sources/kube', decrypt: true, maxAge: 300 },
    ]);
  });

  test('reads an allowed environment variable', async () => {
    const resolve = workerSecretResolver(env, secretRulesFor('prod'), recordingSsm({}).reader);
    assert.equal(await resolve({ fromEnv: 'SOURCE_SECRET_KUBE' }), 'kube-token');
  });

  for (const ref of [
    { fromSsm: '/aggregate-registry/prod/admin-token' },
    { fromSsm: '/aggregate-registry/staging/sources/kube' },
    { fromEnv: 'ADMIN_TOKEN' },
    { fromEnv: 'AWS_SECRET_ACCESS_KEY' },
  ]) {
    test(`refuses ${JSON.stringify(ref)} without reading it`, async () => {
      const ssm = recordingSsm({ '/aggregate-registry/prod/admin-token': 'admin-secret' });
      const resolve = workerSecretResolver(env, secretRulesFor('prod'), ssm.reader);
      const error = await resolve(ref).then(
        () => assert.fail('expected a refusal'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof SourceError);
      assert.equal(error.kind, 'secret');
      assert.match(error.message, /is refused/);
      assert.deepEqual(ssm.asked, []);
    });
  }
});
