import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { openApiDocument, routeErrors, routes } from '#lib/openapi.ts';
import { checkResponse } from '../helpers/contract.ts';

const committed = JSON.parse(readFileSync('openapi.json', 'utf8'));
const generated = openApiDocument();
const jsonResponse = (status: number, body: unknown) => ({
  status,
  headers: new Headers({ 'content-type': 'application/json' }),
  text: JSON.stringify(body),
});

describe('the OpenAPI description', () => {
  test('committed openapi.json is the generated document (run `npm run openapi` after an API change)', () => {
    assert.deepEqual(committed, JSON.parse(JSON.stringify(generated)));
  });

  test('is a valid OpenAPI 3.1 document for a real validator', async () => {
    const api = await SwaggerParser.validate(structuredClone(committed));
    assert.equal((api as { openapi?: string }).openapi, '3.1.0');
  });

  test('documents every route serverless.yml serves', () => {
    const served = [...readFileSync('serverless.yml', 'utf8').matchAll(/httpApi: "(\w+) ([^"]+)"/g)].map(
      ([, method, path]) => `${method} ${path}`,
    );
    const documented = routes.map((route) => `${route.method.toUpperCase()} ${route.path}`);
    assert.ok(served.length >= 11);
    for (const route of served) assert.ok(documented.includes(route), `${route} is not documented`);
  });

  test('uses bearer auth everywhere except the routes that need no token', () => {
    assert.deepEqual(committed.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer' });
    assert.deepEqual(committed.security, [{ bearer: [] }]);
    const open = Object.entries(committed.paths).flatMap(([path, ops]: [string, any]) =>
      Object.entries(ops)
        .filter(([, op]: [string, any]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(open.sort(), ['GET /', 'GET /health', 'GET /openapi.json']);
    assert.deepEqual(committed.paths['/services'].get.responses['401'].content['application/json'].schema, {
      $ref: '#/components/schemas/getServices.401',
    });
  });

  test('takes request bodies from the schemas the handlers validate with', () => {
    const registryBody = committed.components.schemas.RegistryBody;
    assert.equal(registryBody.additionalProperties, false);
    assert.ok(registryBody.properties.clusterId && registryBody.properties.source);
    const service = committed.components.schemas.SnapshotBody.properties.services.items;
    assert.equal(service.properties.ports.items.properties.port.maximum, 65_535);
    assert.equal(
      committed.paths['/registries/{name}/snapshot'].put.requestBody.content['application/json'].schema.$ref,
      '#/components/schemas/SnapshotBody',
    );
  });

  test('lists the error codes a route with a body can answer', () => {
    const putSnapshot = routes.find((route) => route.operationId === 'putSnapshot');
    assert.ok(putSnapshot);
    const errors = routeErrors(putSnapshot);
    assert.deepEqual(errors[409], ['StaleGeneration', 'GenerationLimit']);
    assert.ok(errors[400]?.includes('InvalidBody'));
    assert.deepEqual(errors[413], ['PayloadTooLarge']);
  });
});

describe('the contract check', () => {
  test('accepts a response that matches its documented schema', () => {
    const checked = checkResponse(
      'GET /services/{hostname}',
      jsonResponse(200, { id: 'a.b', hostname: 'a.b', registry: 'r' }),
    );
    assert.equal(checked.body.hostname, 'a.b');
  });

  test('fails on a field the schema does not document', () => {
    assert.throws(
      () =>
        checkResponse(
          'GET /services/{hostname}',
          jsonResponse(200, { id: 'a.b', hostname: 'a.b', registry: 'r', extra: 1 }),
        ),
      /must NOT have additional properties/,
    );
  });

  test('fails on a status the route does not document', () => {
    assert.throws(
      () => checkResponse('GET /registries', jsonResponse(418, {})),
      /418, which is not documented/,
    );
  });

  test('fails on an error code the route does not document for that status', () => {
    assert.throws(
      () =>
        checkResponse(
          'GET /registries/{name}',
          jsonResponse(404, { error: { code: 'ServiceNotFound', message: 'x' } }),
        ),
      /must be equal to one of the allowed values/,
    );
  });

  test('fails on an undocumented content type', () => {
    assert.throws(
      () =>
        checkResponse('GET /registries', {
          status: 200,
          headers: new Headers({ 'content-type': 'text/plain' }),
          text: 'hi',
        }),
      /sent Content-Type "text\/plain"/,
    );
  });
});
