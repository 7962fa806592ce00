/**
 * A real Prometheus discovers the HTTP SD export of a real HTTP server in front of the route, on the
 * in-memory store, with the reader token. (test/e2e/consumers/prometheus.test.ts does the same over the local stack.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

process.env.ADMIN_TOKEN = 'admin-secret-for-prometheus-tests';
process.env.READER_TOKEN = 'reader-secret-for-prometheus-tests';
process.env.TABLE_NAME ??= 'unused-by-in-process-tests';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const { makeHandler } = await import('../../functions/exports/export-prometheus.ts');
const { MemoryRegistryStore } = await import('../../functions/store/memory-store.ts');
const { serveHandlers } = await import('../helpers/handler-server.ts');
const { startPrometheus } = await import('../helpers/prometheus.ts');
const { byAddress, EXPECTED_TARGETS, exportedLabels, PROMETHEUS_REGISTRIES } = await import(
  '../helpers/prometheus-fixture.ts'
);

let server: Awaited<ReturnType<typeof serveHandlers>>;
let prometheus: Awaited<ReturnType<typeof startPrometheus>>;

before(async () => {
  const store = new MemoryRegistryStore();
  for (const { name, settings, services } of PROMETHEUS_REGISTRIES) {
    await store.putRegistry(name, settings);
    await store.putSnapshot(name, services);
  }
  server = await serveHandlers({ '/exports/prometheus': makeHandler({ store }) });
  prometheus = await startPrometheus({
    sdUrl: `${server.url}/exports/prometheus`,
    bearerToken: 'reader-secret-for-prometheus-tests',
  });
  console.log(`# Prometheus ${prometheus.version}`);
});

after(async () => {
  await prometheus?.stop();
  await server?.stop();
});

describe('Prometheus http_sd_configs on GET /exports/prometheus', () => {
  test('discovers exactly the exported endpoints with their labels', async () => {
    // Act
    const targets = await prometheus.waitForTargets((found) => found.length >= EXPECTED_TARGETS.length);

    // Assess
    assert.deepEqual(
      targets.map((target) => exportedLabels(target.discoveredLabels)).sort(byAddress),
      [...EXPECTED_TARGETS].sort(byAddress),
      prometheus.output(),
    );
  });
});
