/**
 * The in-process fuzz tests' setting: the API over an in-memory store, seeded with two registries at
 * generation STORED_GENERATION, and a checked sender (never a 5xx, our error shape).
 */
import assert from 'node:assert/strict';
import { MemoryRegistryStore } from '#store/memory-store.ts';
import { ADMIN } from '../handler-env.ts';
import { inProcessApi } from '../in-process-api.ts';
import { dumpStore } from '../store-dump.ts';
import { checkedSender } from './check.ts';
import { JSON_TYPE, seedRegistries } from './seed.ts';

export { JSON_TYPE, SEEDED } from './seed.ts';

export async function fuzzSetting() {
  const store = new MemoryRegistryStore();
  const api = await inProcessApi(store);
  const send = (request: Parameters<typeof api.send>[0]) =>
    api.send({ ...request, headers: { authorization: `Bearer ${ADMIN}`, ...request.headers } });
  const put = async (path: string, body: unknown) => {
    const reply = await send({ method: 'PUT', path, body: JSON.stringify(body), headers: JSON_TYPE });
    assert.ok(reply.status < 300, `${path}: ${reply.status} ${reply.text}`);
  };
  await seedRegistries(put);
  return { store, send: checkedSender(send), dump: () => dumpStore(store) };
}
