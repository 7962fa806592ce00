import { httpHandler, json } from '#http/handler.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { registryView } from './registry-view.ts';

/** GET /registries: every registry in registration order, with the revision they are at (or newer). */
export function makeHandler(deps: { store: RegistryStore }) {
  return httpHandler(
    async () => {
      // The revision first: the list read after it is at least as new.
      const { revision } = await deps.store.currentRevision();
      const registries = await deps.store.listRegistries();
      return json(200, { revision, registries: registries.map(registryView) });
    },
    { auth: 'read', store: deps.store },
  );
}

export const handler = makeHandler({ store });
