/**
 * Who may call a route. Three credentials, each `Authorization: Bearer <token>`: admin (everything),
 * a registry's ingest token (that registry's snapshot only), and reader (GET routes; not needed when
 * PUBLIC_READ=true). 401 for a missing or unknown token, 403 for a valid one outside its scope. The
 * check runs before the route looks anything up, so a response never tells an outsider whether a
 * registry exists.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { configuredDigest, digest, sameDigest } from './credentials.ts';
import { apiError, unauthorized } from './errors.ts';
import { registryOfToken } from './ingest-token.ts';

export type Principal = 'admin' | 'reader' | `registry:${string}` | 'public';
/** `none`: a route that holds no data (health, the API description), open to anyone. */
export type Scope = 'admin' | 'read' | 'ingest' | 'none';

/**
 * Looks up the stored digest (hex) of a registry's ingest token; null when there is none. It gets the
 * request's event so that a route can check the token against a read it needs anyway (the snapshot
 * write's first read) and keep that read for the request.
 */
export type IngestDigestLookup = (registry: string, event: APIGatewayProxyEventV2) => Promise<string | null>;

/** Read per request, as the tokens are, so that tests in one process can differ in it. */
const publicRead = () => process.env.PUBLIC_READ === 'true';

const forbidden = () => apiError(403, 'Forbidden', 'this token may not do that');

export function bearerToken(event: APIGatewayProxyEventV2): string | undefined {
  const header = event.headers.authorization;
  const match = header ? /^Bearer[ \t]+([\x21-\x7e]{1,1024})[ \t]*$/i.exec(header) : null;
  return match?.[1];
}

/** Who the token belongs to, or undefined when it is nobody's. */
async function identify(
  token: string,
  event: APIGatewayProxyEventV2,
  ingestDigest?: IngestDigestLookup,
): Promise<Principal | undefined> {
  const presented = digest(token);
  const [admin, reader] = await Promise.all([
    configuredDigest('ADMIN_TOKEN'),
    configuredDigest('READER_TOKEN'),
  ]);
  if (admin && sameDigest(presented, admin)) return 'admin';
  if (reader && sameDigest(presented, reader)) return 'reader';
  const registry = registryOfToken(token);
  if (registry && ingestDigest) {
    const stored = await ingestDigest(registry, event);
    if (stored && sameDigest(presented, Buffer.from(stored, 'hex'))) return `registry:${registry}`;
  }
  return undefined;
}

// Imported on first use, so that this module loads without a table configured (unit tests).
const storedDigest: IngestDigestLookup = async (registry) =>
  (await import('#store/client.ts')).store.getIngestTokenDigest(registry);

export function authorize(
  scope: Scope,
  ingestDigest: IngestDigestLookup = storedDigest,
): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, { principal?: Principal }> {
  return {
    before: async (request) => {
      const { event, context } = request;
      if (scope === 'none') {
        context.principal = 'public';
        return;
      }
      const token = bearerToken(event);
      if (token === undefined) {
        if (scope === 'read' && publicRead()) {
          context.principal = 'public';
          return;
        }
        throw unauthorized();
      }
      // Ingest tokens are recognised on every route, so one used elsewhere is a 403, not a 401.
      const principal = await identify(token, event, ingestDigest);
      if (principal === undefined) throw unauthorized();
      context.principal = principal;
      if (principal === 'admin') return;
      if (scope === 'read' && principal === 'reader') return;
      if (scope === 'ingest' && principal === `registry:${event.pathParameters?.name ?? ''}`) return;
      throw forbidden();
    },
  };
}
