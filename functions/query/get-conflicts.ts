/** GET /conflicts[?hostname=]: the current view's conflicts, grouped per hostname and field. */

import { badRequest } from '#http/errors.ts';
import { httpHandler } from '#http/handler.ts';
import type { ConflictsBody } from '#lib/api-types.ts';
import { parseHostname } from '#lib/names.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { compress } from './encoding.ts';
import { groupConflicts } from './merge-lib.ts';
import { codingOf, encodedResponse } from './respond.ts';
import { ViewCache } from './view-cache.ts';

const COMPRESS_FROM_BYTES = 1024;

export function makeHandler(deps: { store: RegistryStore; views?: ViewCache }) {
  const views = deps.views ?? new ViewCache(deps.store);
  return httpHandler(
    async (event) => {
      const raw = event.queryStringParameters?.hostname;
      let hostname: string | undefined;
      if (raw !== undefined) {
        hostname = parseHostname(raw);
        if (hostname === undefined)
          throw badRequest('hostname must be a DNS name of at most 253 characters', 'InvalidHostname');
      }
      const view = await views.current('all');
      const body: ConflictsBody = {
        revision: view.revision,
        conflicts: groupConflicts(
          hostname === undefined
            ? view.aggregate.conflicts
            : view.aggregate.conflicts.filter((conflict) => conflict.hostname === hostname),
        ),
      };
      const text = JSON.stringify(body);
      const coding = codingOf(event);
      const page =
        coding === 'identity' || text.length < COMPRESS_FROM_BYTES
          ? { body: text, coding: 'identity' as const }
          : { body: compress(text, coding), coding };
      const etag = `${view.etag.slice(0, -1)}-c${hostname ? `-${hostname}` : ''}"`;
      return encodedResponse(event, etag, page);
    },
    { auth: 'read', store: deps.store, compress: false },
  );
}

export const handler = makeHandler({ store });
