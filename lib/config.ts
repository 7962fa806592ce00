/**
 * The refresh's deployment settings, read once at start-up from a plain record (the caller passes
 * `process.env`: lib stays free of I/O). As in limits.ts, an unset or empty variable means the
 * default, and a value that is not valid is a start-up error naming the variable: a typo must not
 * quietly give zero workers or a timeout that fails every source.
 */
import { isIP } from 'node:net';

export interface RefreshConfig {
  /** REFRESH_CONCURRENCY: sources refreshed at the same time by the scheduled refresh. */
  concurrency: number;
  /** REFRESH_TIMEOUT_MS: the whole fetch of one source (secrets, every request, parsing). */
  timeoutMs: number;
  /**
   * REFRESH_RESERVE_MS: no new refresh starts when the invocation has less than this left, so a
   * started refresh can finish and store what it fetched. Default: the timeout plus 5 s.
   */
  reserveMs: number;
  /** REFRESH_BACKOFF_MAX_SECONDS: the longest a failing source waits between attempts. */
  backoffMaxSeconds: number;
  /** SOURCE_DENY_CIDRS: comma-separated CIDRs no source connection may reach. */
  denyCidrs: readonly string[];
  /** STAGE: the deployment stage; source secrets in SSM live under `/aggregate-registry/<stage>/sources/`. */
  stage: string;
}

/**
 * Link-local (IPv4 and IPv6, which hold the instance metadata service and its IPv6 twin) and EC2's
 * IPv6 metadata address. Loopback and private ranges stay allowed: sources live in VPCs.
 */
export const DEFAULT_DENY_CIDRS: readonly string[] = Object.freeze([
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::254/128',
]);

export const DEFAULT_REFRESH_CONFIG: Readonly<Omit<RefreshConfig, 'reserveMs'>> = Object.freeze({
  concurrency: 8,
  timeoutMs: 10_000,
  backoffMaxSeconds: 900,
  denyCidrs: DEFAULT_DENY_CIDRS,
  stage: 'dev',
});

/** The only SSM path source secret references may name: the worker's role reads nothing else. */
export function sourceSecretsSsmPrefix(stage: string): string {
  return `/aggregate-registry/${stage}/sources/`;
}

/** Environment variables a `fromEnv` reference may name; never `AWS_*` nor the API token variables. */
export const SOURCE_SECRET_ENV_PREFIX = 'SOURCE_SECRET_';

const STAGE = /^[A-Za-z0-9-]{1,32}$/;

export function refreshConfigFrom(env: Readonly<Record<string, string | undefined>>): RefreshConfig {
  const concurrency = integer(env, 'REFRESH_CONCURRENCY', DEFAULT_REFRESH_CONFIG.concurrency, 1, 256);
  const timeoutMs = integer(env, 'REFRESH_TIMEOUT_MS', DEFAULT_REFRESH_CONFIG.timeoutMs, 100, 900_000);
  const reserveMs = integer(env, 'REFRESH_RESERVE_MS', timeoutMs + 5_000, 0, 900_000);
  const backoffMaxSeconds = integer(
    env,
    'REFRESH_BACKOFF_MAX_SECONDS',
    DEFAULT_REFRESH_CONFIG.backoffMaxSeconds,
    0,
    86_400,
  );
  return {
    concurrency,
    timeoutMs,
    reserveMs,
    backoffMaxSeconds,
    denyCidrs: denyCidrsFrom(env),
    stage: stageFrom(env),
  };
}

/** STAGE (default `dev`): also what PUT /registries checks secret references against. */
export function stageFrom(env: Readonly<Record<string, string | undefined>>): string {
  const stage = text(env, 'STAGE', DEFAULT_REFRESH_CONFIG.stage);
  if (!STAGE.test(stage))
    throw new Error(`STAGE must be letters, digits and "-" (at most 32), got "${stage}"`);
  return stage;
}

/** SOURCE_DENY_CIDRS parsed and checked; throws naming the variable and the bad entry. */
export function denyCidrsFrom(env: Readonly<Record<string, string | undefined>>): readonly string[] {
  const raw = env.SOURCE_DENY_CIDRS?.trim();
  if (raw === undefined || raw === '') return DEFAULT_DENY_CIDRS;
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!isCidr(entry)) {
      throw new Error(
        `SOURCE_DENY_CIDRS entry "${entry.slice(0, 100)}" is not a CIDR such as 169.254.0.0/16`,
      );
    }
  }
  return entries;
}

export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!match) return false;
  const family = isIP(match[1] ?? '');
  return family !== 0 && Number(match[2]) <= (family === 4 ? 32 : 128);
}

function text(env: Readonly<Record<string, string | undefined>>, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? fallback : raw;
}

function integer(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
