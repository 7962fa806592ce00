/** GET /openapi.json and GET /: no token, no data, and the headers a browser relies on. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handler as dashboard } from '../../functions/meta/dashboard.ts';
import { handler as openApi } from '../../functions/meta/get-openapi.ts';
import { httpEvent, lambdaContext } from '../helpers/http-event.ts';

test('GET /openapi.json answers the OpenAPI 3.1 document without a token', async () => {
  const reply = await openApi(httpEvent({ route: '/openapi.json' }), lambdaContext());
  assert.equal(reply.statusCode, 200);
  assert.match(String(reply.headers?.['Content-Type']), /^application\/json/);
  const document = JSON.parse(String(reply.body));
  assert.equal(document.openapi, '3.1.0');
  assert.ok(document.paths['/services/{hostname}/endpoints'], 'the discovery routes are described');
});

test('GET / answers the dashboard page with a Content-Security-Policy and no data in it', async () => {
  const reply = await dashboard(httpEvent({ route: '/' }), lambdaContext());
  assert.equal(reply.statusCode, 200);
  assert.match(String(reply.headers?.['Content-Type']), /^text\/html/);
  const csp = String(reply.headers?.['Content-Security-Policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(String(reply.body), /Token/);
  assert.doesNotMatch(String(reply.body), /"services":\[/, 'no merged view embedded');
});
