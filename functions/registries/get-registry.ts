import { httpHandler, json } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';
import { registryView } from './registry-view.ts';

/** GET /registries/{name} */
export function makeHandler(deps: { store: RegistryStore }) {
  return httpHandler(
    async (event) => {
      const name = registryNameParam(event);
      const record = await deps.store.getRegistry(name);
      if (!record) throw new RegistryNotFoundError(name);
      return json(200, registryView(record));
    },
    { auth: 'read', store: deps.store },
  );
}

export const handler = makeHandler({ store });
