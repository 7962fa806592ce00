/**
 * `{"type": "http", "url", "headers"?}`: GET returns a snapshot body in our own format,
 * `{"services": [...]}` (the same body a client PUTs). Validation of the services themselves happens
 * once, in `fetchServices`, for every source type.
 */

import { z } from 'zod';
import { parseWith } from '#lib/schemas.ts';
import type { HttpSource } from '#lib/source-schema.ts';
import type { SourceContext } from './context.ts';
import { SourceError } from './errors.ts';
import { getJson } from './http-client.ts';

/** The envelope of `snapshotBodySchema()`; its `services` are checked by `fetchServices`. */
const envelope = z.strictObject({
  services: z.array(z.unknown()),
  generation: z.int().min(1).max(Number.MAX_SAFE_INTEGER).exactOptional(),
});

export async function fetchHttpServices(source: HttpSource, ctx: SourceContext): Promise<unknown[]> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(source.headers ?? {})) {
    headers[name] = typeof value === 'string' ? value : await ctx.resolveSecret(value);
  }
  const { what } = ctx;
  const body = await getJson(new URL(source.url), {
    headers,
    signal: ctx.signal,
    maxBytes: ctx.limits.maxBodyBytes,
    what,
    checkDestination: ctx.checkDestination,
  });
  const parsed = parseWith(envelope, body);
  if (!parsed.ok) {
    throw new SourceError(`${what}: invalid snapshot body: ${parsed.message}`, { kind: 'invalid' });
  }
  return parsed.value.services;
}
