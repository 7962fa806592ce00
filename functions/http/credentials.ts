/**
 * Where the admin and reader tokens come from: locally the environment (`ADMIN_TOKEN`, `READER_TOKEN`),
 * in AWS SSM Parameter Store SecureStrings named by `ADMIN_TOKEN_PARAMETER` / `READER_TOKEN_PARAMETER`,
 * read through Powertools Parameters, which caches each value for a few minutes so a rotation takes
 * effect without a redeploy. Only digests are compared; comparisons are constant-time. The environment
 * is read on every call (not at module load), so one process can run tests with different settings.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** How long a value read from SSM is used before it is read again. */
const MAX_AGE_SECONDS = 5 * 60;

type TokenName = 'ADMIN_TOKEN' | 'READER_TOKEN';

export function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of two digests of equal length. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const digests = new Map<string, Buffer>();
/** Parameters found missing, until when: Powertools caches values, not their absence. */
const missing = new Map<string, number>();

function digestOf(token: string): Buffer {
  let value = digests.get(token);
  if (value === undefined) {
    if (digests.size > 16) digests.clear();
    value = digest(token);
    digests.set(token, value);
  }
  return value;
}

/** A token's digest, or null when none is configured. */
export async function configuredDigest(
  name: TokenName,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Buffer | null> {
  const token = env[name];
  if (token) return digestOf(token);
  const parameter = env[`${name}_PARAMETER`];
  // serverless-offline (IS_OFFLINE) has no SSM: locally the tokens come from the environment only.
  if (!parameter || env.IS_OFFLINE === 'true') return null;
  if ((missing.get(parameter) ?? 0) > Date.now()) return null;
  // Imported on first use: only functions in AWS load the SSM client.
  const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
  try {
    const value = await getParameter(parameter, { decrypt: true, maxAge: MAX_AGE_SECONDS });
    return value ? digestOf(value) : null;
  } catch (error) {
    // A missing parameter means "no such token"; anything else is an outage of ours (a logged 500).
    if ((error as { cause?: { name?: string } }).cause?.name !== 'ParameterNotFound') throw error;
    missing.set(parameter, Date.now() + MAX_AGE_SECONDS * 1000);
    return null;
  }
}
