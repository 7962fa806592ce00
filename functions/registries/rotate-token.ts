import { httpHandler, json } from '#http/handler.ts';
import { newIngestToken } from '#http/ingest-token.ts';
import { registryNameParam } from '#http/params.ts';
import { store } from '#store/client.ts';
import { RegistryNotFoundError } from '#store/errors.ts';

/** POST /registries/{name}/token: a new ingest token, shown once; the old one stops working at once. */
export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    const ingest = newIngestToken(name);
    if (!(await store.setIngestTokenDigest(name, ingest.digestHex))) {
      throw new RegistryNotFoundError(name);
    }
    return json(200, { registry: name, ingestToken: ingest.token });
  },
  { auth: 'admin' },
);
