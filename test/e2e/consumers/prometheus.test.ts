/**
 * A real Prometheus discovers its targets from the local stack (`npm start`: serverless-offline and
 * DynamoDB Local) through `http_sd_configs` on GET /exports/prometheus with the reader token, as the
 * README's scrape config has it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callApi } from '../../helpers/api.ts';
import type { LocalStack } from '../../helpers/local-stack.ts';
import { type RunningPrometheus, startPrometheus } from '../../helpers/prometheus.ts';
import {
  byAddress,
  EXPECTED_TARGETS,
  exportedLabels,
  PROMETHEUS_REGISTRIES,
} from '../../helpers/prometheus-fixture.ts';
import { SHARED_READER_TOKEN, sharedStack } from '../../helpers/shared-stack.ts';

const readerToken = SHARED_READER_TOKEN;
let stack: LocalStack | undefined;
let prometheus: RunningPrometheus | undefined;

before(async () => {
  stack = (await sharedStack('consumers')).stack;
  for (const { name, settings, services } of PROMETHEUS_REGISTRIES) {
    const created = await callApi(stack.url, 'PUT', `/registries/${name}`, {
      token: stack.adminToken,
      body: settings,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const pushed = await callApi(stack.url, 'PUT', `/registries/${name}/snapshot`, {
      token: stack.adminToken,
      body: { services },
    });
    assert.equal(pushed.status, 200, JSON.stringify(pushed.body));
  }
  prometheus = await startPrometheus({ sdUrl: `${stack.url}/exports/prometheus`, bearerToken: readerToken });
  console.log(`# Prometheus ${prometheus.version}`);
});

after(async () => {
  await prometheus?.stop();
});

describe('Prometheus discovering the local stack', () => {
  test("GET /registries shows each registry's network", async () => {
    // Act
    const list = await callApi((stack as LocalStack).url, 'GET', '/registries', { token: readerToken });

    // Assess
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.registries.map((registry: { name: string; network?: string }) => [
        registry.name,
        registry.network,
      ]),
      [
        ['east', 'net-east'],
        ['vms', undefined],
      ],
    );
  });

  test('finds exactly the exported endpoints with their labels', async () => {
    // Act
    const running = prometheus as RunningPrometheus;
    const targets = await running.waitForTargets((found) => found.length >= EXPECTED_TARGETS.length);

    // Assess
    assert.deepEqual(
      targets.map((target) => exportedLabels(target.discoveredLabels)).sort(byAddress),
      [...EXPECTED_TARGETS].sort(byAddress),
      running.output(),
    );
  });
});
