/**
 * Per-registry ingest tokens: `<registry>.<43 random base64url chars>`. The registry name in front tells
 * which digest to compare with, so checking a token is one read; only the digest is stored.
 */
import { randomBytes } from 'node:crypto';
import { DNS_LABEL } from '#lib/names.ts';
import { digest } from './credentials.ts';

export function newIngestToken(registry: string): { token: string; digestHex: string } {
  const token = `${registry}.${randomBytes(32).toString('base64url')}`;
  return { token, digestHex: digest(token).toString('hex') };
}

/** The registry a token claims to belong to, if it has the shape of an ingest token. */
export function registryOfToken(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const name = token.slice(0, dot);
  return DNS_LABEL.test(name) && /^[A-Za-z0-9_-]{43}$/.test(token.slice(dot + 1)) ? name : undefined;
}
