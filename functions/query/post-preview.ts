/**
 * POST /preview (admin): what a candidate snapshot of a registry, or its deletion, would change in the
 * current merged view — the /changes entries and the conflicts added and removed. Nothing is stored.
 */
import { z } from 'zod';
import { badRequest } from '#http/errors.ts';
import { httpHandler, json, limits } from '#http/handler.ts';
import type { PreviewBody } from '#lib/api-types.ts';
import { parseWith, registryName, serviceSchema } from '#lib/schemas.ts';
import type { Service } from '#lib/types.ts';
import { store } from '#store/client.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';
import { conflictChanges, diffServices } from './merge-lib.ts';
import { ViewCache } from './view-cache.ts';

/** The same services schema and limits as PUT /registries/{name}/snapshot. */
const candidateSchema = z.strictObject({
  registry: registryName,
  services: z.array(serviceSchema(limits)).max(limits.maxServicesPerSnapshot),
});
const deletionSchema = z.strictObject({ registry: registryName, delete: z.literal(true) });

export function makeHandler(deps: { store: RegistryStore; views?: ViewCache }) {
  const views = deps.views ?? new ViewCache(deps.store);
  return httpHandler(
    async (event) => {
      const input = event.body;
      const isDeletion = typeof input === 'object' && input !== null && 'delete' in input;
      const parsed = isDeletion ? parseWith(deletionSchema, input) : parseWith(candidateSchema, input);
      if (!parsed.ok) throw badRequest(parsed.message, 'InvalidBody');
      const registry = parsed.value.registry;
      const services: Service[] | null = 'services' in parsed.value ? parsed.value.services : null;
      const view = await views.current('all');
      if (!view.state.registries.some((entry) => entry.name === registry))
        throw new RegistryNotFoundError(registry);
      const candidate = views.preview(view, registry, services);
      const body: PreviewBody = {
        revision: view.revision,
        changes: diffServices(view.services, candidate.services),
        conflicts: conflictChanges(view.aggregate.conflicts, candidate.conflicts),
      };
      return json(200, body, { 'Cache-Control': 'no-store' });
    },
    { auth: 'admin', store: deps.store, jsonBody: true },
  );
}

export const handler = makeHandler({ store });
