import { httpHandler, json } from '#http/handler.ts';
import { newIngestToken } from '#http/ingest-token.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { RegistryNotFoundError } from '#store/errors.ts';
import type { RegistryStore } from '#store/port.ts';

/** POST /registries/{name}/token: a new ingest token, shown once; the old one stops working at once. */
export function makeHandler(deps: { store: RegistryStore }) {
  return httpHandler(
    async (event) => {
      const name = registryNameParam(event);
      const ingest = newIngestToken(name);
      if (!(await deps.store.setIngestTokenDigest(name, ingest.digestHex))) {
        throw new RegistryNotFoundError(name);
      }
      return json(200, { registry: name, ingestToken: ingest.token });
    },
    { auth: 'admin', store: deps.store },
  );
}

export const handler = makeHandler({ store });
