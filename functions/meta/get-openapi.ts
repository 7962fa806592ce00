import { openApiDocument } from '#lib/openapi.ts';
import { metaHandler } from './stack.ts';

/** Built once per instance: the document is a pure function of the code. */
const body = JSON.stringify(openApiDocument());

/** GET /openapi.json: the API's description; it holds no data, so it needs no token. */
export const handler = metaHandler(async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' },
  body,
}));
