/**
 * GET /changes?since=<revision>[&wait=0–20]: what changed in the merged view since a revision, per
 * stable id, and the registry status entries that changed. With `since` = the current revision and a
 * `wait`, a bounded long-poll: it reads the current revision every POLL_INTERVAL_MS (one small item)
 * and answers as soon as it moves, or after `wait` seconds with no changes.
 */

import { apiError, badRequest } from '#http/errors.ts';
import { httpHandler } from '#http/handler.ts';
import type { ChangesBody } from '#lib/api-types.ts';
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { compress, responseBytes } from './encoding.ts';
import { diffRegistries, diffServices } from './merge-lib.ts';
import { codingOf, integerParam, orGone, revisionNotReached } from './respond.ts';
import { LAMBDA_RESPONSE_LIMIT } from './view.ts';
import { ViewCache } from './view-cache.ts';

/** 2 reads of the current revision per second per waiting request: an answer within ~0.5 s of a change. */
export const POLL_INTERVAL_MS = 500;
export const MAX_WAIT_SECONDS = 20;
/** Time kept back from the Lambda timeout to build and send the answer. */
const ANSWER_RESERVE_MS = 3_000;
const COMPRESS_FROM_BYTES = 1024;

export function makeHandler(deps: { store: RegistryStore; views?: ViewCache; pollIntervalMs?: number }) {
  const views = deps.views ?? new ViewCache(deps.store);
  const pollMs = deps.pollIntervalMs ?? POLL_INTERVAL_MS;
  return httpHandler(
    async (event, context) => {
      const since = integerParam(event, 'since');
      if (since === undefined) throw badRequest('since (a revision) is required', 'InvalidQuery');
      const wait = integerParam(event, 'wait', { max: MAX_WAIT_SECONDS }) ?? 0;
      let head = await views.head();
      if (since > head.revision) {
        throw revisionNotReached(
          `revision ${since} has not been reached yet (the current revision is ${head.revision})`,
        );
      }
      if (since === head.revision && wait > 0) {
        const budget = Math.min(wait * 1000, context.getRemainingTimeInMillis() - ANSWER_RESERVE_MS);
        const deadline = Date.now() + budget;
        while (head.revision === since && Date.now() < deadline) {
          await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
          head = await views.head();
        }
      }
      let body: ChangesBody;
      if (head.revision === since) {
        body = { from: since, revision: since, changes: [], registries: [] };
      } else {
        const from = await orGone(() => views.build(head.epoch, since, 'all', false));
        const to = await orGone(() => views.build(head.epoch, head.revision, 'all', true));
        body = {
          from: since,
          revision: to.revision,
          changes: diffServices(from.services, to.services),
          registries: diffRegistries(from.registries, to.registries),
        };
      }
      const text = JSON.stringify(body);
      const coding = codingOf(event);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        Vary: 'Accept-Encoding',
      };
      const encoded =
        coding !== 'identity' && text.length >= COMPRESS_FROM_BYTES ? compress(text, coding) : text;
      if (responseBytes(encoded) > LAMBDA_RESPONSE_LIMIT - 8_192) {
        throw apiError(
          410,
          'ChangesTooLarge',
          `the changes since revision ${since} do not fit one response; read GET /services?revision=${body.revision} instead`,
        );
      }
      if (typeof encoded === 'string') return { statusCode: 200, headers, body: encoded };
      headers['Content-Encoding'] = coding;
      return { statusCode: 200, headers, body: encoded.toString('base64'), isBase64Encoded: true };
    },
    { auth: 'read', store: deps.store, compress: false },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const handler = makeHandler({ store });
