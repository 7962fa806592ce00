/**
 * `{"type": "consul", "address", "datacenter"?, "token"?, "domain"?}`: reads `/v1/catalog/services`
 * and `/v1/health/service/<name>` for each service; lib/mappings/consul.ts makes the snapshot. The
 * token is sent as `X-Consul-Token`, the datacenter as `?dc=`.
 */

import pMap from 'p-map';
import { z } from 'zod';
import { type ConsulServiceEntry, consulNameProblem, consulToSnapshot } from '#lib/mappings/consul.ts';
import type { ConsulSource } from '#lib/source-schema.ts';
import type { SourceAdapter } from './adapter.ts';
import { describeUrl, SourceError } from './errors.ts';

// Runtime checks of the answers' shapes; unknown fields are allowed (Consul adds them over time).
const catalogServicesSchema = z.record(z.string(), z.array(z.string()).nullable());
const serviceEntriesSchema = z.array(
  z.looseObject({
    Node: z.looseObject({ Node: z.string(), Address: z.string(), Datacenter: z.string().exactOptional() }),
    Service: z.looseObject({
      ID: z.string(),
      Service: z.string(),
      Tags: z.array(z.string()).nullable().exactOptional(),
      Address: z.string().exactOptional(),
      Meta: z.record(z.string(), z.string()).nullable().exactOptional(),
      Port: z.int().min(0).max(65_535),
    }),
    Checks: z
      .array(
        z.looseObject({ CheckID: z.string(), Status: z.string(), ServiceID: z.string().exactOptional() }),
      )
      .nullable()
      .exactOptional(),
  }),
);
type Assignable<A extends B, B> = A;
export type _EntriesInSync = Assignable<z.infer<typeof serviceEntriesSchema>, ConsulServiceEntry[]>;

const HEALTH_CONCURRENCY = 8;

export const consulAdapter: SourceAdapter<ConsulSource> = {
  describe: (source) => `Consul ${describeUrl(source.address)}`,
  skipInvalid: true,
  async fetch(source, transport, secrets, { limits, what }) {
    const headers: Record<string, string> = {};
    if (source.token !== undefined) headers['X-Consul-Token'] = await secrets.resolve(source.token);
    const base = new URL(source.address.endsWith('/') ? source.address : `${source.address}/`);
    const get = async <T>(path: string, schema: z.ZodType<T>): Promise<T> => {
      const url = new URL(path, base);
      if (source.datacenter !== undefined) url.searchParams.set('dc', source.datacenter);
      const request = `GET /${path}`;
      const parsed = schema.safeParse(await transport.getJson(url, { headers, request }));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const at = issue?.path.length ? ` at ${issue.path.map(String).join('.')}` : '';
        throw new SourceError(
          `${what}: unexpected answer to ${request}${at}: ${issue?.message ?? 'invalid'}`,
          {
            kind: 'invalid',
          },
        );
      }
      return parsed.data;
    };

    const catalog = await get('v1/catalog/services', catalogServicesSchema);
    const names = Object.keys(catalog);
    if (names.length > limits.maxServicesPerSnapshot) {
      throw new SourceError(
        `${what}: ${names.length} services, more than the limit of ${limits.maxServicesPerSnapshot}`,
        { kind: 'invalid' },
      );
    }
    // Names the mapping will skip are not worth a request.
    const wanted = names.filter((name) => consulNameProblem(name) === undefined);
    const entries = await pMap(
      wanted,
      (name) => get(`v1/health/service/${encodeURIComponent(name)}`, serviceEntriesSchema),
      { concurrency: HEALTH_CONCURRENCY },
    );
    const health = new Map(wanted.map((name, index) => [name, entries[index] ?? []]));
    return consulToSnapshot(catalog, health, {
      ...(source.domain === undefined ? {} : { domain: source.domain }),
      ...(source.datacenter === undefined ? {} : { datacenter: source.datacenter }),
      maxLabels: limits.maxLabels,
    });
  },
};
