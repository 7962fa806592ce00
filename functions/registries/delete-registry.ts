import { notFound } from '#http/errors.ts';
import { httpHandler, noContent } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';

export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    if (!(await store.deleteRegistry(name)))
      throw notFound(`registry "${name}" does not exist`, 'RegistryNotFound');
    return noContent();
  },
  { auth: 'admin' },
);
