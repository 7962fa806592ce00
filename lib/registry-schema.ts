/** The body of PUT /registries/{name}: settings, and optionally where the scheduled refresh pulls from. */
import { z } from 'zod';
import { shortToken } from './schemas.ts';
import { checkRefreshSettings, refreshSettingsShape, sourceSchema } from './source-schema.ts';

export const registryBodySchema = z
  .strictObject({
    clusterId: z
      .string()
      .max(253)
      .regex(/^([A-Za-z0-9][-A-Za-z0-9_.]*)?$/, 'has characters that are not allowed')
      .exactOptional(),
    provider: shortToken(64).exactOptional(),
    description: z.string().max(1024).exactOptional(),
    source: sourceSchema.exactOptional(),
    ...refreshSettingsShape,
  })
  .superRefine(checkRefreshSettings);

export type RegistryBody = z.infer<typeof registryBodySchema>;
