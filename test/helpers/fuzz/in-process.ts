/**
 * The in-process fuzz tests' setting: the API over an in-memory store, seeded with two registries at
 * generation STORED_GENERATION, and a checked sender (never a 5xx, our error shape).
 */
import assert from 'node:assert/strict';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { ADMIN } from '../handler-env.ts';
import { inProcessApi } from '../in-process-api.ts';
import { dumpStore } from '../store-dump.ts';
import { STORED_GENERATION } from './arbitraries.ts';
import { checkedSender } from './check.ts';

export const SEEDED = ['fz-one', 'fz-two'] as const;
export const JSON_TYPE = { 'content-type': 'application/json' };

export async function fuzzSetting() {
  const store = new MemoryRegistryStore();
  const api = await inProcessApi(store);
  const send = (request: Parameters<typeof api.send>[0]) =>
    api.send({ ...request, headers: { authorization: `Bearer ${ADMIN}`, ...request.headers } });
  const put = async (path: string, body: unknown) => {
    const reply = await send({ method: 'PUT', path, body: JSON.stringify(body), headers: JSON_TYPE });
    assert.ok(reply.status < 300, `${path}: ${reply.status} ${reply.text}`);
  };
  await put('/registries/fz-one', { clusterId: 'c1', provider: 'Kubernetes', description: 'seeded' });
  await put('/registries/fz-two', { provider: 'static' });
  for (const name of SEEDED) {
    await put(`/registries/${name}/snapshot`, {
      generation: STORED_GENERATION,
      services: [
        {
          hostname: `hello.${name}.svc.cluster.local`,
          address: '10.0.0.1',
          ports: [{ name: 'http', port: 80, protocol: 'HTTP' }],
          labels: { app: 'hello' },
          endpoints: [{ address: '10.0.1.1', port: 8080, healthy: true }],
        },
      ],
    });
  }
  return { store, send: checkedSender(send), dump: () => dumpStore(store) };
}
