/**
 * GET /health, for load balancers and uptime checks: no token, 200 `{"status":"ok"}` when the table
 * answers one small read (the current revision), 503 `{"status":"unavailable"}` otherwise. It names no
 * registry and no error detail (the error is logged).
 */
import { store } from '#store/client.ts';
import type { RegistryStore } from '#store/port.ts';
import { httpHandler, json } from './handler.ts';
import { logger } from './logger.ts';

export function makeHandler(deps: { store: Pick<RegistryStore, 'currentRevision'> }) {
  return httpHandler(
    async () => {
      try {
        await deps.store.currentRevision();
        return json(200, { status: 'ok' }, { 'Cache-Control': 'no-store' });
      } catch (error) {
        logger.error('health check failed', { error: error as Error });
        return json(503, { status: 'unavailable' }, { 'Cache-Control': 'no-store', 'Retry-After': '1' });
      }
    },
    { auth: 'none' },
  );
}

export const handler = makeHandler({ store });
