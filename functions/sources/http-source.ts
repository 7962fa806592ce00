/**
 * `{"type": "http", "url", "headers"?}`: GET returns a snapshot body in our own format,
 * `{"services": [...]}` (the same body a client PUTs). The services themselves are validated once,
 * in `fetchSnapshot`, for every source type; here a bad one fails the fetch (it is our own format).
 */

import { z } from 'zod';
import { parseWith } from '#lib/schemas.ts';
import type { HttpSource } from '#lib/source-schema.ts';
import type { Service } from '#lib/types.ts';
import type { SourceAdapter } from './adapter.ts';
import { describeUrl, SourceError } from './errors.ts';

/** The envelope of `snapshotBodySchema()`; its `services` are checked by `fetchSnapshot`. */
const envelope = z.strictObject({
  services: z.array(z.unknown()),
  generation: z.int().min(1).max(Number.MAX_SAFE_INTEGER).exactOptional(),
});

export const httpAdapter: SourceAdapter<HttpSource> = {
  describe: (source) => `HTTP source ${describeUrl(source.url)}`,
  skipInvalid: false,
  async fetch(source, transport, secrets, { what }) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(source.headers ?? {})) {
      headers[name] = typeof value === 'string' ? value : await secrets.resolve(value);
    }
    const body = await transport.getJson(new URL(source.url), { headers });
    const parsed = parseWith(envelope, body);
    if (!parsed.ok) {
      throw new SourceError(`${what}: invalid snapshot body: ${parsed.message}`, { kind: 'invalid' });
    }
    // Checked against the service schema by the caller.
    return { services: parsed.value.services as Service[], skipped: [] };
  },
};
