import { badRequest } from '#http/errors.ts';
import { httpHandler, json, limits } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { parseWith, snapshotBodySchema } from '#lib/schemas.ts';
import { store } from '#store/client.ts';

const schema = snapshotBodySchema(limits);

export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    const parsed = parseWith(schema, event.body);
    if (!parsed.ok) throw badRequest(parsed.message, 'InvalidBody');
    const { services, generation } = parsed.value;
    return json(200, await store.putSnapshot(name, services, generation === undefined ? {} : { generation }));
  },
  { auth: 'ingest', jsonBody: true },
);
