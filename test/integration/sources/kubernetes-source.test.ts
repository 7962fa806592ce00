/**
 * The Kubernetes adapter against a local server that answers the real API paths with bodies shaped
 * like the API server's (List objects, Status errors), through the real @kubernetes/client-node.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { DEFAULT_LIMITS } from '#lib/limits.ts';
import type { KubernetesSource } from '#lib/source-schema.ts';
import {
  envSecretResolver,
  fetchServices,
  fetchSnapshot,
  SourceError,
} from '../../../functions/sources/index.ts';
import {
  closedPort,
  type RecordedRequest,
  selfSignedCertificate,
  sendJson,
  startServer,
  type TestServer,
} from './helpers.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.kube-test-token.s3cr3t-signature';
const env = { SOURCE_SECRET_KUBE_TOKEN: TOKEN, SOURCE_SECRET_WRONG_TOKEN: 'not-the-right-token-value' };
const resolveSecret = envSecretResolver(env);

const meta = (namespace: string, name: string, extra: Record<string, unknown> = {}) => ({
  name,
  namespace,
  uid: `${namespace}-${name}-0000-0000-000000000000`,
  resourceVersion: '4242',
  creationTimestamp: '2025-01-15T10:00:00Z',
  ...extra,
});

const SERVICES = [
  {
    metadata: meta('bookinfo', 'reviews', {
      labels: { app: 'reviews', 'app.kubernetes.io/part-of': 'bookinfo' },
      annotations: { 'alpha.istio.io/kubernetes-serviceaccounts': 'bookinfo-reviews' },
    }),
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.12.34',
      clusterIPs: ['10.96.12.34'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      selector: { app: 'reviews' },
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [
        { name: 'http', protocol: 'TCP', appProtocol: 'http', port: 9080, targetPort: 9080 },
        { name: 'grpc', protocol: 'TCP', appProtocol: 'kubernetes.io/h2c', port: 9090, targetPort: 'grpc' },
        { name: 'metrics', protocol: 'TCP', port: 15090, targetPort: 15090 },
      ],
    },
    status: { loadBalancer: {} },
  },
  {
    metadata: meta('bookinfo', 'ratings-db', { labels: { app: 'ratings-db' } }),
    spec: {
      type: 'ClusterIP',
      clusterIP: 'None',
      clusterIPs: ['None'],
      selector: { app: 'ratings-db' },
      ports: [{ name: 'mongo', protocol: 'TCP', port: 27017, targetPort: 27017 }],
    },
    status: { loadBalancer: {} },
  },
  {
    metadata: meta('bookinfo', 'payments'),
    spec: {
      type: 'ExternalName',
      externalName: 'payments.example.com',
      ports: [{ name: 'https', protocol: 'TCP', port: 443 }],
    },
    status: { loadBalancer: {} },
  },
  {
    metadata: meta('kube-system', 'kube-dns', { labels: { 'k8s-app': 'kube-dns' } }),
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
      ],
    },
    status: { loadBalancer: {} },
  },
];

const slice = (namespace: string, service: string, suffix: string, body: Record<string, unknown>) => ({
  metadata: meta(namespace, `${service}-${suffix}`, {
    generateName: `${service}-`,
    labels: {
      'kubernetes.io/service-name': service,
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    },
    ownerReferences: [
      { apiVersion: 'v1', kind: 'Service', name: service, uid: `${namespace}-${service}`, controller: true },
    ],
  }),
  ...body,
});

const pod = (namespace: string, name: string) => ({ kind: 'Pod', namespace, name, uid: `${name}-uid` });

const ENDPOINT_SLICES = [
  slice('bookinfo', 'reviews', 'x7k2p', {
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: ['10.244.1.5'],
        conditions: { ready: true, serving: true, terminating: false },
        nodeName: 'node-a',
        zone: 'us-east-1a',
        targetRef: pod('bookinfo', 'reviews-v1-6b8c9'),
      },
      {
        addresses: ['10.244.2.7'],
        conditions: { ready: false, serving: false, terminating: false },
        nodeName: 'node-b',
        zone: 'us-east-1b',
        targetRef: pod('bookinfo', 'reviews-v2-1f2e3'),
      },
    ],
    ports: [
      { name: 'http', protocol: 'TCP', port: 9080, appProtocol: 'http' },
      { name: 'grpc', protocol: 'TCP', port: 9090, appProtocol: 'kubernetes.io/h2c' },
    ],
  }),
  slice('bookinfo', 'ratings-db', 'q9w8e', {
    addressType: 'IPv4',
    endpoints: [
      {
        addresses: ['10.244.3.9'],
        conditions: { ready: true, serving: true, terminating: false },
        hostname: 'ratings-db-0',
        nodeName: 'node-c',
        zone: 'us-east-1c',
        targetRef: pod('bookinfo', 'ratings-db-0'),
      },
      // Terminating: still serving, no longer ready.
      {
        addresses: ['10.244.3.10'],
        conditions: { ready: false, serving: true, terminating: true },
        hostname: 'ratings-db-1',
        nodeName: 'node-c',
        zone: 'us-east-1c',
        targetRef: pod('bookinfo', 'ratings-db-1'),
      },
    ],
    ports: [{ name: 'mongo', protocol: 'TCP', port: 27017 }],
  }),
  slice('kube-system', 'kube-dns', 'a1b2c', {
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.244.0.2'], conditions: { ready: true }, nodeName: 'node-a', zone: 'us-east-1a' },
    ],
    ports: [
      { name: 'dns', protocol: 'UDP', port: 53 },
      { name: 'dns-tcp', protocol: 'TCP', port: 53 },
    ],
  }),
];

interface FakeApi {
  services: unknown[];
  slices: unknown[];
  /** Namespaces the token may not list (answer 403 like RBAC does). */
  forbidden?: string[];
}

