/**
 * Where the admin and reader tokens come from: locally the environment (`ADMIN_TOKEN`, `READER_TOKEN`),
 * in AWS SSM Parameter Store SecureStrings named by `ADMIN_TOKEN_PARAMETER` / `READER_TOKEN_PARAMETER`,
 * read once per function instance and re-read after a few minutes so a rotation takes effect.
 * Only digests are kept; comparisons are constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

const TTL_MS = 5 * 60 * 1000;

export function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of two digests of equal length. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

let ssm: SSMClient | undefined;

/** A token's digest, or null when none is configured. */
export function configuredToken(
  env: Readonly<Record<string, string | undefined>>,
  name: 'ADMIN_TOKEN' | 'READER_TOKEN',
): () => Promise<Buffer | null> {
  let cached: { value: Buffer | null; until: number } | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.value;
    let token = env[name];
    const parameter = env[`${name}_PARAMETER`];
    // serverless-offline (IS_OFFLINE) has no SSM: locally the tokens come from the environment only.
    if (!token && parameter && env.IS_OFFLINE !== 'true') {
      ssm ??= new SSMClient({});
      try {
        const result = await ssm.send(new GetParameterCommand({ Name: parameter, WithDecryption: true }));
        token = result.Parameter?.Value;
      } catch (error) {
        // A missing parameter means "no such token"; anything else is an outage of ours.
        if ((error as Error).name !== 'ParameterNotFound') throw error;
      }
    }
    cached = { value: token ? digest(token) : null, until: Date.now() + TTL_MS };
    return cached.value;
  };
}
