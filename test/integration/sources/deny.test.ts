/**
 * The deny list: no source (http, consul, kubernetes) reaches a link-local or cloud metadata address,
 * whether the URL names it literally, in another spelling, or through a host name that resolves to it.
 * A denied request never leaves: the local servers here see no request. Loopback and private ranges
 * stay allowed. DNS answers are stood in for with a mock of `dns.lookup`, which the connection's own
 * lookup calls: what is checked is what the socket connects to.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { afterEach, describe, mock, test } from 'node:test';
import type { Source } from '#lib/source-schema.ts';
import {
  DEFAULT_DENY_CIDRS,
  DenyList,
  envSecretResolver,
  type FetchServicesOptions,
  fetchServices,
  SourceError,
} from '../../../functions/sources/index.ts';
import { sendJson, startServer, type TestServer } from './helpers.ts';

const resolveSecret = envSecretResolver({ SOURCE_SECRET_TOKEN: 'deny-test-token-value' });
const options: FetchServicesOptions = { resolveSecret, timeoutMs: 3000 };

let tried = 0;
let denied = 0;

async function failure(source: Source, extra: Partial<FetchServicesOptions> = {}): Promise<SourceError> {
  tried++;
  const error = await fetchServices(source, { ...options, ...extra }).then(
    () => assert.fail(`expected ${JSON.stringify(source)} to fail`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SourceError, `expected a SourceError, got ${String(error)}`);
  if (error.kind === 'denied') denied++;
  return error;
}

function assertDenied(error: SourceError, pattern: RegExp) {
  assert.equal(error.kind, 'denied', error.message);
  assert.match(error.message, pattern);
  assert.match(error.message, /denied range/);
}

/** One source of each type pointing at `base` (scheme://host[:port]). */
function sourcesAt(base: string): Source[] {
  return [
    { type: 'http', url: `${base}/latest/meta-data/iam/security-credentials/` },
    { type: 'consul', address: base, token: { fromEnv: 'SOURCE_SECRET_TOKEN' } },
    { type: 'kubernetes', server: base, token: { fromEnv: 'SOURCE_SECRET_TOKEN' } },
  ];
}

/** Answers every source type well enough to succeed: a snapshot, a Consul catalog, Kubernetes lists. */
async function everythingServer(): Promise<TestServer> {
  return startServer((_request, response, url) => {
    if (url.pathname.startsWith('/v1/catalog/services')) return sendJson(response, 200, {});
    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/apis/')) {
      return sendJson(response, 200, { kind: 'List', apiVersion: 'v1', metadata: {}, items: [] });
    }
    return sendJson(response, 200, { services: [{ hostname: 'ok.example.com' }] });
  });
}

afterEach(() => mock.restoreAll());

/** Stands in for DNS: `answer(host)` gives the addresses (or throws a resolver error). */
function mockLookup(answer: (host: string) => string[]) {
  return mock.method(dns, 'lookup', (host: string, options: dns.LookupOptions, callback: LookupCallback) => {
    let addresses: string[];
    try {
      addresses = answer(host);
    } catch (error) {
      process.nextTick(() => callback(error as NodeJS.ErrnoException, []));
      return;
    }
    const all = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    process.nextTick(() =>
      options.all ? callback(null, all) : callback(null, all[0]?.address ?? '', all[0]?.family),
    );
  });
}
type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

