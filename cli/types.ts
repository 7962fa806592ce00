/** The response shapes the CLI reads, inferred from the documented schemas (lib/api-schemas.ts). */
import type { z } from 'zod';
import type {
  changesSchema,
  conflictsSchema,
  createdRegistrySchema,
  endpointsSchema,
  ingestTokenSchema,
  mergedViewSchema,
  refreshResultSchema,
  registryListSchema,
  registryViewSchema,
  snapshotWriteSchema,
} from '#lib/api-schemas.ts';

export type MergedView = z.infer<typeof mergedViewSchema>;
export type RegistryList = z.infer<typeof registryListSchema>;
export type RegistryView = z.infer<typeof registryViewSchema>;
export type CreatedRegistry = z.infer<typeof createdRegistrySchema>;
export type SnapshotWrite = z.infer<typeof snapshotWriteSchema>;
export type IngestToken = z.infer<typeof ingestTokenSchema>;
export type RefreshResult = z.infer<typeof refreshResultSchema>;
export type Endpoints = z.infer<typeof endpointsSchema>;
export type Changes = z.infer<typeof changesSchema>;
export type Conflicts = z.infer<typeof conflictsSchema>;
