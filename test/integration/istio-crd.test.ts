/**
 * The Istio export against Istio's own ServiceEntry CRD (read in place from ../shared, never copied):
 * its v1 openAPIV3Schema with unknown fields refused, its list types, and every CEL rule evaluated.
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ServiceEntry as ServiceEntryModel } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import { istioExport, type ServiceEntry } from '#lib/exports/istio.ts';
import { loadCrdValidator } from '../helpers/crd-validator.ts';
import { NETWORKS, realisticSnapshots } from '../helpers/export-fixture.ts';
import { exportInput } from '../helpers/export-input.ts';
import { service, unclustered } from '../helpers/factories.ts';

const CRD = resolve(import.meta.dirname, '../../../shared/istio/serviceentry-crd.yaml');
const validator = loadCrdValidator(CRD, 'v1');

function realisticExport(health: 'healthy' | 'all' = 'healthy') {
  return istioExport(exportInput(realisticSnapshots(), NETWORKS), { namespace: 'istio-system', health });
}

function first(): ServiceEntry {
  return structuredClone(realisticExport().items[0] as ServiceEntry);
}

describe('the Istio export against the ServiceEntry CRD', () => {
  test('the CRD has CEL rules for the validator to evaluate', () => {
    // Assess
    assert.ok(validator.ruleCount >= 10, `only ${validator.ruleCount} rules found`);
  });

  for (const health of ['healthy', 'all'] as const) {
    test(`every object of a realistic export (health=${health}) passes the schema and every CEL rule`, () => {
      // Prepare
      const list = realisticExport(health);

      // Act
      const problems = list.items.map((item) => ({
        name: item.metadata.name,
        problems: validator.problems(item),
      }));

      // Assess
      assert.equal(list.items.length, 12);
      assert.deepEqual(
        problems.filter((item) => item.problems.length > 0),
        [],
      );
    });
  }

  test('the realistic export covers STATIC, DNS and NONE resolution, both locations and IPv6', () => {
    // Act
    const items = realisticExport().items;

    // Assess: the fixture exercises what the CRD rules are about, or the pass above proves little.
    const resolutions = new Set(items.map((item) => item.spec.resolution));
    const locations = new Set(items.map((item) => item.spec.location));
    assert.deepEqual([...resolutions].sort(), ['DNS', 'NONE', 'STATIC']);
    assert.deepEqual([...locations].sort(), ['MESH_EXTERNAL', 'MESH_INTERNAL']);
    assert.ok(items.some((item) => item.spec.endpoints?.some((entry) => entry.address.includes(':'))));
    assert.ok(items.some((item) => item.spec.addresses?.some((vip) => vip.includes('/'))));
  });

  test('a hostname with more endpoints than a ServiceEntry may hold is cut to the limit and says so', () => {
    // Prepare
    const endpoints = Array.from({ length: 4100 }, (_, i) => ({
      address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      port: 8080,
    }));
    const snapshots = [
      unclustered('big', [service('big.example.com', { ports: [{ name: 'http', port: 80 }], endpoints })]),
    ];

    // Act
    const [entry] = istioExport(exportInput(snapshots), { namespace: 'istio-system' }).items;

    // Assess
    assert.ok(entry);
    assert.equal(entry.spec.endpoints?.length, 4096);
    assert.equal(entry.metadata.annotations?.['aggregate-registry/endpoints-left-out'], '4');
    assert.deepEqual(validator.problems(entry), []);
  });

  test('every object of a realistic export is valid for @kubernetes-models/istio too', () => {
    // Prepare
    const items = realisticExport('all').items;

    // Act
    const failures = items.flatMap((item) => {
      try {
        new ServiceEntryModel(item as never).validate();
        return [];
      } catch (error) {
        return [`${item.metadata.name}: ${String(error)}`];
      }
    });

    // Assess
    assert.deepEqual(failures, []);
  });
});

describe('the CRD validator refuses what the API server refuses', () => {
  test('@kubernetes-models/istio refuses an unknown location too', () => {
    // Prepare
    const entry = first() as unknown as { spec: { location: string } };
    entry.spec.location = 'MESH_SOMEWHERE';

    // Act
    const validate = () => new ServiceEntryModel(entry as never).validate();

    // Assess
    assert.throws(validate);
    assert.ok(validator.problems(entry).some((problem) => problem.includes('/spec/location')));
  });

  test('a duplicated port number fails the CEL rule', () => {
    // Prepare
    const entry = first();
    entry.spec.ports?.push({ number: entry.spec.ports[0]?.number ?? 1, name: 'other' });

    // Act
    const problems = validator.problems(entry);

    // Assess
    assert.ok(
      problems.some((problem) => problem.includes('port number cannot be duplicated')),
      problems.join('\n'),
    );
  });

  test('endpoints under NONE resolution fail the CEL rule', () => {
    // Prepare
    const entry = first();
    entry.spec.resolution = 'NONE';

    // Act
    const problems = validator.problems(entry);

    // Assess
    assert.ok(
      problems.some((problem) => problem.includes('NONE mode cannot set endpoints')),
      problems.join('\n'),
    );
  });

  test('an endpoint port key with an underscore fails the CEL rule', () => {
    // Prepare
    const entry = first();
    const endpoint = entry.spec.endpoints?.[0];
    assert.ok(endpoint);
    endpoint.ports = { http_api: 8080 };

    // Act
    const problems = validator.problems(entry);

    // Assess
    assert.ok(
      problems.some((problem) => problem.includes('port name must be valid')),
      problems.join('\n'),
    );
  });

  test('a port out of range fails the CEL rule', () => {
    // Prepare
    const entry = first();
    const port = entry.spec.ports?.[0];
    assert.ok(port);
    port.number = 70_000;

    // Act
    const problems = validator.problems(entry);

    // Assess
    assert.ok(
      problems.some((problem) => problem.includes('port must be between 1-65535')),
      problems.join('\n'),
    );
  });

  test('a field the schema does not know is an error', () => {
    // Prepare
    const entry = first() as unknown as { spec: Record<string, unknown> };
    entry.spec.clusterVIPs = { 'cluster-east': '10.0.0.10' };

    // Act
    const problems = validator.problems(entry);

    // Assess
    assert.ok(
      problems.some((problem) => problem.includes('clusterVIPs')),
      problems.join('\n'),
    );
  });

  test('a repeated port name fails the list-map key rule', () => {
    // Prepare
    const entry = first();
    entry.spec.ports?.push({ number: 1234, name: entry.spec.ports[0]?.name ?? '' });

    // Act
    const problems = validator.problems(entry);

    // Assess
    assert.ok(
      problems.some((problem) => problem.includes('duplicate entries')),
      problems.join('\n'),
    );
  });

  test('an object name with upper case is refused', () => {
    // Prepare
    const entry = first();
    entry.metadata.name = 'Reviews.default';

    // Act
    const problems = validator.problems(entry);

    // Assess
    assert.ok(
      problems.some((problem) => problem.startsWith('/metadata/name')),
      problems.join('\n'),
    );
  });
});
