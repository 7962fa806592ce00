import { apiError } from '#http/errors.ts';
import { httpHandler, json } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import { refreshDeps } from './deps.ts';
import { NoSourceError, refreshRegistry } from './refresh.ts';

/** POST /registries/{name}/refresh: refresh one now. A failing source is an outcome, not an HTTP error. */
export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    const record = await refreshDeps.store.getRegistry(name);
    if (!record) throw new RegistryNotFoundError(name);
    try {
      return json(200, await refreshRegistry(record, refreshDeps));
    } catch (error) {
      if (error instanceof NoSourceError) throw apiError(409, 'NoSource', error.message);
      throw error;
    }
  },
  { auth: 'admin' },
);
