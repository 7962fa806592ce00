import { httpHandler, json } from '#http/handler.ts';
import { store } from '#store/client.ts';
import { registryView } from './registry-view.ts';

export const handler = httpHandler(
  async () => {
    const [{ revision }, registries] = await Promise.all([store.currentRevision(), store.listRegistries()]);
    return json(200, { revision, registries: registries.map(registryView) });
  },
  { auth: 'read' },
);
