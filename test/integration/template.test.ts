/**
 * The LocalStack stage cannot be deployed here (no Docker engine), so we test what can be: the
 * CloudFormation template `osls package --stage localstack` produces, without credentials.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import {
  PACKAGE_DIR,
  packagedTemplate,
  type Resource,
  TEMPLATE_CORS_ORIGINS,
} from '../helpers/packaged-template.ts';

let resources: Record<string, Resource>;

before(async () => {
  resources = (await packagedTemplate()).Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('the packaged localstack template', () => {
  test('has the table keyed by pk/sk, on demand, named for the stage', () => {
    const [[, table] = []] = ofType('AWS::DynamoDB::Table');
    assert.ok(table);
    assert.equal(table.Properties.TableName, 'aggregate-registry-localstack');
    assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(
      table.Properties.KeySchema.map((k: { AttributeName: string }) => k.AttributeName),
      ['pk', 'sk'],
    );
  });

  test('has every function on nodejs22.x with the table name in its environment', () => {
    const functions = ofType('AWS::Lambda::Function');
    assert.equal(functions.length, 22);
    for (const [, fn] of functions) {
      assert.equal(fn.Properties.Runtime, 'nodejs22.x');
      assert.match(fn.Properties.Handler, /\.handler$/);
      assert.equal(fn.Properties.Environment.Variables.TABLE_NAME, 'aggregate-registry-localstack');
    }
  });

  test('routes every API call through an HTTP API', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    assert.deepEqual(routes, [
      'DELETE /registries/{name}',
      'GET /',
      'GET /changes',
      'GET /conflicts',
      'GET /exports/istio',
      'GET /exports/prometheus',
      'GET /health',
      'GET /openapi.json',
      'GET /registries',
      'GET /registries/{name}',
      'GET /services',
      'GET /services/{hostname}',
      'GET /services/{hostname}/endpoints',
      'GET /services/{hostname}/service-accounts',
      'GET /workloads/{address}',
      'POST /preview',
      'POST /registries/{name}/refresh',
      'POST /registries/{name}/token',
      'PUT /registries/{name}',
      'PUT /registries/{name}/snapshot',
    ]);
  });

  test('gives each function only the DynamoDB actions it uses, on that table only', () => {
    const expected: Record<string, string[]> = {
      QueryRole: ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
      HealthRole: ['dynamodb:GetItem'],
      RefreshRole: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ],
      RegistryReadRole: ['dynamodb:GetItem', 'dynamodb:Query'],
      IngestRole: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
      ],
      RegistryWriteRole: [
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ],
      HousekeepingRole: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ],
    };
    for (const [name, actions] of Object.entries(expected)) {
      const role = resources[name];
      assert.ok(role, `role ${name}`);
      const statements = role.Properties.Policies.filter(
        (p: { PolicyName: string }) => p.PolicyName === 'table-access',
      ).flatMap((p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement);
      assert.deepEqual(statements.flatMap((s: { Action: string[] }) => s.Action).sort(), actions);
      for (const statement of statements) {
        assert.deepEqual(statement.Resource, { 'Fn::GetAtt': ['RegistryTable', 'Arn'] });
        assert.ok(!JSON.stringify(statement).includes('*'), 'no wildcard');
      }
    }
    const roleOf = (fn: string) => resources[fn]?.Properties.Role['Fn::GetAtt'][0];
    assert.equal(roleOf('GetServicesLambdaFunction'), 'QueryRole');
    assert.equal(roleOf('GetChangesLambdaFunction'), 'QueryRole');
    assert.equal(roleOf('GetConflictsLambdaFunction'), 'QueryRole');
    assert.equal(roleOf('PostPreviewLambdaFunction'), 'QueryRole');
    for (const fn of ['GetEndpoints', 'GetWorkload', 'GetServiceAccounts']) {
      assert.equal(roleOf(`${fn}LambdaFunction`), 'QueryRole', fn);
    }
    assert.equal(roleOf('ExportIstioLambdaFunction'), 'QueryRole');
    assert.equal(roleOf('ExportPrometheusLambdaFunction'), 'QueryRole');
    assert.equal(roleOf('PutSnapshotLambdaFunction'), 'IngestRole');
    assert.equal(roleOf('ListRegistriesLambdaFunction'), 'RegistryReadRole');
    assert.equal(roleOf('DeleteRegistryLambdaFunction'), 'RegistryWriteRole');
    assert.equal(roleOf('HousekeepingLambdaFunction'), 'HousekeepingRole');
    assert.equal(roleOf('HealthLambdaFunction'), 'HealthRole');
  });

  test('runs the housekeeping every minute, with no access to SSM', () => {
    const rules = ofType('AWS::Events::Rule').map(([, rule]) => rule.Properties);
    const housekeeping = rules.find((rule) =>
      JSON.stringify(rule.Targets).includes('HousekeepingLambdaFunction'),
    );
    assert.equal(housekeeping?.ScheduleExpression, 'rate(1 minute)');
    assert.ok(!JSON.stringify(resources.HousekeepingRole).includes('ssm:'));
  });

  test('has TTL on expiresAt, for superseded revisions', () => {
    const [[, table] = []] = ofType('AWS::DynamoDB::Table');
    assert.deepEqual(table?.Properties.TimeToLiveSpecification, {
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });

  test("lets the change feed outlast its longest wait (20 s) within API Gateway's 30 s", () => {
    const timeout = resources.GetChangesLambdaFunction?.Properties.Timeout;
    assert.ok(timeout >= 25 && timeout <= 30, `timeout ${timeout}`);
  });

  test('runs the refresh every minute and lets it read only its own SSM parameters', () => {
    const [[, rule] = []] = ofType('AWS::Events::Rule');
    assert.equal(rule?.Properties.ScheduleExpression, 'rate(1 minute)');
    const secrets = resources.RefreshRole?.Properties.Policies.find(
      (p: { PolicyName: string }) => p.PolicyName === 'source-secrets',
    );
    const [statement] = secrets.PolicyDocument.Statement;
    assert.deepEqual(statement.Action, ['ssm:GetParameter']);
    assert.match(statement.Resource['Fn::Sub'], /:parameter\/aggregate-registry\/localstack\/sources\/\*$/);
    const others = ['QueryRole', 'IngestRole', 'RegistryReadRole', 'RegistryWriteRole', 'RefreshApiRole'];
    for (const name of others) assert.ok(!JSON.stringify(resources[name]).includes('/sources/'), name);
  });

  test('splits the refresh: the worker reads source secrets and no API token; the HTTP route only invokes it', () => {
    // The worker (schedule, and POST .../refresh through it) may read /sources/* and nothing else in SSM.
    const worker = resources.RefreshRole?.Properties.Policies;
    const ssm = JSON.stringify(worker).match(/:parameter\/[^"]*/g);
    assert.deepEqual(ssm, [':parameter/aggregate-registry/localstack/sources/*']);
    assert.ok(!JSON.stringify(worker).includes('admin-token'));
    assert.equal(resources.ScheduledRefreshLambdaFunction?.Properties.Role['Fn::GetAtt'][0], 'RefreshRole');

    // The HTTP function: the API tokens, and one action on the worker; no table, no source secret.
    const api = resources.RefreshApiRole?.Properties.Policies;
    assert.deepEqual(api.map((p: { PolicyName: string }) => p.PolicyName).sort(), [
      'api-tokens',
      'invoke-refresh-worker',
    ]);
    const invoke = api.find((p: { PolicyName: string }) => p.PolicyName === 'invoke-refresh-worker');
    assert.deepEqual(invoke.PolicyDocument.Statement, [
      {
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: { 'Fn::GetAtt': ['ScheduledRefreshLambdaFunction', 'Arn'] },
      },
    ]);
    const fn = resources.RefreshRegistryLambdaFunction?.Properties;
    assert.ok(fn);
    assert.equal(fn.Role['Fn::GetAtt'][0], 'RefreshApiRole');
    assert.equal(
      fn.Environment.Variables.REFRESH_WORKER_FUNCTION,
      'aggregate-registry-localstack-scheduledRefresh',
    );
  });

  test('lets every API function read the admin and reader tokens, and nothing else from SSM', () => {
    const roles = ['QueryRole', 'IngestRole', 'RegistryReadRole', 'RegistryWriteRole', 'RefreshApiRole'];
    for (const name of roles) {
      const tokens = resources[name]?.Properties.Policies.find(
        (p: { PolicyName: string }) => p.PolicyName === 'api-tokens',
      );
      const [statement] = tokens.PolicyDocument.Statement;
      assert.deepEqual(statement.Action, ['ssm:GetParameter'], name);
      assert.deepEqual(
        statement.Resource.map((r: { 'Fn::Sub': string }) => r['Fn::Sub'].split(':parameter')[1]),
        ['/aggregate-registry/localstack/admin-token', '/aggregate-registry/localstack/reader-token'],
      );
    }
    const fn = resources.GetServicesLambdaFunction?.Properties.Environment.Variables;
    assert.equal(fn.ADMIN_TOKEN_PARAMETER, '/aggregate-registry/localstack/admin-token');
    assert.equal(fn.ADMIN_TOKEN, undefined, 'no token value in the template');
  });

  test('lets the health check read no SSM parameter at all', () => {
    const policies = resources.HealthRole?.Properties.Policies ?? [];
    assert.ok(!JSON.stringify(policies).includes('ssm:'), JSON.stringify(policies));
  });

  test("answers browsers' preflights for CORS_ORIGINS with the headers the API reads and the ETag exposed", () => {
    const [[, api] = []] = ofType('AWS::ApiGatewayV2::Api');
    const cors = api?.Properties.CorsConfiguration;
    assert.deepEqual(cors.AllowOrigins, TEMPLATE_CORS_ORIGINS);
    assert.deepEqual([...cors.AllowHeaders].sort(), [
      'authorization',
      'content-encoding',
      'content-type',
      'if-none-match',
    ]);
    assert.deepEqual([...cors.AllowMethods].sort(), ['DELETE', 'GET', 'POST', 'PUT']);
    assert.deepEqual(cors.ExposeHeaders, ['ETag']);
    assert.equal(cors.MaxAge, 600);
  });

  test('serves the OpenAPI description and the dashboard from a role with no table or SSM access', () => {
    const roleOf = (fn: string) => resources[fn]?.Properties.Role['Fn::GetAtt'][0];
    assert.equal(roleOf('GetOpenApiLambdaFunction'), 'MetaRole');
    assert.equal(roleOf('DashboardLambdaFunction'), 'MetaRole');
    const role = resources.MetaRole;
    assert.ok(role, 'MetaRole');
    assert.equal(role.Properties.Policies, undefined, 'no inline policy');
    assert.deepEqual(role.Properties.ManagedPolicyArns, [
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    ]);
  });

  test('bundles each function as an ESM .mjs file', () => {
    for (const [, fn] of ofType('AWS::Lambda::Function')) {
      assert.match(fn.Properties.Handler, /^functions\/[a-z]+\/[a-z-]+\.handler$/);
    }
    const zip = readFileSync(join(PACKAGE_DIR, 'getServices.zip'));
    assert.ok(zip.includes(Buffer.from('functions/query/get-services.mjs')));
  });
});
