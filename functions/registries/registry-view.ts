import { statusOf } from '#lib/freshness.ts';
import type { RegistryRecord } from '#store/port.ts';

/**
 * A registry as the API shows it: settings, position, freshness status and its current snapshot's
 * generation. The incarnation is the store's (it tells a re-created registry from the old one).
 */
export function registryView(record: RegistryRecord) {
  const { snapshot, incarnation: _incarnation, ...rest } = record;
  return {
    ...rest,
    status: statusOf(record),
    generation: snapshot?.generation ?? null,
    serviceCount: snapshot?.serviceCount ?? 0,
    snapshotAt: snapshot?.snapshotAt ?? null,
  };
}
