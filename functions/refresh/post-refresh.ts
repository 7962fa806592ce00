import { apiError } from '#http/errors.ts';
import { httpHandler, json } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import { type InvokeWorker, lambdaWorker } from './invoke-worker.ts';

/**
 * POST /registries/{name}/refresh: refresh one now. This function only authorises (admin) and asks the
 * refresh worker, which alone may read source secrets. A failing source is an outcome, not an HTTP error.
 */
export function makeHandler(deps: { invokeWorker: InvokeWorker }) {
  return httpHandler(
    async (event) => {
      const name = registryNameParam(event);
      const answer = await deps.invokeWorker({ registry: name });
      if (answer.ok) return json(200, answer.outcome);
      if (answer.code === 'NoSource') throw apiError(409, 'NoSource', answer.message);
      throw new RegistryNotFoundError(name);
    },
    { auth: 'admin' },
  );
}

export const handler = makeHandler({ invokeWorker: lambdaWorker(process.env) });
