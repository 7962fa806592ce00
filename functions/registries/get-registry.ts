import { httpHandler, json } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import { registryView } from './registry-view.ts';

export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    const record = await store.getRegistry(name);
    if (!record) throw new RegistryNotFoundError(name);
    return json(200, registryView(record));
  },
  { auth: 'read' },
);
