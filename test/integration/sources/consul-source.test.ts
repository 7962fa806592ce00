/** The Consul adapter against a local server with the Consul HTTP API's paths and response shapes. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { ConsulSource } from '#lib/source-schema.ts';
import { envSecretResolver, fetchServices, SourceError } from '../../../functions/sources/index.ts';
import { sendJson, sendText, startServer, type TestServer } from './helpers.ts';

const TOKEN = '3f0c2a7e-91d4-4b6e-a1c2-consul-acl-secret';
const resolveSecret = envSecretResolver({
  SOURCE_SECRET_CONSUL_TOKEN: TOKEN,
  SOURCE_SECRET_OTHER_TOKEN: 'b6d1e0aa-0000-4000-8000-not-valid',
});

const node = (name: string, address: string, datacenter = 'dc2') => ({
  ID: `${name}-0000-0000-0000-000000000000`,
  Node: name,
  Address: address,
  Datacenter: datacenter,
  TaggedAddresses: { lan: address, lan_ipv4: address, wan: address, wan_ipv4: address },
  Meta: { 'consul-network-segment': '' },
  CreateIndex: 13,
  ModifyIndex: 14,
});

const check = (nodeName: string, id: string, status: string, serviceId = '', serviceName = '') => ({
  Node: nodeName,
  CheckID: id,
  Name: id === 'serfHealth' ? 'Serf Health Status' : `Service '${serviceName}' check`,
  Status: status,
  Notes: '',
  Output: status === 'passing' ? 'HTTP GET http://localhost/health: 200 OK' : 'connection refused',
  ServiceID: serviceId,
  ServiceName: serviceName,
  ServiceTags: [],
  Type: id === 'serfHealth' ? '' : 'http',
  Interval: id === 'serfHealth' ? '' : '10s',
  Timeout: id === 'serfHealth' ? '' : '5s',
  ExposedPort: 0,
  Definition: {},
  CreateIndex: 20,
  ModifyIndex: 21,
});

const instance = (
  nodeName: string,
  nodeAddress: string,
  service: {
    id: string;
    name: string;
    address: string;
    port: number;
    tags: string[];
    meta: Record<string, string>;
  },
  checks: string[],
) => ({
  Node: node(nodeName, nodeAddress),
  Service: {
    ID: service.id,
    Service: service.name,
    Tags: service.tags,
    Address: service.address,
    TaggedAddresses: service.address
      ? {
          lan_ipv4: { Address: service.address, Port: service.port },
          wan_ipv4: { Address: service.address, Port: service.port },
        }
      : undefined,
    Meta: service.meta,
    Port: service.port,
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
    Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
    Connect: {},
    PeerName: '',
    CreateIndex: 30,
    ModifyIndex: 31,
  },
  Checks: [
    check(nodeName, 'serfHealth', checks[0] ?? 'passing'),
    check(nodeName, `service:${service.id}`, checks[1] ?? 'passing', service.id, service.name),
  ],
});

const CATALOG = {
  consul: [],
  web: ['v1', 'v2', 'primary', 'env=prod'],
  // Two values for `tier` across instances that are gone: ambiguous, dropped.
  'billing-db': ['v3', 'tier=db', 'tier=storage'],
  legacy: null,
};

const HEALTH: Record<string, unknown[]> = {
  consul: [
    instance(
      'consul-server-1',
      '10.0.0.10',
      { id: 'consul', name: 'consul', address: '', port: 8300, tags: [], meta: {} },
      [],
    ),
  ],
  web: [
    instance(
      'node-a',
      '10.0.1.1',
      {
        id: 'web-1',
        name: 'web',
        address: '10.0.1.101',
        port: 8080,
        tags: [
          'v1',
          'primary',
          'env=prod',
          'traefik.http.routers.web.rule=Host(`web.example.com`)',
          'not a label!',
        ],
        meta: { protocol: 'http', version: '1.4.2' },
      },
      ['passing', 'passing'],
    ),
    instance(
      'node-b',
      '10.0.1.2',
      {
        id: 'web-2',
        name: 'web',
        address: '',
        port: 8080,
        tags: ['v2', 'env|prod'],
        meta: { protocol: 'http', version: '1.5.0' },
      },
      ['passing', 'critical'],
    ),
  ],
  'billing-db': [],
  legacy: [],
};

function fakeConsul(options: { datacenter: string; echoTokenInErrors?: boolean }): Promise<TestServer> {
  return startServer((request, response, url) => {
    const token = request.headers['x-consul-token'];
    if (token !== TOKEN) {
      // Consul answers an unknown token with 403 and a plain-text body.
      sendText(
        response,
        403,
        options.echoTokenInErrors ? `ACL not found for token ${String(token)}` : 'ACL not found',
      );
      return;
    }
    if (url.searchParams.get('dc') !== options.datacenter) {
      sendText(response, 500, 'No path to datacenter');
      return;
    }
    const headers = { 'X-Consul-Index': '1234', 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' };
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    if (url.pathname === '/v1/catalog/services') {
      sendJson(response, 200, CATALOG);
      return;
    }
    const match = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
    const entries = match ? HEALTH[decodeURIComponent(match[1] ?? '')] : undefined;
    if (entries !== undefined) {
      sendJson(response, 200, entries);
      return;
    }
    sendText(response, 404, 'Not Found');
  });
}

const source = (server: TestServer, extra: Partial<ConsulSource> = {}): ConsulSource => ({
  type: 'consul',
  address: server.url,
  datacenter: 'dc2',
  token: { fromEnv: 'SOURCE_SECRET_CONSUL_TOKEN' },
  ...extra,
});

describe('consul source', () => {
  let server: TestServer;
  before(async () => {
    server = await fakeConsul({ datacenter: 'dc2' });
  });
  after(() => server.close());

  test('catalog services and their instances become services', async () => {
    server.requests.length = 0;
    const services = await fetchServices(source(server), { resolveSecret, timeoutMs: 5000 });
    assert.deepEqual(
      services.map((service) => service.hostname),
      ['billing-db.service.consul', 'consul.service.consul', 'legacy.service.consul', 'web.service.consul'],
    );
    // Every request carried the token and the datacenter.
    assert.equal(server.requests.length, 5);
    for (const request of server.requests) {
      assert.equal(request.headers['x-consul-token'], TOKEN);
      assert.equal(request.url.searchParams.get('dc'), 'dc2');
    }

    const web = services.find((service) => service.hostname === 'web.service.consul');
    assert.deepEqual(web, {
      hostname: 'web.service.consul',
      resolution: 'ClientSideLB',
      // Meta `protocol` in Istio's canonical spelling; the label keeps Consul's own value.
      ports: [{ port: 8080, protocol: 'HTTP' }],
      // Only what both instances share.
      labels: { protocol: 'http', env: 'prod' },
      endpoints: [
        {
          address: '10.0.1.101',
          port: 8080,
          labels: {
            protocol: 'http',
            version: '1.4.2',
            v1: '',
            primary: '',
            env: 'prod',
            'traefik.http.routers.web.rule': 'Host(`web.example.com`)',
          },
          locality: 'dc2',
          healthy: true,
        },
        {
          // No Service.Address: the node's address.
          address: '10.0.1.2',
          port: 8080,
          labels: { protocol: 'http', version: '1.5.0', v2: '', env: 'prod' },
          locality: 'dc2',
          // One critical service check.
          healthy: false,
        },
      ],
    });
  });

  test('a service without instances keeps the catalog tags; custom domain', async () => {
    const services = await fetchServices(source(server, { domain: 'mesh.internal' }), {
      resolveSecret,
      timeoutMs: 5000,
    });
    assert.deepEqual(
      services.find((service) => service.hostname === 'billing-db.service.mesh.internal'),
      {
        hostname: 'billing-db.service.mesh.internal',
        resolution: 'ClientSideLB',
        ports: [],
        labels: { v3: '' },
        endpoints: [],
      },
    );
    assert.deepEqual(
      services.find((service) => service.hostname === 'consul.service.mesh.internal')?.endpoints,
      [{ address: '10.0.0.10', port: 8300, locality: 'dc2', healthy: true }],
    );
  });

  test('the datacenter is sent as ?dc=', async () => {
    const dc1 = await fakeConsul({ datacenter: 'dc1' });
    try {
      await assert.rejects(
        fetchServices(source(dc1), { resolveSecret, timeoutMs: 5000 }),
        (error: unknown) => {
          assert.ok(error instanceof SourceError);
          assert.equal(error.kind, 'status');
          assert.equal(error.status, 500);
          assert.match(
            error.message,
            /^Consul http:\/\/127\.0\.0\.1:\d+\/: HTTP 500 from source for GET \/v1\/catalog\/services$/,
          );
          assert.equal(error.detail, 'No path to datacenter');
          return true;
        },
      );
      assert.equal(dc1.requests[0]?.url.searchParams.get('dc'), 'dc2');
      const services = await fetchServices(source(dc1, { datacenter: 'dc1' }), {
        resolveSecret,
        timeoutMs: 5000,
      });
      assert.equal(services.length, 4);
    } finally {
      await dc1.close();
    }
  });

  test('a wrong token is a 403 SourceError without the token, even when Consul echoes it', async () => {
    const echoing = await fakeConsul({ datacenter: 'dc2', echoTokenInErrors: true });
    try {
      const error = await fetchServices(
        source(echoing, { token: { fromEnv: 'SOURCE_SECRET_OTHER_TOKEN' } }),
        {
          resolveSecret,
          timeoutMs: 5000,
        },
      ).then(
        () => assert.fail('expected a SourceError'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof SourceError);
      assert.equal(error.kind, 'status');
      assert.equal(error.status, 403);
      assert.match(error.message, /HTTP 403 from source for GET \/v1\/catalog\/services$/);
      assert.match(error.detail ?? '', /ACL not found for token \[redacted\]$/);
      assert.ok(!inspect(error, { depth: 10 }).includes('b6d1e0aa-0000-4000-8000-not-valid'));
      assert.ok(!inspect(error, { depth: 10 }).includes(TOKEN));
    } finally {
      await echoing.close();
    }
  });

  test('a health answer of the wrong shape names the field', async () => {
    const odd = await startServer((_request, response, url) => {
      if (url.pathname === '/v1/catalog/services') sendJson(response, 200, { web: [] });
      else
        sendJson(response, 200, [
          { Node: { Node: 'n', Address: '10.0.0.1' }, Service: { ID: 'w', Service: 'web', Port: '80' } },
        ]);
    });
    try {
      await assert.rejects(
        fetchServices({ type: 'consul', address: odd.url }, { resolveSecret, timeoutMs: 5000 }),
        (error: unknown) => {
          assert.ok(error instanceof SourceError);
          assert.equal(error.kind, 'invalid');
          assert.match(error.message, /\/v1\/health\/service\/web at 0\.Service\.Port/);
          return true;
        },
      );
    } finally {
      await odd.close();
    }
  });
});
