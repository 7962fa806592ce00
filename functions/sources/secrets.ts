/** Secret references are resolved at refresh time by an injected resolver; this file has the env one. */
import { type SecretRef, secretRefProblem } from '#lib/source-schema.ts';
import { SourceError } from './errors.ts';

/** Resolves a reference to its value. Rejects (preferably with a SourceError) when it cannot. */
export type SecretResolver = (ref: SecretRef) => Promise<string>;

/** How a reference is named in messages: the variable or parameter name, never its value. */
export function describeSecretRef(ref: SecretRef): string {
  return 'fromEnv' in ref ? `environment variable ${ref.fromEnv}` : `SSM parameter ${ref.fromSsm}`;
}

/**
 * Resolves `{"fromEnv": "NAME"}` from `env` (pass `process.env`). `fromSsm` references are left to
 * the resolver the Lambda injects; this one rejects them.
 */
export function envSecretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  return async (ref) => {
    if (!('fromEnv' in ref)) {
      throw new SourceError(
        `cannot resolve ${describeSecretRef(ref)}: only environment variables are configured`,
        {
          kind: 'secret',
        },
      );
    }
    // Checked again here: only SOURCE_SECRET_* variables, never AWS_* or the API tokens.
    const problem = secretRefProblem(ref, { ssmPrefix: '' });
    if (problem !== undefined) {
      throw new SourceError(`secret ${describeSecretRef(ref)} is refused: it ${problem}`, { kind: 'secret' });
    }
    const value = env[ref.fromEnv];
    if (value === undefined || value.trim() === '') {
      throw new SourceError(`secret ${describeSecretRef(ref)} is not set`, { kind: 'secret' });
    }
    return value;
  };
}
