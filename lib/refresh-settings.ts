/**
 * A registry's refresh period and maximum age, with their defaults and bounds: plain values, so that
 * the freshness rules (which every read of the view applies) do not load the source schemas. The
 * schemas validating these fields are in source-schema.ts.
 */

export const DEFAULT_REFRESH_SECONDS = 60;
export const MIN_REFRESH_SECONDS = 10;
export const MAX_REFRESH_SECONDS = 86_400;
/** maxAgeSeconds defaults to this many refresh periods. */
export const DEFAULT_MAX_AGE_FACTOR = 3;

export interface RefreshSettings {
  refreshSeconds?: number;
  maxAgeSeconds?: number;
}

/** Fill in the defaults: refresh every 60 s, data is stale after 3 refresh periods. */
export function resolveRefreshSettings(value: RefreshSettings): Required<RefreshSettings> {
  const refreshSeconds = value.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  return { refreshSeconds, maxAgeSeconds: value.maxAgeSeconds ?? DEFAULT_MAX_AGE_FACTOR * refreshSeconds };
}
