/**
 * Properties of aggregateServices over random registries, checked against the contract directly and
 * against a reference model: a deliberately plain re-statement of the rules, slow but easy to read.
 * Runs 200 cases per property; set FUZZ_RUNS for more.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { aggregateServices } from '#lib/aggregate.ts';
import type {
  Aggregate,
  Conflict,
  MergedService,
  Port,
  RegistryError,
  RegistrySnapshot,
  Service,
} from '#lib/types.ts';
import { deepFreeze } from '../helpers/factories.ts';
import { fuzzRuns, snapshotPartsArb, snapshotsArb } from '../helpers/merge-arbitraries.ts';

const NUM_RUNS = fuzzRuns(process.env.FUZZ_RUNS);

// ---------------------------------------------------------------------------------------------------
// Helpers shared by the properties.

const isClustered = (snapshot: RegistrySnapshot): boolean =>
  snapshot.registry.clusterId !== undefined && snapshot.registry.clusterId !== '';

const healthy = (snapshots: readonly RegistrySnapshot[]): RegistrySnapshot[] =>
  snapshots.filter((snapshot) => snapshot.error === undefined);

function stripEndpoints(service: Service): Omit<Service, 'endpoints'> {
  const { endpoints: _endpoints, ...rest } = service;
  return rest;
}

/** Output services with plain-prototype clusterVIPs, for deep equality. */
function normalized(services: readonly MergedService[]): MergedService[] {
  return services.map((merged) =>
    merged.clusterVIPs === undefined
      ? { ...merged }
      : { ...merged, clusterVIPs: Object.fromEntries(Object.entries(merged.clusterVIPs)) },
  );
}

