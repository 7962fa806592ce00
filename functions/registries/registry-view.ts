import { sourceView } from '#lib/source-view.ts';
import type { RegistryRecord } from '#store/port.ts';

/** A registry as the API shows it: settings, position and its current snapshot's generation. */
export function registryView(record: RegistryRecord) {
  const { snapshot, source, ...rest } = record;
  return {
    ...rest,
    // Header names and secret references only: readers never see a header's value.
    ...(source === undefined ? {} : { source: sourceView(source) }),
    generation: snapshot?.generation ?? null,
    serviceCount: snapshot?.serviceCount ?? 0,
    snapshotAt: snapshot?.snapshotAt ?? null,
  };
}
