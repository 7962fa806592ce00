import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { badRequest } from '#http/errors.ts';
import { httpHandler, json, limits } from '#http/handler.ts';
import { registryNameParam } from '#http/params.ts';
import { snapshotBodyParser } from '#lib/snapshot-check.ts';
import { store } from '#store/client.ts';
import type { RegistryStore, SnapshotWriteStart } from '#store/port.ts';

/** The hand-written fast path for the common valid body; zod, and its messages, for everything else. */
const parseBody = snapshotBodyParser(limits);

/** PUT /registries/{name}/snapshot: replaces the registry's services (its ingest token, or admin). */
export function makeHandler(deps: { store: RegistryStore }) {
  // The registry's own token is checked against the read the write starts from, so a push costs no
  // read of its own for the token; the read waits here, per request, from the check to the write.
  const starts = new WeakMap<APIGatewayProxyEventV2, SnapshotWriteStart>();
  return httpHandler(
    async (event) => {
      const name = registryNameParam(event);
      const parsed = parseBody(event.body);
      if (!parsed.ok) throw badRequest(parsed.message, 'InvalidBody');
      const { services, generation } = parsed.value;
      // Present only when the registry's token let the request in: the write stands only while it is valid.
      const start = starts.get(event);
      const digest = start?.ingestTokenDigest;
      return json(
        200,
        await deps.store.putSnapshot(name, services, {
          ...(generation === undefined ? {} : { generation }),
          ...(start && digest ? { start, ingestTokenDigest: digest } : {}),
        }),
      );
    },
    {
      auth: 'ingest',
      jsonBody: true,
      ingestDigest: async (registry, event) => {
        // Another registry's token (a 403 either way) is looked up on its own.
        if (registry !== event.pathParameters?.name) return deps.store.getIngestTokenDigest(registry);
        const start = await deps.store.startSnapshotWrite(registry);
        starts.set(event, start);
        return start.ingestTokenDigest;
      },
    },
  );
}

export const handler = makeHandler({ store });
