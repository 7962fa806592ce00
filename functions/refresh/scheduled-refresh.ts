import { refreshDeps } from './deps.ts';
import { makeWorker } from './worker.ts';

/** The refresh worker (worker.ts): every minute, and for POST /registries/{name}/refresh. */
export const handler = makeWorker(refreshDeps);
