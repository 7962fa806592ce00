/**
 * Secret references resolved inside the refresh worker: `fromEnv` from the function's environment
 * (`SOURCE_SECRET_*` only), `fromSsm` from SSM Parameter Store (SecureString decrypted) through
 * Powertools Parameters, cached for a few minutes so a refresh every minute does not call SSM every
 * minute. Both rules are checked again here, before anything is read: a registry stored before the
 * rules existed, or written around the API, still cannot name the API tokens or AWS credentials.
 * Values never leave this module except to the source adapter.
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { type SecretRules, secretRefProblem } from '#lib/source-schema.ts';
import { envSecretResolver, type SecretResolver, SourceError } from '../sources/index.ts';
import { describeSecretRef } from '../sources/secrets.ts';

const MAX_AGE_SECONDS = 300;

/** The part of Powertools' SSMProvider used here (tests pass a recording stand-in for SSM). */
export interface ParameterReader {
  get(name: string, options: { decrypt: boolean; maxAge: number }): Promise<unknown>;
}

export function workerSecretResolver(
  env: Readonly<Record<string, string | undefined>>,
  rules: SecretRules,
  parameters: ParameterReader = new SSMProvider(),
): SecretResolver {
  const fromEnv = envSecretResolver(env);
  return async (ref) => {
    const problem = secretRefProblem(ref, rules);
    if (problem !== undefined) {
      throw new SourceError(`secret ${describeSecretRef(ref)} is refused: it ${problem}`, { kind: 'secret' });
    }
    if ('fromEnv' in ref) return fromEnv(ref);
    let value: unknown;
    try {
      value = await parameters.get(ref.fromSsm, { decrypt: true, maxAge: MAX_AGE_SECONDS });
    } catch (error) {
      throw new SourceError(`could not read SSM parameter ${ref.fromSsm} (${(error as Error).name})`, {
        kind: 'secret',
      });
    }
    if (typeof value !== 'string') {
      throw new SourceError(`SSM parameter ${ref.fromSsm} has no value`, { kind: 'secret' });
    }
    return value;
  };
}
