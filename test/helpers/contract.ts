/**
 * Contract checks: a real response (status, content type, JSON body) against what openapi.json documents
 * for its operation, with ajv (JSON Schema 2020-12). An undocumented status, media type, field or error
 * code fails, because the generated schemas are closed (`additionalProperties: false`).
 */
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '#lib/openapi.ts';

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';
/** `METHOD /path/{template}` as in serverless.yml, e.g. `GET /services/{hostname}`. */
export type RouteKey = `${Method} /${string}`;

export interface RealResponse {
  status: number;
  headers: Headers;
  /** The body as received; JSON is parsed here. */
  text: string;
}

export interface CheckedResponse extends RealResponse {
  body: any;
}

const document = openApiDocument() as any;
const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
// zod names these formats; their patterns are in the schema too, so the name alone needs no check.
for (const format of ['cidrv4', 'cidrv6']) ajv.addFormat(format, true);
ajv.addSchema(document, 'openapi.json');
const validators = new Map<string, ValidateFunction>();

function validator(ref: string): ValidateFunction {
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: `openapi.json${ref}` });
    validators.set(ref, validate);
  }
  return validate;
}

function operationOf(route: RouteKey) {
  const [method = '', path = ''] = route.split(' ');
  const operation = document.paths[path]?.[method.toLowerCase()];
  assert.ok(operation, `${route} is not documented in openapi.json`);
  return operation;
}

/** Throws an AssertionError naming what does not match the documented response. */
export function checkResponse(route: RouteKey, response: RealResponse): CheckedResponse {
  const operation = operationOf(route);
  const documented = operation.responses[String(response.status)];
  assert.ok(
    documented,
    `${route} answered ${response.status}, which is not documented (documented: ${Object.keys(operation.responses).join(', ')}): ${response.text.slice(0, 300)}`,
  );
  const content: Record<string, { schema: { $ref?: string } }> | undefined = documented.content;
  if (!content) {
    assert.equal(response.text, '', `${route} ${response.status} is documented without a body`);
    return { ...response, body: undefined };
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  const media = content[contentType];
  assert.ok(
    media,
    `${route} ${response.status} sent Content-Type "${contentType}", documented: ${Object.keys(content).join(', ')}`,
  );
  if (contentType !== 'application/json') return { ...response, body: response.text };
  const body = JSON.parse(response.text);
  const ref = media.schema.$ref;
  assert.ok(ref, `${route} ${response.status} documents no schema reference`);
  const validate = validator(ref);
  assert.ok(
    validate(body),
    `${route} ${response.status} does not match ${ref}: ${ajv.errorsText(validate.errors, { separator: '; ' })}\n${response.text.slice(0, 500)}`,
  );
  return { ...response, body };
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  token?: string | undefined;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Calls a route of a running stack and checks the response against the contract. */
export async function call(
  baseUrl: string,
  route: RouteKey,
  options: CallOptions = {},
): Promise<CheckedResponse> {
  const [method = 'GET', template = '/'] = route.split(' ');
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = options.params?.[name];
    assert.ok(value !== undefined, `no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}${query}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  return checkResponse(route, {
    status: response.status,
    headers: response.headers,
    text: await response.text(),
  });
}
