/**
 * Properties of the endpoint rules over random registries, against a reference model: a plain
 * re-statement of issue 10's rules that first flattens every registry into rows, then filters them.
 * The index is checked against the scan functions on the same inputs. Runs 200 cases per property;
 * set FUZZ_RUNS for more.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  buildEndpointIndex,
  type EndpointQuery,
  hasHostname,
  instancesByPort,
  type PortSelector,
  proxyServiceInstances,
  type ServiceEndpoint,
  serviceAccountsOf,
} from '#lib/endpoints.ts';
import type { Endpoint, Port, RegistrySnapshot, Service } from '#lib/types.ts';
import { deepFreeze } from '../helpers/factories.ts';

const NUM_RUNS = Number(process.env.FUZZ_RUNS || 200);

// ---------------------------------------------------------------------------------------------------
// Generators: small pools so that hostnames, addresses, ports, names and labels collide often.

const HOSTNAMES = ['a.example.com', 'b.example.com', 'c.example.com'];
const ADDRESSES = ['10.0.0.1', '10.0.0.2', 'fd00::1', 'db.example.com'];
const CLUSTERS = ['east', 'west'];
const PORT_POOL: readonly Port[] = [
  { name: 'http', port: 80, protocol: 'HTTP' },
  { name: 'grpc', port: 9090 },
  { port: 443 },
  { name: 'web', port: 80 },
];
const PORT_NAMES = ['http', 'grpc', 'web', 'metrics', ''];
const PORT_NUMBERS = [80, 443, 8080, 9090];
const ACCOUNTS = ['sa-1', 'sa-2', 'sa-3'];
const LABELS = [{ app: 'x' }, { app: 'x', version: 'v1' }, { app: 'y' }, { version: 'v1' }];

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const endpointArb: fc.Arbitrary<Endpoint> = fc.record(
  {
    address: fc.constantFrom(...ADDRESSES),
    port: fc.constantFrom(...PORT_NUMBERS),
    portName: fc.constantFrom(...PORT_NAMES),
    labels: fc.constantFrom(...LABELS),
    locality: fc.constantFrom('eu', 'us'),
    serviceAccount: fc.constantFrom(...ACCOUNTS),
    healthy: fc.boolean(),
  },
  { requiredKeys: ['address', 'port'] },
);

const serviceArb: fc.Arbitrary<Service> = fc.record(
  {
    hostname: fc.constantFrom(...HOSTNAMES),
    ports: fc.subarray([...PORT_POOL]),
    serviceAccounts: fc.subarray(ACCOUNTS),
    endpoints: fc.array(endpointArb, { maxLength: 5 }),
  },
  { requiredKeys: ['hostname'] },
);

const snapshotsArb: fc.Arbitrary<RegistrySnapshot[]> = fc
  .array(
    fc.record({
      clusterId: optional(fc.constantFrom(...CLUSTERS, '')),
      services: fc.array(serviceArb, { maxLength: 5 }),
      error: optional(fc.constant('unreachable')),
    }),
    { maxLength: 5 },
  )
  .map((list) =>
    deepFreeze(
      list.map(({ clusterId, services, error }, i) => {
        const registry = clusterId === undefined ? { name: `r${i}` } : { name: `r${i}`, clusterId };
        return error === undefined ? { registry, services } : { registry, services, error };
      }),
    ),
  );

const selectorArb: fc.Arbitrary<PortSelector> = fc.oneof(
  fc.constantFrom(...PORT_NUMBERS),
  fc.constantFrom(...PORT_NAMES.filter(Boolean)),
);

const queryArb: fc.Arbitrary<EndpointQuery> = fc.record(
  {
    port: selectorArb,
    labels: fc.constantFrom({}, { app: 'x' }, { version: 'v1' }, { app: 'x', version: 'v1' }),
    health: fc.constantFrom('all' as const, 'healthy' as const, 'healthy_or_else_all' as const),
  },
  { requiredKeys: [] },
);

// ---------------------------------------------------------------------------------------------------
// The reference model.

interface Row {
  registry: RegistrySnapshot['registry'];
  service: Service;
  endpoint: Endpoint;
}

/** Every endpoint of every serving registry, in registration, snapshot and endpoint order. */
function rows(snapshots: readonly RegistrySnapshot[]): Row[] {
  const out: Row[] = [];
  for (const snapshot of snapshots) {
    if (snapshot.error) continue;
    for (const service of snapshot.services ?? [])
      for (const endpoint of service.endpoints ?? [])
        out.push({ registry: snapshot.registry, service, endpoint });
  }
  return out;
}

/** The port rule, as the issue says it. */
function referencePort(service: Service, endpoint: Endpoint): Port | undefined {
  const ports = service.ports ?? [];
  if (endpoint.portName) return ports.filter((p) => p.name === endpoint.portName)[0];
  if (ports.length === 1) return ports[0];
  return ports.filter((p) => p.port === endpoint.port)[0];
}

function selects(port: Port | undefined, selector: PortSelector): boolean {
  if (port === undefined) return false;
  return typeof selector === 'number' ? port.port === selector : port.name === selector;
}

function describeRow({ registry, service, endpoint }: Row): ServiceEndpoint {
  const port = referencePort(service, endpoint);
  const described: ServiceEndpoint = {
    hostname: service.hostname,
    registry: registry.name,
    address: endpoint.address,
    port: endpoint.port,
    healthy: endpoint.healthy !== false,
  };
  if (registry.clusterId) described.clusterId = registry.clusterId;
  if (endpoint.portName !== undefined) described.portName = endpoint.portName;
  if (port) described.servicePort = { ...port };
  if (endpoint.labels) described.labels = endpoint.labels;
  if (endpoint.locality !== undefined) described.locality = endpoint.locality;
  if (endpoint.serviceAccount !== undefined) described.serviceAccount = endpoint.serviceAccount;
  return described;
}