const PAGE = 2;

/** List with the API server's paging: honour `limit` (returning at most PAGE items) and `continue`. */
function sendList(
  response: ServerResponse,
  url: URL,
  kind: string,
  apiVersion: string,
  all: unknown[],
): void {
  const limit = Number(url.searchParams.get('limit') ?? all.length) || all.length;
  const start = Number(url.searchParams.get('continue') ?? '0');
  const size = Math.min(limit, PAGE);
  const items = all.slice(start, start + size);
  const next = start + size < all.length ? String(start + size) : undefined;
  sendJson(response, 200, {
    kind,
    apiVersion,
    metadata: {
      resourceVersion: '98765',
      ...(next ? { continue: next, remainingItemCount: all.length - start - size } : {}),
    },
    items,
  });
}

function status(response: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(response, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}

function fakeApiServer(api: FakeApi, tls?: { key: string; cert: string }): Promise<TestServer> {
  return startServer((request, response, url) => {
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
      status(response, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const inNamespace = (items: unknown[], namespace: string | undefined) =>
      namespace === undefined
        ? items
        : items.filter(
            (item) => (item as { metadata: { namespace: string } }).metadata.namespace === namespace,
          );
    const path = url.pathname;
    let match = /^\/api\/v1(?:\/namespaces\/([a-z0-9-]+))?\/services$/.exec(path);
    if (match) {
      const namespace = match[1];
      if (namespace && api.forbidden?.includes(namespace)) {
        status(
          response,
          403,
          'Forbidden',
          `services is forbidden: User "system:serviceaccount:mesh:aggregator" cannot list resource "services" in API group "" in the namespace "${namespace}"`,
        );
        return;
      }
      sendList(response, url, 'ServiceList', 'v1', inNamespace(api.services, namespace));
      return;
    }
    match = /^\/apis\/discovery\.k8s\.io\/v1(?:\/namespaces\/([a-z0-9-]+))?\/endpointslices$/.exec(path);
    if (match) {
      sendList(response, url, 'EndpointSliceList', 'discovery.k8s.io/v1', inNamespace(api.slices, match[1]));
      return;
    }
    status(response, 404, 'NotFound', 'the server could not find the requested resource');
  }, tls);
}

const source = (server: TestServer, extra: Partial<KubernetesSource> = {}): KubernetesSource => ({
  type: 'kubernetes',
  server: server.url,
  token: { fromEnv: 'SOURCE_SECRET_KUBE_TOKEN' },
  ...extra,
});

const paths = (requests: RecordedRequest[]) =>
  [...new Set(requests.map((request) => request.url.pathname))].sort();

describe('kubernetes source', () => {
  let server: TestServer;
  before(async () => {
    server = await fakeApiServer({ services: SERVICES, slices: ENDPOINT_SLICES });
  });
  after(() => server.close());

  test('converts Services and EndpointSlices of all namespaces', async () => {
    server.requests.length = 0;
    const services = await fetchServices(source(server), { resolveSecret, timeoutMs: 5000 });
    assert.deepEqual(
      services.map((service) => service.hostname),
      [
        'kube-dns.kube-system.svc.cluster.local',
        'payments.bookinfo.svc.cluster.local',
        'ratings-db.bookinfo.svc.cluster.local',
        'reviews.bookinfo.svc.cluster.local',
      ],
    );
    // Every request carried the bearer token; the lists were paged with `continue`.
    assert.ok(server.requests.every((request) => request.headers.authorization === `Bearer ${TOKEN}`));
    assert.deepEqual(paths(server.requests), [
      '/api/v1/services',
      '/apis/discovery.k8s.io/v1/endpointslices',
    ]);
    assert.ok(server.requests.some((request) => request.url.searchParams.get('continue') === '2'));

    const reviews = services.find((service) => service.hostname.startsWith('reviews.'));
    assert.deepEqual(reviews, {
      hostname: 'reviews.bookinfo.svc.cluster.local',
      namespace: 'bookinfo',
      address: '10.96.12.34',
      resolution: 'ClientSideLB',
      ports: [
        // As Istio derives them: appProtocol `http`, `kubernetes.io/h2c`; a name Istio does not
        // know gets no protocol (Istio sniffs it).
        { name: 'http', port: 9080, protocol: 'HTTP' },
        { name: 'grpc', port: 9090, protocol: 'HTTP2' },
        { name: 'metrics', port: 15090 },
      ],
      labels: { app: 'reviews', 'app.kubernetes.io/part-of': 'bookinfo' },
      serviceAccounts: ['spiffe://cluster.local/ns/bookinfo/sa/bookinfo-reviews'],
      endpoints: [
        { address: '10.244.1.5', port: 9080, portName: 'http', locality: 'us-east-1a', healthy: true },
        { address: '10.244.1.5', port: 9090, portName: 'grpc', locality: 'us-east-1a', healthy: true },
        { address: '10.244.2.7', port: 9080, portName: 'http', locality: 'us-east-1b', healthy: false },
        { address: '10.244.2.7', port: 9090, portName: 'grpc', locality: 'us-east-1b', healthy: false },
      ],
    });
  });

  test('headless service: no address, Passthrough, endpoints carry readiness', async () => {
    const services = await fetchServices(source(server), { resolveSecret, timeoutMs: 5000 });
    const db = services.find((service) => service.hostname.startsWith('ratings-db.'));
    assert.ok(db);
    assert.equal(db.address, undefined);
    assert.equal(db.resolution, 'Passthrough');
    assert.deepEqual(db.ports, [{ name: 'mongo', port: 27017, protocol: 'MONGO' }]);
    assert.deepEqual(db.endpoints, [
      { address: '10.244.3.10', port: 27017, portName: 'mongo', locality: 'us-east-1c', healthy: false },
      { address: '10.244.3.9', port: 27017, portName: 'mongo', locality: 'us-east-1c', healthy: true },
    ]);
  });

  test('ExternalName service, and port protocols from the port name without appProtocol', async () => {
    const services = await fetchServices(source(server), { resolveSecret, timeoutMs: 5000 });
    const payments = services.find((service) => service.hostname.startsWith('payments.'));
    assert.deepEqual(payments, {
      hostname: 'payments.bookinfo.svc.cluster.local',
      namespace: 'bookinfo',
      ports: [{ name: 'https', port: 443, protocol: 'HTTPS' }],
      resolution: 'DNS',
      meshExternal: true,
      endpoints: [{ address: 'payments.example.com', port: 443, portName: 'https' }],
    });
    const dns = services.find((service) => service.hostname.startsWith('kube-dns.'));
    assert.deepEqual(dns?.ports, [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ]);
  });

  test('namespaces: lists only the namespaced paths and a custom cluster domain', async () => {
    server.requests.length = 0;
    const services = await fetchServices(
      source(server, { namespaces: ['kube-system'], clusterDomain: 'corp.internal' }),
      {
        resolveSecret,
        timeoutMs: 5000,
      },
    );
    assert.deepEqual(
      services.map((service) => service.hostname),
      ['kube-dns.kube-system.svc.corp.internal'],
    );
    assert.deepEqual(services[0]?.endpoints, [
      { address: '10.244.0.2', port: 53, portName: 'dns', locality: 'us-east-1a', healthy: true },
      { address: '10.244.0.2', port: 53, portName: 'dns-tcp', locality: 'us-east-1a', healthy: true },
    ]);
    assert.deepEqual(paths(server.requests), [
      '/api/v1/namespaces/kube-system/services',
      '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices',
    ]);
  });

  test('several namespaces are merged', async () => {
    const services = await fetchServices(source(server, { namespaces: ['bookinfo', 'kube-system'] }), {
      resolveSecret,
      timeoutMs: 5000,
    });
    assert.equal(services.length, 4);
  });

  test('a wrong token is a 401 SourceError that does not contain the token', async () => {
    const error = await fetchServices(source(server, { token: { fromEnv: 'SOURCE_SECRET_WRONG_TOKEN' } }), {
      resolveSecret,
      timeoutMs: 5000,
    }).then(
      () => assert.fail('expected a SourceError'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof SourceError);
    assert.equal(error.name, 'SourceError');
    assert.equal(error.kind, 'status');
    assert.equal(error.status, 401);
    assert.match(
      error.message,
      /^Kubernetes API http:\/\/127\.0\.0\.1:\d+\/: HTTP 401 from source for GET \/api\/v1\/services$/,
    );
    for (const secret of [TOKEN, env.SOURCE_SECRET_WRONG_TOKEN]) {
      assert.ok(!inspect(error, { depth: 10 }).includes(secret), 'the error must not contain a token');
    }
  });

  test('RBAC 403 on a namespace names it; the API server message is kept for logs only', async () => {
    const restricted = await fakeApiServer({
      services: SERVICES,
      slices: ENDPOINT_SLICES,
      forbidden: ['secret-ns'],
    });
    try {
      await assert.rejects(
        fetchServices(source(restricted, { namespaces: ['bookinfo', 'secret-ns'] }), {
          resolveSecret,
          timeoutMs: 5000,
        }),
        (error: unknown) => {
          assert.ok(error instanceof SourceError);
          assert.equal(error.kind, 'status');
          assert.equal(error.status, 403);
          assert.match(
            error.message,
            /HTTP 403 from source for GET \/api\/v1\/namespaces\/secret-ns\/services$/,
          );
          assert.match(error.detail ?? '', /services is forbidden/);
          return true;
        },
      );
    } finally {
      await restricted.close();
    }
  });

  test('a Service our schema rejects is skipped and reported; the others are kept', async () => {
    const [reviews] = SERVICES;
    const weird = await fakeApiServer({
      services: [
        { ...reviews, spec: { ...reviews?.spec, clusterIP: '10.96.12.34; drop table' } },
        ...SERVICES.slice(1),
      ],
      slices: [],
    });
    try {
      const { services, skipped } = await fetchSnapshot(source(weird), { resolveSecret, timeoutMs: 5000 });
      assert.deepEqual(
        services.map((service) => service.hostname),
        [
          'kube-dns.kube-system.svc.cluster.local',
          'payments.bookinfo.svc.cluster.local',
          'ratings-db.bookinfo.svc.cluster.local',
        ],
      );
      assert.equal(skipped.count, 1);
      assert.match(skipped.examples[0] ?? '', /^service "reviews\.bookinfo\.svc\.cluster\.local": address/);
    } finally {
      await weird.close();
    }
  });

  test('a Service with more endpoints than the limit is skipped and counted; the cluster is not lost', async () => {
    // Act: reviews has 4 endpoints, ratings-db 2.
    const { services, skipped } = await fetchSnapshot(source(server), {
      resolveSecret,
      timeoutMs: 5000,
      limits: { ...DEFAULT_LIMITS, maxEndpointsPerService: 3 },
    });

    // Assess
    assert.equal(services.length, 3);
    assert.ok(!services.some((service) => service.hostname.startsWith('reviews.')));
    assert.equal(skipped.count, 1);
    assert.match(
      skipped.examples[0] ?? '',
      /^service "reviews\.bookinfo\.svc\.cluster\.local": endpoints: Too big/,
    );
  });

  test('a body that is not a Kubernetes list is invalid', async () => {
    const broken = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"kind": "ServiceList", "items": [');
    });
    try {
      await assert.rejects(
        fetchServices(source(broken), { resolveSecret, timeoutMs: 5000 }),
        (error: unknown) => {
          assert.ok(error instanceof SourceError);
          assert.equal(error.kind, 'invalid');
          return true;
        },
      );
    } finally {
      await broken.close();
    }
  });

  test('an unreachable API server', async () => {
    const port = await closedPort();
    await assert.rejects(
      fetchServices(
        {
          type: 'kubernetes',
          server: `http://127.0.0.1:${port}`,
          token: { fromEnv: 'SOURCE_SECRET_KUBE_TOKEN' },
        },
        {
          resolveSecret,
          timeoutMs: 5000,
        },
      ),
      (error: unknown) => {
        assert.ok(error instanceof SourceError);
        assert.equal(error.kind, 'unreachable');
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      },
    );
  });

  test('a hanging API server: timeout, and the client really drops the request', async () => {
    let closedAt = 0;
    const hanging = await startServer((request) => {
      request.socket.once('close', () => {
        closedAt = Date.now();
      });
    });
    try {
      const started = Date.now();
      await assert.rejects(
        fetchServices(source(hanging), { resolveSecret, timeoutMs: 300 }),
        (error: unknown) => {
          assert.ok(error instanceof SourceError);
          assert.equal(error.kind, 'timeout');
          return true;
        },
      );
      assert.ok(Date.now() - started < 2000);
      // The abort signal reached the generated client's fetch: the socket closes without our help.
      for (let wait = 0; closedAt === 0 && wait < 40; wait += 1)
        await new Promise((resolve) => setTimeout(resolve, 25));
      assert.ok(closedAt > 0, 'the client should close the connection after the timeout');
    } finally {
      await hanging.close();
    }
  });

  test('https with caData: trusted with the CA, rejected without it', async () => {
    const certificate = selfSignedCertificate();
    const secure = await fakeApiServer({ services: SERVICES, slices: ENDPOINT_SLICES }, certificate);
    try {
      const caData = Buffer.from(certificate.cert).toString('base64');
      const services = await fetchServices(source(secure, { caData }), { resolveSecret, timeoutMs: 5000 });
      assert.equal(services.length, 4);
      await assert.rejects(
        fetchServices(source(secure), { resolveSecret, timeoutMs: 5000 }),
        (error: unknown) => {
          assert.ok(error instanceof SourceError);
          assert.equal(error.kind, 'unreachable');
          return true;
        },
      );
    } finally {
      await secure.close();
    }
  });
});
