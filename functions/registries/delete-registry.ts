import { httpHandler, noContent } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';

/** DELETE /registries/{name}: its services leave the merged view at once. */
export function makeHandler(deps: { store: RegistryStore }) {
  return httpHandler(
    async (event) => {
      const name = registryNameParam(event);
      if (!(await deps.store.deleteRegistry(name))) throw new RegistryNotFoundError(name);
      return noContent();
    },
    { auth: 'admin', store: deps.store },
  );
}

export const handler = makeHandler({ store });
