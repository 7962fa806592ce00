/** The body of PUT /registries/{name}: settings, and optionally where the scheduled refresh pulls from. */
import { z } from 'zod';
import { DNS_LABEL, shortToken } from './schemas.ts';
import {
  checkRefreshSettings,
  checkSecretRefs,
  refreshSettingsShape,
  type SecretRules,
  sourceSchema,
} from './source-schema.ts';

/** The rules for secret references depend on the deployment's stage: pass `secretRulesFor(stage)`. */
export const registryBodySchemaFor = (rules: SecretRules) =>
  z
    .strictObject({
      clusterId: z
        .string()
        .max(253)
        .regex(/^([A-Za-z0-9][-A-Za-z0-9_.]*)?$/, 'has characters that are not allowed')
        .exactOptional(),
      provider: shortToken(64).exactOptional(),
      description: z.string().max(1024).exactOptional(),
      /** The Istio network this registry's endpoints are reachable on (exported as endpoints' `network`). */
      network: z.string().regex(DNS_LABEL, 'must be a DNS label (a-z, 0-9, "-", at most 63)').exactOptional(),
      source: sourceSchema.exactOptional(),
      ...refreshSettingsShape,
    })
    .superRefine(checkRefreshSettings)
    .superRefine((body, ctx) => {
      if (body.source !== undefined) checkSecretRefs(body.source, rules, ctx, ['source']);
    });

export type RegistryBody = z.infer<ReturnType<typeof registryBodySchemaFor>>;
