import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

// The same tokens as the other in-process route tests: one process runs every unit test file.
process.env.ADMIN_TOKEN = 'admin-token';
const { authorize } = await import('#http/auth.ts');

async function statusOf(scope: 'admin' | 'read' | 'ingest', authorization?: string) {
  const event = {
    headers: authorization ? { authorization } : {},
    pathParameters: { name: 'alpha' },
  } as unknown as APIGatewayProxyEventV2;
  const request = { event, context: {} as { principal?: string } };
  try {
    await authorize(scope, async () => null).before?.(request as never);
    return { status: 200, principal: request.context.principal };
  } catch (error) {
    return { status: (error as { status: number }).status, principal: request.context.principal };
  }
}

// Read per request: set for this suite only, as other files may run in the same process.
describe('public read', () => {
  before(() => {
    process.env.PUBLIC_READ = 'true';
  });
  after(() => {
    delete process.env.PUBLIC_READ;
  });

  test('with PUBLIC_READ=true, reads need no token but writes still do', async () => {
    assert.deepEqual(await statusOf('read'), { status: 200, principal: 'public' });
    assert.equal((await statusOf('admin')).status, 401);
    assert.equal((await statusOf('ingest')).status, 401);
    assert.equal((await statusOf('read', 'Bearer wrong')).status, 401, 'a wrong token is still refused');
  });
});
