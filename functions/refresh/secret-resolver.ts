/**
 * Secret references resolved inside the Lambda: `fromEnv` from the function's environment, `fromSsm`
 * from SSM Parameter Store (SecureString decrypted), cached briefly so a refresh every minute does not
 * call SSM every minute. Values never leave this module except to the source adapter.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { envSecretResolver, type SecretResolver, SourceError } from '../sources/index.ts';

const TTL_MS = 5 * 60 * 1000;

export function lambdaSecretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  const fromEnv = envSecretResolver(env);
  let ssm: SSMClient | undefined;
  const cache = new Map<string, { value: string; until: number }>();
  return async (ref) => {
    if ('fromEnv' in ref) return fromEnv(ref);
    const hit = cache.get(ref.fromSsm);
    if (hit && hit.until > Date.now()) return hit.value;
    ssm ??= new SSMClient({});
    try {
      const result = await ssm.send(new GetParameterCommand({ Name: ref.fromSsm, WithDecryption: true }));
      const value = result.Parameter?.Value;
      if (value === undefined) throw new Error('no value');
      cache.set(ref.fromSsm, { value, until: Date.now() + TTL_MS });
      return value;
    } catch (error) {
      throw new SourceError(`could not read SSM parameter ${ref.fromSsm} (${(error as Error).name})`, {
        kind: 'secret',
      });
    }
  };
}
