/**
 * Validation schemas for a registry's `source`: where the scheduled refresh pulls services from.
 * Pure data: no I/O. Secrets are never stored inline, only as references resolved at refresh time.
 */
import { z } from 'zod';
import { SOURCE_SECRET_ENV_PREFIX, sourceSecretsSsmPrefix } from './config.ts';
import { DNS_LABEL } from './names.ts';
import {
  DEFAULT_MAX_AGE_FACTOR,
  DEFAULT_REFRESH_SECONDS,
  MAX_REFRESH_SECONDS,
  MIN_REFRESH_SECONDS,
  type RefreshSettings,
} from './refresh-settings.ts';

export {
  DEFAULT_MAX_AGE_FACTOR,
  DEFAULT_REFRESH_SECONDS,
  MAX_REFRESH_SECONDS,
  MIN_REFRESH_SECONDS,
  type RefreshSettings,
  resolveRefreshSettings,
} from './refresh-settings.ts';
export { HIDDEN_HEADER_VALUE, sourceView } from './source-view.ts';

/**
 * An environment variable a source secret may come from: `SOURCE_SECRET_*` only, so a reference can
 * never name the function's own AWS credentials or the API tokens.
 */
const ENV_NAME = new RegExp(`^${SOURCE_SECRET_ENV_PREFIX}[A-Z0-9_]{1,200}$`);
/** An SSM parameter name with its path, e.g. `/aggregate-registry/prod/sources/consul-token`. */
const SSM_NAME = /^(\/[A-Za-z0-9_.-]+)+$/;
/** A DNS name without wildcard or trailing dot, e.g. `cluster.local`. */
const DNS_NAME =
  /^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Consul datacenter names: letters, digits, '-' and '_'. */
const DATACENTER = /^[A-Za-z0-9][-A-Za-z0-9_]*$/;
/** Headers the HTTP client owns; setting them from config would break or smuggle requests. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
]);
/**
 * Headers that carry credentials: their values are stored and shown, so they must be secret
 * references. A list for the common ones, and a pattern for the many vendor spellings
 * (`X-Auth-Token`, `X-Vault-Token`, `Private-Token`, `X-Goog-Api-Key`...).
 */
const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'api-key',
  'x-consul-token',
]);
const CREDENTIAL_HEADER_PATTERN = /auth|token|key|secret|passw|cookie|session|credential|signature/i;

export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) || CREDENTIAL_HEADER_PATTERN.test(name);
}

/**
 * Bounds that keep a registry item far below DynamoDB's 400 KB: the largest source is about 100 KB
 * (caData 64 KiB, headers 16 KiB, three URLs, 100 namespaces).
 */
export const MAX_CA_DATA_CHARS = 64 * 1024;
export const MAX_HEADERS_BYTES = 16 * 1024;
export const MAX_HEADERS = 32;

const SECRET_REF_MESSAGE =
  'must be a secret reference: {"fromEnv": "SOURCE_SECRET_NAME"} or {"fromSsm": "/aggregate-registry/<stage>/sources/name"}';

/** Where secret references may point; the stage comes from the deployment (lib/config.ts). */
export interface SecretRules {
  /** `/aggregate-registry/<stage>/sources/`: the only SSM path the refresh worker may read. */
  ssmPrefix: string;
}

export function secretRulesFor(stage: string): SecretRules {
  return { ssmPrefix: sourceSecretsSsmPrefix(stage) };
}

/**
 * The shape of a reference. Where an SSM reference may point depends on the stage, so the rule is
 * applied by `sourceSchemaFor`; the resolver checks both rules again (`secretRefProblem`).
 */
export const secretRef = z.union(
  [
    z.strictObject({
      fromEnv: z
        .string()
        .regex(
          ENV_NAME,
          `must be an environment variable named ${SOURCE_SECRET_ENV_PREFIX}* (upper case, digits, "_")`,
        ),
    }),
    z.strictObject({
      fromSsm: z
        .string()
        .max(1011)
        .regex(SSM_NAME, 'must be an SSM parameter path such as "/aggregate-registry/prod/sources/token"'),
    }),
  ],
  { error: SECRET_REF_MESSAGE },
);
export type SecretRef = z.infer<typeof secretRef>;

/** Why a reference may not be resolved under `rules`, or undefined when it may. */
export function secretRefProblem(ref: SecretRef, rules: SecretRules): string | undefined {
  if ('fromEnv' in ref) {
    return ENV_NAME.test(ref.fromEnv)
      ? undefined
      : `must be an environment variable named ${SOURCE_SECRET_ENV_PREFIX}*`;
  }
  if (!ref.fromSsm.startsWith(rules.ssmPrefix) || ref.fromSsm.length === rules.ssmPrefix.length) {
    return `must be an SSM parameter under ${rules.ssmPrefix}`;
  }
  if (ref.fromSsm.split('/').some((part) => part === '.' || part === '..')) {
    return 'must not contain "." or ".." path segments';
  }
  return undefined;
}

function isSecretRef(value: unknown): value is SecretRef {
  return value !== null && typeof value === 'object' && ('fromEnv' in value || 'fromSsm' in value);
}

/**
 * An http(s) URL without user info: credentials belong in a secret reference, not in a URL that
 * is stored and shown in plain text.
 */
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2048)
  .refine((value) => {
    const url = URL.parse(value);
    return url !== null && url.username === '' && url.password === '';
  }, 'must not contain a user name or password (use a secret reference)');

