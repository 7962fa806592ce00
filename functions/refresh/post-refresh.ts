import { apiError, notFound } from '#http/errors.ts';
import { httpHandler, json } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { limitsFrom } from '#lib/limits.ts';
import { store } from '#store/client.ts';
import { refreshRegistry } from './refresh.ts';
import { lambdaSecretResolver } from './secret-resolver.ts';

const resolveSecret = lambdaSecretResolver(process.env);
const limits = limitsFrom(process.env);

/** POST /registries/{name}/refresh: refresh one now. A failing source is an outcome, not an HTTP error. */
export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    const record = await store.getRegistry(name);
    if (!record) throw notFound(`registry "${name}" does not exist`, 'RegistryNotFound');
    if (!record.source) {
      throw apiError(
        409,
        'NoSource',
        `registry "${name}" has no source to refresh from; its snapshots are pushed`,
      );
    }
    const outcome = await refreshRegistry(record, {
      store,
      resolveSecret,
      limits,
      timeoutMs: Number(process.env.REFRESH_TIMEOUT_MS ?? 10_000),
    });
    return json(200, outcome);
  },
  { auth: 'admin' },
);
