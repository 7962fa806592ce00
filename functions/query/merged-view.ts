/**
 * The merged view as the query function serves it, cached per function instance: decoded snapshots keyed
 * by snapshot id (immutable, so never stale), and the last merged result keyed by the table's revision.
 * A warm query when nothing changed costs one DynamoDB request: the consistent Query of the registry
 * partition that tells the revision.
 */
import { aggregateServices } from '#lib/aggregate.ts';
import type { Conflict, MergedService, RegistryError, RegistrySnapshot, Service } from '#lib/types.ts';
import { SnapshotGoneError } from '#store/errors.ts';
import type { RegistryList, RegistryRecord, RegistryStore } from '#store/registry-store.ts';

export interface RegistryStatus {
  name: string;
  position: number;
  clusterId?: string;
  provider?: string;
  generation: number | null;
  serviceCount: number;
  snapshotAt: string | null;
}

export interface MergedViewBody {
  revision: number;
  services: MergedService[];
  errors: RegistryError[];
  conflicts: Conflict[];
  registries: RegistryStatus[];
}

export interface MergedView {
  revision: number;
  etag: string;
  /** The serialised body, built once per revision and reused by every warm request. */
  json: string;
  /** The first merged entry per hostname, as Istio's GetService answers. */
  byHostname: ReadonlyMap<string, MergedService>;
}

const READ_ATTEMPTS = 3;

export class MergedViewCache {
  private readonly decoded = new Map<string, readonly Service[]>();
  private last: { key: string; view: MergedView } | undefined;

  constructor(private readonly store: RegistryStore) {}

  async current(): Promise<MergedView> {
    for (let attempt = 1; ; attempt++) {
      const list = await this.store.listRegistries();
      const key = `${list.epoch}:${list.revision}`;
      if (this.last?.key === key) return this.last.view;
      try {
        await this.loadMissingSnapshots(list.registries);
      } catch (error) {
        // A snapshot was replaced between our Query and our reads: read the new state.
        if (error instanceof SnapshotGoneError && attempt < READ_ATTEMPTS) continue;
        throw error;
      }
      const view = this.build(list);
      this.last = { key, view };
      return view;
    }
  }

  private async loadMissingSnapshots(registries: readonly RegistryRecord[]): Promise<void> {
    const wanted = new Set<string>();
    const missing = [];
    for (const { snapshot } of registries) {
      if (!snapshot) continue;
      wanted.add(snapshot.id);
      if (!this.decoded.has(snapshot.id)) missing.push(snapshot);
    }
    if (missing.length > 0) {
      const loaded = await this.store.loadSnapshots(missing);
      for (const [id, services] of loaded) this.decoded.set(id, services);
    }
    // Keep only current snapshots: memory stays bounded by what is served.
    for (const id of this.decoded.keys()) if (!wanted.has(id)) this.decoded.delete(id);
  }

  private build(list: RegistryList): MergedView {
    const snapshots: RegistrySnapshot[] = [];
    for (const record of list.registries) {
      const services = record.snapshot ? this.decoded.get(record.snapshot.id) : undefined;
      if (!services) continue;
      snapshots.push({ registry: registryRef(record), services });
    }
    const merged = aggregateServices(snapshots);
    const body: MergedViewBody = {
      revision: list.revision,
      services: merged.services,
      errors: merged.errors,
      conflicts: merged.conflicts,
      registries: list.registries.map(registryStatus),
    };
    const byHostname = new Map<string, MergedService>();
    for (const service of merged.services) {
      if (!byHostname.has(service.hostname)) byHostname.set(service.hostname, service);
    }
    return {
      revision: list.revision,
      etag: `"${list.epoch.slice(0, 8)}-${list.revision}"`,
      json: JSON.stringify(body),
      byHostname,
    };
  }
}

function registryRef(record: RegistryRecord): RegistrySnapshot['registry'] {
  return {
    name: record.name,
    ...(record.clusterId ? { clusterId: record.clusterId } : {}),
    ...(record.provider ? { provider: record.provider } : {}),
  };
}

export function registryStatus(record: RegistryRecord): RegistryStatus {
  return {
    name: record.name,
    position: record.position,
    ...(record.clusterId !== undefined ? { clusterId: record.clusterId } : {}),
    ...(record.provider !== undefined ? { provider: record.provider } : {}),
    generation: record.snapshot?.generation ?? null,
    serviceCount: record.snapshot?.serviceCount ?? 0,
    snapshotAt: record.snapshot?.storedAt ?? null,
  };
}