/** Conflicts as a multiset: the contract fixes which conflicts exist, not their order within a sighting. */
function sortedConflicts(conflicts: readonly Conflict[]): Conflict[] {
  const key = (conflict: Conflict) =>
    JSON.stringify([
      conflict.hostname,
      conflict.field,
      conflict.kept.registry,
      conflict.ignored.registry,
      conflict.kept.value ?? null,
      conflict.ignored.value ?? null,
    ]);
  return [...conflicts].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------
// The reference model: the rules of the issue, one by one, with no care for speed.

function portSetOf(ports: readonly Port[] | undefined): string[] {
  const keys = (ports ?? []).map((port) => JSON.stringify([port.port, port.name ?? '', port.protocol ?? '']));
  return [...new Set(keys)].sort();
}

function samePorts(a: readonly Port[] | undefined, b: readonly Port[] | undefined): boolean {
  return JSON.stringify(portSetOf(a)) === JSON.stringify(portSetOf(b));
}

/** `<registry>/<hostname>`, with `#n` for the registry's n-th entry of that hostname from the 2nd on. */
function referenceUnclusteredId(registry: string, list: readonly Service[], index: number): string {
  const hostname = list[index]?.hostname ?? '';
  const ordinal = list.slice(0, index + 1).filter((service) => service.hostname === hostname).length;
  return ordinal === 1 ? `${registry}/${hostname}` : `${registry}/${hostname}#${ordinal}`;
}

interface ModelSlot {
  kept: Service;
  keptRegistry: string;
  vips: [clusterId: string, address: string, registry: string][];
  accounts: string[] | undefined;
}

function referenceAggregate(snapshots: readonly RegistrySnapshot[]): Aggregate {
  const output: (MergedService | ModelSlot)[] = [];
  const errors: RegistryError[] = [];
  const conflicts: Conflict[] = [];
  const slots: ModelSlot[] = [];

  for (const snapshot of snapshots) {
    const registry = snapshot.registry.name;
    if (snapshot.error !== undefined) {
      errors.push({ registry, message: snapshot.error });
      continue;
    }
    const clusterId = snapshot.registry.clusterId;
    const list = snapshot.services ?? [];
    for (const [index, service] of list.entries()) {
      if (clusterId === undefined || clusterId === '') {
        output.push({
          ...stripEndpoints(service),
          registry,
          id: referenceUnclusteredId(registry, list, index),
        });
        continue;
      }
      const address = service.address ?? '';
      const slot = slots.find((candidate) => candidate.kept.hostname === service.hostname);
      if (slot === undefined) {
        const created: ModelSlot = {
          kept: service,
          keptRegistry: registry,
          vips: [[clusterId, address, registry]],
          accounts: service.serviceAccounts === undefined ? undefined : [],
        };
        for (const account of service.serviceAccounts ?? []) {
          if (!created.accounts?.includes(account)) created.accounts?.push(account);
        }
        slots.push(created);
        output.push(created);
        continue;
      }
      const recorded = slot.vips.find(([id]) => id === clusterId);
      if (recorded === undefined) {
        slot.vips.push([clusterId, address, registry]);
      } else if (recorded[1] !== address) {
        conflicts.push({
          hostname: service.hostname,
          field: 'clusterVIPs',
          kept: { registry: recorded[2], value: { [clusterId]: recorded[1] } },
          ignored: { registry, value: { [clusterId]: address } },
        });
      }
      if (!samePorts(slot.kept.ports, service.ports)) {
        conflicts.push({
          hostname: service.hostname,
          field: 'ports',
          kept: { registry: slot.keptRegistry, value: slot.kept.ports },
          ignored: { registry, value: service.ports },
        });
      }
      if (slot.kept.resolution !== service.resolution) {
        conflicts.push({
          hostname: service.hostname,
          field: 'resolution',
          kept: { registry: slot.keptRegistry, value: slot.kept.resolution },
          ignored: { registry, value: service.resolution },
        });
      }
      if (service.serviceAccounts !== undefined) {
        slot.accounts ??= [];
        for (const account of service.serviceAccounts) {
          if (!slot.accounts.includes(account)) slot.accounts.push(account);
        }
      }
    }
  }

  const services = output.map((entry): MergedService => {
    if (!('kept' in entry)) return entry;
    const { serviceAccounts: _accounts, ...fields } = stripEndpoints(entry.kept);
    const merged: MergedService = {
      ...fields,
      registry: entry.keptRegistry,
      id: entry.kept.hostname,
      clusterVIPs: Object.fromEntries(entry.vips.map(([id, address]) => [id, address])),
    };
    if (entry.accounts !== undefined) merged.serviceAccounts = entry.accounts;
    return merged;
  });
  return { services, errors, conflicts };
}

// ---------------------------------------------------------------------------------------------------

describe('aggregateServices properties', () => {
  test('the input is never mutated', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const before = structuredClone(snapshots);

        // Act
        aggregateServices(snapshots);

        // Assess
        assert.deepEqual(snapshots, before);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('a deeply frozen input gives the same result as the same input unfrozen', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const frozen = deepFreeze(structuredClone(snapshots));

        // Act
        const fromFrozen = aggregateServices(frozen);
        const fromPlain = aggregateServices(snapshots);

        // Assess
        assert.deepEqual(normalized(fromFrozen.services), normalized(fromPlain.services));
        assert.deepEqual(fromFrozen.conflicts, fromPlain.conflicts);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('the result equals the reference model', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const expected = referenceAggregate(structuredClone(snapshots));

        // Act
        const result = aggregateServices(snapshots);

        // Assess
        assert.deepEqual(normalized(result.services), expected.services);
        assert.deepEqual(result.errors, expected.errors);
        assert.deepEqual(sortedConflicts(result.conflicts), sortedConflicts(expected.conflicts));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('each clustered hostname appears once among the clustered entries', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const reported = new Set(
          healthy(snapshots)
            .filter(isClustered)
            .flatMap((snapshot) => (snapshot.services ?? []).map((service) => service.hostname)),
        );

        // Act
        const result = aggregateServices(snapshots);

        // Assess
        const clusteredHostnames = result.services
          .filter((merged) => merged.clusterVIPs !== undefined)
          .map((merged) => merged.hostname);
        assert.equal(new Set(clusteredHostnames).size, clusteredHostnames.length);
        assert.deepEqual(new Set(clusteredHostnames), reported);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('the clusterVIPs keys of a hostname are exactly the cluster ids of the healthy registries reporting it', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const expected = new Map<string, Set<string>>();
        for (const snapshot of healthy(snapshots).filter(isClustered)) {
          for (const service of snapshot.services ?? []) {
            const ids = expected.get(service.hostname) ?? new Set<string>();
            ids.add(snapshot.registry.clusterId ?? '');
            expected.set(service.hostname, ids);
          }
        }

        // Act
        const result = aggregateServices(snapshots);

        // Assess
        for (const merged of result.services) {
          if (merged.clusterVIPs === undefined) continue;
          assert.deepEqual(new Set(Object.keys(merged.clusterVIPs)), expected.get(merged.hostname));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('every service of a healthy unclustered registry is kept, in order', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const expected = healthy(snapshots)
          .filter((snapshot) => !isClustered(snapshot))
          .flatMap((snapshot) =>
            (snapshot.services ?? []).map((service, index, list) => ({
              ...stripEndpoints(service),
              registry: snapshot.registry.name,
              id: referenceUnclusteredId(snapshot.registry.name, list, index),
            })),
          );

        // Act
        const result = aggregateServices(snapshots);

        // Assess
        const unclusteredEntries = result.services.filter((merged) => merged.clusterVIPs === undefined);
        assert.deepEqual(unclusteredEntries, expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('the output is in first-seen order', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const expected: string[] = [];
        const seenClustered = new Set<string>();
        for (const snapshot of healthy(snapshots)) {
          for (const service of snapshot.services ?? []) {
            if (!isClustered(snapshot)) {
              expected.push(`unclustered ${snapshot.registry.name} ${service.hostname}`);
            } else if (!seenClustered.has(service.hostname)) {
              seenClustered.add(service.hostname);
              expected.push(`clustered ${snapshot.registry.name} ${service.hostname}`);
            }
          }
        }

        // Act
        const result = aggregateServices(snapshots);

        // Assess
        const actual = result.services.map(
          (merged) =>
            `${merged.clusterVIPs === undefined ? 'unclustered' : 'clustered'} ${merged.registry} ${merged.hostname}`,
        );
        assert.deepEqual(actual, expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('the errors are exactly the error snapshots, in order', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const expected = snapshots
          .filter((snapshot) => snapshot.error !== undefined)
          .map((snapshot) => ({ registry: snapshot.registry.name, message: snapshot.error }));

        // Act
        const result = aggregateServices(snapshots);

        // Assess
        assert.deepEqual(result.errors, expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('no output service carries endpoints', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Act
        const result = aggregateServices(snapshots);

        // Assess
        for (const merged of result.services) assert.equal(Object.hasOwn(merged, 'endpoints'), false);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('aggregateServices id properties', () => {
  test('every id is unique within the view', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Act
        const result = aggregateServices(snapshots);

        // Assess
        const ids = result.services.map((merged) => merged.id);
        assert.equal(new Set(ids).size, ids.length);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('the same input gives the same ids', () => {
    fc.assert(
      fc.property(snapshotsArb, (snapshots) => {
        // Prepare
        const copy = structuredClone(snapshots);

        // Act
        const first = aggregateServices(snapshots);
        const second = aggregateServices(copy);

        // Assess
        assert.deepEqual(
          second.services.map((merged) => merged.id),
          first.services.map((merged) => merged.id),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('a registry changing leaves the ids of entries it has no hostname of unchanged', () => {
    fc.assert(
      fc.property(
        snapshotsArb.filter((snapshots) => snapshots.length > 0),
        fc.nat(),
        snapshotPartsArb,
        (snapshots, pick, parts) => {
          // Prepare
          const index = pick % snapshots.length;
          const before = snapshots[index] as RegistrySnapshot;
          const { clusterId, ...body } = parts;
          const name = before.registry.name;
          const after: RegistrySnapshot = {
            registry: clusterId === undefined ? { name } : { name, clusterId },
            ...body,
          };
          const changed = snapshots.with(index, after);
          const touched = new Set(
            [before, after].flatMap((snapshot) =>
              (snapshot.services ?? []).map((service) => service.hostname),
            ),
          );
          const untouched = (services: readonly MergedService[]) =>
            new Map(
              services
                .filter((merged) => !touched.has(merged.hostname))
                .map((merged) => [merged.id, `${merged.registry} ${merged.hostname}`]),
            );

          // Act
          const first = aggregateServices(snapshots);
          const second = aggregateServices(changed);

          // Assess
          assert.deepEqual(untouched(second.services), untouched(first.services));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