function referenceInstances(snapshots: readonly RegistrySnapshot[], hostname: string, query: EndpointQuery) {
  let kept = rows(snapshots).filter((row) => row.service.hostname === hostname);
  if (query.port !== undefined) {
    const selector = query.port;
    kept = kept.filter((row) => selects(referencePort(row.service, row.endpoint), selector));
  }
  for (const [key, value] of Object.entries(query.labels ?? {})) {
    kept = kept.filter((row) => row.endpoint.labels?.[key] === value);
  }
  const described = kept.map(describeRow);
  const healthy = described.filter((e) => e.healthy);
  if (query.health === 'healthy') return healthy;
  if (query.health === 'healthy_or_else_all' && healthy.length > 0) return healthy;
  return described;
}

function referenceWorkload(snapshots: readonly RegistrySnapshot[], address: string, clusterId?: string) {
  return rows(snapshots)
    .filter((row) => row.endpoint.address === address)
    .filter(
      (row) => clusterId === undefined || !row.registry.clusterId || row.registry.clusterId === clusterId,
    )
    .map(describeRow);
}

function referenceAccounts(snapshots: readonly RegistrySnapshot[], hostname: string, ports?: PortSelector[]) {
  const seen: string[] = [];
  const add = (account: string | undefined) => {
    if (account !== undefined && !seen.includes(account)) seen.push(account);
  };
  const wanted = (port: Port | undefined) =>
    !ports?.length || ports.some((selector) => selects(port, selector));
  for (const snapshot of snapshots) {
    if (snapshot.error) continue;
    for (const service of snapshot.services ?? []) {
      if (service.hostname !== hostname) continue;
      if (ports?.length && !(service.ports ?? []).some(wanted)) continue;
      for (const account of service.serviceAccounts ?? []) add(account);
      for (const endpoint of service.endpoints ?? []) {
        if (wanted(referencePort(service, endpoint))) add(endpoint.serviceAccount);
      }
    }
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------------

const hostnameArb = fc.constantFrom(...HOSTNAMES, 'unknown.example.com');

describe('endpoint rules against the reference model', () => {
  test('instancesByPort gives the model’s endpoints, in its order, for any query', () => {
    fc.assert(
      fc.property(snapshotsArb, hostnameArb, queryArb, (snapshots, hostname, query) => {
        assert.deepEqual(
          instancesByPort(snapshots, hostname, query),
          referenceInstances(snapshots, hostname, query),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('proxyServiceInstances gives the model’s instances, with or without a clusterId', () => {
    fc.assert(
      fc.property(
        snapshotsArb,
        fc.constantFrom(...ADDRESSES),
        optional(fc.constantFrom(...CLUSTERS, 'north')),
        (snapshots, address, clusterId) => {
          const options = clusterId === undefined ? {} : { clusterId };
          assert.deepEqual(
            proxyServiceInstances(snapshots, address, options),
            referenceWorkload(snapshots, address, clusterId),
          );
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  test('serviceAccountsOf gives the model’s union, with or without ports', () => {
    fc.assert(
      fc.property(
        snapshotsArb,
        hostnameArb,
        optional(fc.array(selectorArb, { maxLength: 2 })),
        (snapshots, hostname, ports) => {
          assert.deepEqual(
            serviceAccountsOf(snapshots, hostname, ports),
            referenceAccounts(snapshots, hostname, ports),
          );
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  test('a filtered answer is an ordered sub-list of the unfiltered one', () => {
    fc.assert(
      fc.property(snapshotsArb, hostnameArb, queryArb, (snapshots, hostname, query) => {
        const all = instancesByPort(snapshots, hostname);
        const filtered = instancesByPort(snapshots, hostname, query);
        let at = 0;
        for (const endpoint of filtered) {
          while (at < all.length && JSON.stringify(all[at]) !== JSON.stringify(endpoint)) at++;
          assert.ok(
            at < all.length,
            'a filtered endpoint is missing from, or out of order in, the unfiltered list',
          );
          at++;
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('the index against the scan', () => {
  test('answers every question as the scan functions do, in any order of asking', () => {
    fc.assert(
      fc.property(
        snapshotsArb,
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('instances' as const), hostname: hostnameArb, query: queryArb }),
            fc.record({
              kind: fc.constant('workload' as const),
              address: fc.constantFrom(...ADDRESSES),
              clusterId: optional(fc.constantFrom(...CLUSTERS)),
            }),
            fc.record({
              kind: fc.constant('accounts' as const),
              hostname: hostnameArb,
              ports: optional(fc.array(selectorArb, { maxLength: 2 })),
            }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (snapshots, questions) => {
          const index = buildEndpointIndex(snapshots);
          for (const question of questions) {
            if (question.kind === 'instances') {
              const known = hasHostname(snapshots, question.hostname);
              assert.equal(index.hasHostname(question.hostname), known);
              assert.deepEqual(
                index.instancesByPort(question.hostname, question.query),
                known ? instancesByPort(snapshots, question.hostname, question.query) : undefined,
              );
            } else if (question.kind === 'workload') {
              const options = question.clusterId === undefined ? {} : { clusterId: question.clusterId };
              assert.deepEqual(
                index.proxyServiceInstances(question.address, options),
                proxyServiceInstances(snapshots, question.address, options),
              );
            } else {
              const known = hasHostname(snapshots, question.hostname);
              assert.deepEqual(
                index.serviceAccountsOf(question.hostname, question.ports),
                known ? serviceAccountsOf(snapshots, question.hostname, question.ports) : undefined,
              );
            }
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
