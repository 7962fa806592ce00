/**
 * Everything a store holds that the API can show or act on, as one canonical string: registries,
 * their snapshots' services, ingest-token digests, the current revision. Two dumps are equal exactly
 * when nothing observable changed.
 */
import { canonicalJson } from '#lib/canonical-json.ts';
import type { RegistryStore } from '#store/port.ts';

export async function dumpStore(store: RegistryStore): Promise<string> {
  const registries = await store.listRegistries();
  const ids = registries.flatMap((record) => (record.snapshot ? [record.snapshot.id] : []));
  const snapshots = await store.loadSnapshots(ids, { endpoints: true });
  const digests = await Promise.all(registries.map((record) => store.getIngestTokenDigest(record.name)));
  return canonicalJson({
    revision: await store.currentRevision(),
    registries,
    snapshots: Object.fromEntries(snapshots),
    digests,
  });
}
