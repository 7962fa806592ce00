/** What both refresh functions need, built once per function instance. */
import { limits } from '#http/handler.ts';
import { store } from '#store/client.ts';
import type { RefreshDeps } from './refresh.ts';
import { lambdaSecretResolver } from './secret-resolver.ts';

export const refreshDeps: RefreshDeps = {
  store,
  resolveSecret: lambdaSecretResolver(process.env),
  limits,
  timeoutMs: Number(process.env.REFRESH_TIMEOUT_MS ?? 10_000),
};
