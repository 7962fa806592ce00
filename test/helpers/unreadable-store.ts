import { MemoryRegistryStore } from '#store/memory-store.ts';

/** A store whose reads leave out the snapshots named in `unreadable`, as when a chunk is missing. */
export class UnreadableSnapshots extends MemoryRegistryStore {
  readonly unreadable = new Set<string>();
  override async loadSnapshots(ids: readonly string[], options?: { endpoints?: boolean }) {
    const loaded = await super.loadSnapshots(ids, options);
    for (const id of this.unreadable) loaded.delete(id);
    return loaded;
  }
}
