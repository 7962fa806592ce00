import { badRequest } from '#http/errors.ts';
import { httpHandler, json } from '#http/handler.ts';
import { newIngestToken } from '#http/ingest-token.ts';
import { registryNameParam } from '#http/params.ts';
import { stageFrom } from '#lib/config.ts';
import { registryBodySchemaFor } from '#lib/registry-schema.ts';
import { parseWith } from '#lib/schemas.ts';
import { secretRulesFor } from '#lib/source-schema.ts';
import { store } from '#store/client.ts';
import type { RegistrySettings } from '#store/port.ts';
import { registryView } from './registry-view.ts';

// Secret references may only point under this stage's /aggregate-registry/<stage>/sources/.
const registryBodySchema = registryBodySchemaFor(secretRulesFor(stageFrom(process.env)));

export const handler = httpHandler(
  async (event) => {
    const name = registryNameParam(event);
    const parsed = parseWith(registryBodySchema, event.body);
    if (!parsed.ok) throw badRequest(parsed.message, 'InvalidBody');
    const { clusterId, ...rest } = parsed.value;
    // An empty clusterId means "no cluster", as in Istio: store it as absent.
    const settings: RegistrySettings = { ...rest, ...(clusterId ? { clusterId } : {}) };
    const ingest = newIngestToken(name);
    const { record, created } = await store.putRegistry(name, settings, {
      ingestTokenDigest: ingest.digestHex,
    });
    // The ingest token is shown once, at creation; only its digest is stored.
    if (created) return json(201, { ...registryView(record), ingestToken: ingest.token });
    return json(200, registryView(record));
  },
  { auth: 'admin', jsonBody: true },
);