const dnsName = z.string().max(253).regex(DNS_NAME, 'must be a DNS name such as "cluster.local"');

/** Plain header values are for non-secret headers; credential-bearing ones must be references. */
const headerValue = z.union(
  [
    z
      .string()
      .max(4096)
      .regex(/^[^\r\n\0]*$/, 'must not contain line breaks'),
    secretRef,
  ],
  {
    error:
      'must be a string or a secret reference ({"fromEnv": "SOURCE_SECRET_NAME"} or {"fromSsm": "/aggregate-registry/<stage>/sources/name"})',
  },
);

const headers = z
  .record(z.string().max(256).regex(HEADER_NAME, 'is not a valid header name'), headerValue)
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    const names = Object.keys(value);
    if (names.length > MAX_HEADERS)
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} headers` });
    if (Buffer.byteLength(JSON.stringify(value)) > MAX_HEADERS_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_HEADERS_BYTES} bytes in all` });
    }
    for (const name of names) {
      const lower = name.toLowerCase();
      if (isCredentialHeader(name) && typeof value[name] === 'string') {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'carries credentials and must be a secret reference, not a plain value',
        });
      }
      if (RESERVED_HEADERS.has(lower)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is set by the client and cannot be configured',
        });
      }
      if (seen.has(lower)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is given twice (header names ignore case)' });
      }
      seen.add(lower);
    }
  });

/** base64 of PEM text, as `certificate-authority-data` in a kubeconfig. */
const caData = z
  .string()
  .max(MAX_CA_DATA_CHARS)
  .refine((value) => {
    try {
      return atob(value.replace(/\s+/g, '')).includes('-----BEGIN CERTIFICATE-----');
    } catch {
      return false;
    }
  }, 'must be base64 of PEM CA certificates (like certificate-authority-data in a kubeconfig)');

export const httpSourceSchema = z.strictObject({
  type: z.literal('http'),
  url: httpUrl,
  headers: headers.exactOptional(),
});

export const kubernetesSourceSchema = z.strictObject({
  type: z.literal('kubernetes'),
  server: httpUrl,
  token: secretRef.exactOptional(),
  caData: caData.exactOptional(),
  namespaces: z
    .array(z.string().regex(DNS_LABEL, 'must be a namespace name (a DNS label)'))
    .min(1)
    .max(100)
    .refine((list) => new Set(list).size === list.length, 'must not repeat a namespace')
    .exactOptional(),
  clusterDomain: dnsName.exactOptional(),
});

export const consulSourceSchema = z.strictObject({
  type: z.literal('consul'),
  address: httpUrl,
  datacenter: z
    .string()
    .max(64)
    .regex(DATACENTER, 'must be a Consul datacenter name (letters, digits, "-", "_")')
    .exactOptional(),
  token: secretRef.exactOptional(),
  domain: dnsName.exactOptional(),
});

export const sourceSchema = z.discriminatedUnion('type', [
  httpSourceSchema,
  kubernetesSourceSchema,
  consulSourceSchema,
]);

export type Source = z.infer<typeof sourceSchema>;

/** `sourceSchema` with the deployment's rule for where secret references may point. */
export function sourceSchemaFor(rules: SecretRules) {
  return sourceSchema.superRefine((source, ctx) => checkSecretRefs(source, rules, ctx));
}

/** Adds an issue at every secret reference of `source` that `rules` forbid. */
export function checkSecretRefs(
  source: Source,
  rules: SecretRules,
  ctx: z.RefinementCtx,
  at: PropertyKey[] = [],
) {
  const visit = (value: unknown, path: PropertyKey[]) => {
    if (isSecretRef(value)) {
      const problem = secretRefProblem(value, rules);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [...at, ...path], message: problem });
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) visit(inner, [...path, key]);
    }
  };
  visit(source, []);
}
export type HttpSource = z.infer<typeof httpSourceSchema>;
export type KubernetesSource = z.infer<typeof kubernetesSourceSchema>;
export type ConsulSource = z.infer<typeof consulSourceSchema>;

/**
 * Per-registry refresh fields. The plain shape is exported too, so a registry schema can spread it
 * into its own object (zod does not allow `.extend()` on a refined schema); re-apply
 * `checkRefreshSettings` there.
 */
export const refreshSettingsShape = {
  refreshSeconds: z.int().min(MIN_REFRESH_SECONDS).max(MAX_REFRESH_SECONDS).exactOptional(),
  maxAgeSeconds: z
    .int()
    .min(MIN_REFRESH_SECONDS)
    .max(DEFAULT_MAX_AGE_FACTOR * MAX_REFRESH_SECONDS)
    .exactOptional(),
};

/** A snapshot may not expire before the next refresh could replace it. */
export function checkRefreshSettings(value: RefreshSettings, ctx: z.RefinementCtx): void {
  const refreshSeconds = value.refreshSeconds ?? DEFAULT_REFRESH_SECONDS;
  if (value.maxAgeSeconds !== undefined && value.maxAgeSeconds < refreshSeconds) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxAgeSeconds'],
      message: `must be at least refreshSeconds (${refreshSeconds})`,
    });
  }
}

export const refreshSettingsSchema = z.strictObject(refreshSettingsShape).superRefine(checkRefreshSettings);

// Keep the inferred type and the hand-written interface in step.
type Assignable<A extends B, B> = A;
export type _RefreshSettingsInSync = Assignable<z.infer<typeof refreshSettingsSchema>, RefreshSettings>;
