import { httpHandler, noContent } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { RegistryNotFoundError } from '#store/errors.ts';

export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    if (!(await store.deleteRegistry(name))) throw new RegistryNotFoundError(name);
    return noContent();
  },
  { auth: 'admin' },
);
