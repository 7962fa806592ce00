/**
 * What the refresh worker needs, built once per function instance. Not the HTTP stack: the worker's
 * bundle has no Middy, no auth, and its role reads no API token.
 */
import { logger } from '#http/logger.ts';
import { refreshConfigFrom } from '#lib/config.ts';
import { limitsFrom } from '#lib/limits.ts';
import { secretRulesFor } from '#lib/source-schema.ts';
import { store } from '#store/client.ts';
import type { ScheduleDeps } from './refresh.ts';
import { workerSecretResolver } from './secret-resolver.ts';
import type { WorkerLog } from './worker.ts';

// A bad REFRESH_* or SOURCE_DENY_CIDRS value fails the start-up, naming the variable.
const config = refreshConfigFrom(process.env);
const secretRules = secretRulesFor(config.stage);

export const refreshDeps: ScheduleDeps & { log: WorkerLog } = {
  store,
  resolveSecret: workerSecretResolver(process.env, secretRules),
  secretRules,
  limits: limitsFrom(process.env),
  timeoutMs: config.timeoutMs,
  denyCidrs: config.denyCidrs,
  concurrency: config.concurrency,
  reserveMs: config.reserveMs,
  backoffMaxSeconds: config.backoffMaxSeconds,
  log: logger,
};