describe('the source deny list', () => {
  test('literal metadata and link-local addresses, in every spelling, for every source type', async () => {
    const spellings = [
      'http://169.254.169.254',
      'http://169.254.170.2', // ECS task metadata
      'http://169.254.0.1:8080',
      'http://[fd00:ec2::254]',
      'http://[FD00:EC2:0:0:0:0:0:254]',
      'http://[::ffff:169.254.169.254]', // IPv4-mapped
      'http://[::ffff:a9fe:a9fe]',
      'http://[0:0:0:0:0:ffff:a9fe:a9fe]',
      'http://[::169.254.169.254]', // IPv4-compatible
      'http://[64:ff9b::169.254.169.254]', // NAT64
      'http://0xa9fea9fe', // the URL parser reads these as 169.254.169.254
      'http://2852039166',
      'http://169.254.43518',
      'http://0251.0376.0251.0376',
      'https://169.254.169.254:443',
    ];
    let cases = 0;
    for (const base of spellings) {
      for (const source of sourcesAt(base)) {
        const started = Date.now();
        const error = await failure(source);
        assertDenied(error, /address .* is in the denied range (169\.254\.0\.0\/16|fd00:ec2::254\/128)/);
        // Refused before any connection: no timeout, no waiting on an unroutable address.
        assert.ok(Date.now() - started < 1000, `${base} took ${Date.now() - started} ms`);
        cases++;
      }
    }
    console.log(
      `# literal addresses: ${spellings.length} spellings × 3 source types = ${cases} fetches denied`,
    );
  });

  test('a host name is resolved and every address it resolves to is checked', async () => {
    const server = await everythingServer();
    try {
      const answers: Record<string, string[]> = {
        'metadata.attacker.test': ['169.254.169.254'],
        'mixed.attacker.test': ['10.0.0.7', '192.168.1.20', '::ffff:169.254.169.254'],
        'v6.attacker.test': ['2001:db8::1', 'fd00:ec2::254'],
      };
      const lookup = mockLookup((host) => {
        const addresses = answers[host];
        if (addresses === undefined) {
          throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
        }
        return addresses;
      });
      for (const host of ['metadata.attacker.test', 'mixed.attacker.test', 'v6.attacker.test']) {
        for (const source of sourcesAt(`http://${host}:${server.port}`)) {
          const error = await failure(source);
          assertDenied(error, new RegExp(`${host.replaceAll('.', '\\.')} resolves to [0-9a-f:.]+, which is`));
        }
      }
      assert.equal(server.requests.length, 0, 'a denied request must not be sent');
      // A name that does not resolve fails closed (not left to the HTTP client's own lookup).
      const unresolved = await failure({ type: 'http', url: `http://nowhere.attacker.test:${server.port}/` });
      assert.equal(unresolved.kind, 'unreachable');
      assert.match(unresolved.message, /could not resolve nowhere\.attacker\.test \(ENOTFOUND\)/);
      assert.ok(lookup.mock.callCount() >= 10);
      console.log(
        `# host names: ${lookup.mock.callCount()} lookups checked, ${server.requests.length} requests sent`,
      );
    } finally {
      await server.close();
    }
  });

  test('every connection is checked, not only the first: a name that turns bad mid-fetch is stopped', async () => {
    // Consul reads the catalog, then one health request per service (two at once, so a second
    // connection opens); the name rebinds in between.
    const consul = await startServer((_request, response, url) => {
      if (url.pathname === '/v1/catalog/services') return sendJson(response, 200, { web: [], api: [] });
      return sendJson(response, 200, []);
    });
    try {
      let calls = 0;
      mockLookup(() => {
        calls++;
        return [calls === 1 ? '127.0.0.1' : '169.254.169.254'];
      });
      const error = await failure({ type: 'consul', address: `http://localhost:${consul.port}` });
      assertDenied(error, /localhost resolves to 169\.254\.169\.254/);
      assert.ok(calls >= 2, 'the second connection resolved the name again');
      assert.ok(consul.requests.length < 3, 'not every request was sent');
    } finally {
      await consul.close();
    }
  });

  test('the address checked is the address connected to: an answer that changes after the check cannot slip in', async () => {
    // A rebinding name: allowed for the first resolution, metadata for any later one. Checked apart
    // from the connection, the second resolution (the client's own) would reach 169.254.169.254.
    const server = await everythingServer();
    try {
      let calls = 0;
      const lookup = mockLookup(() => {
        calls++;
        return [calls === 1 ? '127.0.0.1' : '169.254.169.254'];
      });
      const services = await fetchServices(
        { type: 'http', url: `http://rebind.attacker.test:${server.port}/` },
        options,
      );
      assert.deepEqual(
        services.map((service) => service.hostname),
        ['ok.example.com'],
      );
      assert.equal(lookup.mock.callCount(), 1, 'one resolution, used for the connection it checked');
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a real DNS name resolving to a denied address is refused at connect, before any request', async () => {
    // localhost resolves (through the system resolver) to loopback, denied here by configuration.
    const server = await everythingServer();
    try {
      const error = await failure(
        { type: 'http', url: `http://localhost:${server.port}/` },
        { denyCidrs: ['127.0.0.0/8', '::1/128'] },
      );
      assertDenied(error, /localhost resolves to (127\.0\.0\.1|::1), which is in the denied range/);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });

  test('loopback and private ranges stay allowed', async () => {
    const server = await everythingServer();
    try {
      for (const base of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`]) {
        for (const source of sourcesAt(base)) {
          tried++;
          await fetchServices(source, options);
        }
      }
      assert.ok(server.requests.length >= 6);
      const list = DenyList.fromEnv({});
      for (const address of [
        '10.0.0.1',
        '172.16.5.4',
        '192.168.0.1',
        '127.0.0.1',
        '::1',
        'fd00:ec2::253',
        'fec0::1',
      ]) {
        assert.equal(list.match(address), undefined, address);
      }
      // fe80::/10 is IPv6 link-local: denied by default, like 169.254.0.0/16.
      for (const address of [
        '169.254.169.254',
        '169.254.255.255',
        'fd00:ec2::254',
        '::ffff:169.254.1.1',
        'fe80::1',
        'febf:ffff::1',
      ]) {
        assert.notEqual(list.match(address), undefined, address);
      }
    } finally {
      await server.close();
    }
  });

  test('SOURCE_DENY_CIDRS configures the list; a bad entry fails every fetch as a config error', async () => {
    assert.deepEqual(DenyList.fromEnv({}).cidrs, DEFAULT_DENY_CIDRS);
    assert.deepEqual(DenyList.fromEnv({ SOURCE_DENY_CIDRS: ' ' }).cidrs, DEFAULT_DENY_CIDRS);
    assert.deepEqual(DenyList.fromEnv({ SOURCE_DENY_CIDRS: '10.0.0.0/8, 169.254.0.0/16,' }).cidrs, [
      '10.0.0.0/8',
      '169.254.0.0/16',
    ]);
    for (const bad of ['10.0.0.0', '10.0.0.0/33', 'fd00::/129', 'example.com/8', '10.0.0.0/8/1']) {
      assert.throws(
        () => DenyList.fromEnv({ SOURCE_DENY_CIDRS: bad }),
        (error: unknown) => error instanceof SourceError && error.kind === 'config',
        bad,
      );
    }

    const server = await everythingServer();
    const saved = process.env.SOURCE_DENY_CIDRS;
    try {
      process.env.SOURCE_DENY_CIDRS = '127.0.0.0/8';
      const error = await failure({ type: 'http', url: `${server.url}/snapshot` });
      assertDenied(error, /address 127\.0\.0\.1 is in the denied range 127\.0\.0\.0\/8/);
      process.env.SOURCE_DENY_CIDRS = 'not-a-cidr';
      const config = await failure({ type: 'http', url: `${server.url}/snapshot` });
      assert.equal(config.kind, 'config');
      assert.match(config.message, /invalid SOURCE_DENY_CIDRS entry "not-a-cidr"/);
      // The option wins over the environment.
      await fetchServices({ type: 'http', url: `${server.url}/snapshot` }, { ...options, denyCidrs: [] });
      assert.equal(server.requests.length, 1);
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DENY_CIDRS;
      else process.env.SOURCE_DENY_CIDRS = saved;
      await server.close();
    }
    console.log(`# deny list: ${tried} fetches tried, ${denied} denied before any request was sent`);
  });
});
