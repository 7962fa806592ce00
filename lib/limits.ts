/** Input limits a real registry fits in; configurable per deployment (see README, "Limits"). */
export interface Limits {
  /** Bytes of request body after gzip inflation. */
  maxBodyBytes: number;
  maxServicesPerSnapshot: number;
  maxEndpointsPerService: number;
  maxPortsPerService: number;
  maxLabels: number;
  maxServiceAccounts: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 32 * 1024 * 1024,
  maxServicesPerSnapshot: 20_000,
  // A 2,600-pod Service with 2 ports is 5,200 endpoints; 20,000 leaves room for large real clusters.
  maxEndpointsPerService: 20_000,
  maxPortsPerService: 128,
  maxLabels: 64,
  maxServiceAccounts: 64,
});

const ENV_NAMES: Record<keyof Limits, string> = {
  maxBodyBytes: 'LIMIT_BODY_BYTES',
  maxServicesPerSnapshot: 'LIMIT_SERVICES_PER_SNAPSHOT',
  maxEndpointsPerService: 'LIMIT_ENDPOINTS_PER_SERVICE',
  maxPortsPerService: 'LIMIT_PORTS_PER_SERVICE',
  maxLabels: 'LIMIT_LABELS',
  maxServiceAccounts: 'LIMIT_SERVICE_ACCOUNTS',
};

/** Reads overrides from a plain record (the caller passes process.env): lib stays free of I/O. */
export function limitsFrom(env: Record<string, string | undefined>): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(ENV_NAMES) as (keyof Limits)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`${ENV_NAMES[key]} must be a positive integer, got "${raw}"`);
    }
    limits[key] = value;
  }
  return limits;
}

export function limitEnvName(key: keyof Limits): string {
  return ENV_NAMES[key];
}
