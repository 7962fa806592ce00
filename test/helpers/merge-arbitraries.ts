/**
 * Random registries for the property tests of the merge and its deltas: small pools, so hostnames,
 * cluster ids, addresses and ports collide often. Plain prototypes, as JSON.parse gives, so that
 * structuredClone copies compare equal.
 */
import fc from 'fast-check';
import type { Port, RegistrySnapshot, Service } from '#lib/types.ts';

/** Cases per property: 200 unless FUZZ_RUNS says otherwise. */
export function fuzzRuns(raw: string | undefined = process.env.FUZZ_RUNS): number {
  if (raw === undefined || raw === '') return 200;
  const runs = Number(raw);
  if (!Number.isSafeInteger(runs) || runs <= 0)
    throw new Error(`FUZZ_RUNS must be a positive integer: ${raw}`);
  return runs;
}

const PORT_POOL: readonly Port[] = [
  { name: 'http', port: 80, protocol: 'HTTP' },
  { name: 'grpc', port: 9090, protocol: 'GRPC' },
  { port: 443 },
  { name: 'https', port: 443, protocol: 'HTTPS' },
];

export const portArb: fc.Arbitrary<Port> = fc.record(
  {
    name: fc.constantFrom('http', 'grpc', 'tcp'),
    port: fc.constantFrom(80, 443, 9090),
    protocol: fc.constantFrom('HTTP', 'GRPC', 'TCP'),
  },
  { requiredKeys: ['port'], noNullPrototype: true },
);

export const portsArb: fc.Arbitrary<Port[]> = fc.oneof(
  // A shuffled subset of a fixed pool: often the same set in another order.
  fc.shuffledSubarray([...PORT_POOL], { maxLength: 3 }).map((ports) => ports.map((port) => ({ ...port }))),
  fc.array(portArb, { maxLength: 3 }),
);

export const serviceArb: fc.Arbitrary<Service> = fc.record(
  {
    hostname: fc.constantFrom('a.svc', 'b.svc', 'c.svc', 'd.svc', '__proto__', 'constructor'),
    address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.1.0.1', '', 'fd00::1'),
    ports: portsArb,
    namespace: fc.constantFrom('default', 'prod'),
    serviceAccounts: fc.array(fc.constantFrom('sa-a', 'sa-b', 'sa-c', 'sa-d'), { maxLength: 4 }),
    resolution: fc.constantFrom('ClientSideLB', 'DNSLB', 'Passthrough'),
    meshExternal: fc.boolean(),
    labels: fc.dictionary(fc.constantFrom('app', 'version'), fc.constantFrom('x', 'y'), {
      maxKeys: 2,
      noNullPrototype: true,
    }),
    endpoints: fc.array(
      fc.record(
        { address: fc.constantFrom('10.9.0.1', '10.9.0.2'), port: fc.constantFrom(8080, 8443) },
        { noNullPrototype: true },
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['hostname'], noNullPrototype: true },
);

export const snapshotPartsArb = fc.record(
  {
    clusterId: fc.constantFrom('', 'c1', 'c2', 'c3', '__proto__'),
    services: fc.array(serviceArb, { maxLength: 6 }),
    error: fc.constantFrom('timeout', 'connection refused', ''),
  },
  { requiredKeys: [], noNullPrototype: true },
);

/** Registries named r0, r1, ... in registration order; errors are rarer than healthy snapshots. */
export const snapshotsArb: fc.Arbitrary<RegistrySnapshot[]> = fc
  .array(
    fc.tuple(snapshotPartsArb, fc.nat(3)).map(([parts, roll]) => {
      const { error, ...rest } = parts;
      return roll === 0 && error !== undefined ? { ...rest, error } : rest;
    }),
    { maxLength: 7 },
  )
  .map((list) =>
    list.map((parts, index): RegistrySnapshot => {
      const { clusterId, ...body } = parts;
      const name = `r${index}`;
      return { registry: clusterId === undefined ? { name } : { name, clusterId }, ...body };
    }),
  );
