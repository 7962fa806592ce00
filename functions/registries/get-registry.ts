import { notFound } from '#http/errors.ts';
import { httpHandler, json } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { registryView } from './registry-view.ts';

export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    const record = await store.getRegistry(name);
    if (!record) throw notFound(`registry "${name}" does not exist`, 'RegistryNotFound');
    return json(200, registryView(record));
  },
  { auth: 'read' },
);
