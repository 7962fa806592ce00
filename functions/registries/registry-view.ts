import type { RegistryRecord } from '#store/port.ts';

/** A registry as the API shows it: settings, position and its current snapshot's generation. */
export function registryView(record: RegistryRecord) {
  const { snapshot, ...rest } = record;
  return {
    ...rest,
    generation: snapshot?.generation ?? null,
    serviceCount: snapshot?.serviceCount ?? 0,
    snapshotAt: snapshot?.snapshotAt ?? null,
  };
}
