/**
 * The bodies of the merged-view routes (GET /services, /services/{hostname}, /changes, /conflicts,
 * POST /preview), as clients receive them. Pure types: the OpenAPI document describes these.
 */
import type { ConflictGroup } from './conflict-groups.ts';
import type { RegistryChange, ServiceChange } from './delta.ts';
import type { RegistryStatus } from './freshness.ts';
import type { SkippedObjects } from './registry.ts';
import type { Conflict, MergedService, RegistryError } from './types.ts';

export type { ConflictGroup } from './conflict-groups.ts';
export type { ChangeKind, RegistryChange, ServiceChange } from './delta.ts';

/** What GET /services shows of a registry. No check times: they change every minute and live on GET /registries. */
export interface RegistryStatusEntry {
  name: string;
  position: number;
  clusterId?: string;
  provider?: string;
  network?: string;
  status: RegistryStatus;
  generation: number | null;
  serviceCount: number;
  snapshotAt: string | null;
  lastError: string | null;
  skipped?: SkippedObjects;
}

/** GET /services, unpaged, or the first page of a paged read. */
export interface ServicesBody {
  revision: number;
  services: MergedService[];
  errors: RegistryError[];
  conflicts: Conflict[];
  registries: RegistryStatusEntry[];
  /** Only when paged (`?limit=`, or a view too large for one response): the services in the whole view. */
  total?: number;
  /** Only while more services remain: pass it as `?cursor=` for the next page. */
  next?: string;
  /** Only when the view did not fit one response and no `limit` was asked for. */
  truncated?: true;
}

/** A later page (`?cursor=`): the services only; the other fields are on the first page. */
export interface ServicesPageBody {
  revision: number;
  services: MergedService[];
  total: number;
  next?: string;
}

/** GET /changes */
export interface ChangesBody {
  from: number;
  revision: number;
  changes: ServiceChange[];
  /** The registries whose status entry differs: `registry` is the entry in the newer view (absent for removals). */
  registries: RegistryChange<RegistryStatusEntry>[];
}

/** GET /conflicts */
export interface ConflictsBody {
  revision: number;
  conflicts: ConflictGroup[];
}

/** POST /preview: what a candidate snapshot (or a delete) would change, nothing stored. */
export interface PreviewBody {
  revision: number;
  changes: ServiceChange[];
  conflicts: { added: Conflict[]; removed: Conflict[] };
}
