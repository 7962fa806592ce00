/**
 * The Middy stack every HTTP function shares: the Lambda context in every log line, metrics, a request
 * log line, header normalisation, body decoding and JSON parsing (routes with a body), CORS, security
 * headers, response compression, and our JSON error shape for every error.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { limitsFrom } from '#lib/limits.ts';
import { authorize, type IngestDigestLookup, type Principal, type Scope } from './auth.ts';
import { jsonBody } from './body.ts';
import { responseCompression } from './compression.ts';
import { type ApiError, INTERNAL_ERROR, toApiError } from './errors.ts';
import { logger } from './logger.ts';
import { MetricUnit, metrics, publishMetrics } from './metrics.ts';

export type HttpEvent = APIGatewayProxyEventV2 & { body?: unknown };
export type HttpResult = APIGatewayProxyStructuredResultV2;

export const limits = limitsFrom(process.env);

interface HandlerOptions {
  /** Who may call the route; checked before anything else is read. */
  auth: Scope;
  jsonBody?: boolean;
  /**
   * false: the route negotiates and compresses its own bodies (the merged-view routes keep compressed
   * bytes per view), so the per-response compression middleware is left out.
   */
  compress?: boolean;
  /** Where ingest-token digests are looked up (the route's store); defaults to the deployment's store. */
  store?: { getIngestTokenDigest(name: string): Promise<string | null> };
  /** Instead of `store`: a route's own lookup (the snapshot route checks the token on its write's read). */
  ingestDigest?: IngestDigestLookup;
}

export function httpHandler(
  handler: (event: HttpEvent, context: Context) => Promise<HttpResult>,
  options: HandlerOptions,
) {
  const stack = middy<HttpEvent, HttpResult, Error, Context & { principal?: Principal }>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(publishMetrics())
    .use(requestLog())
    .use(httpHeaderNormalizer());
  if (options.compress !== false) {
    stack.use(responseCompression());
  }
  stack
    .use(
      httpCors({
        origins: corsOrigins,
        headers: CORS_HEADERS,
        methods: CORS_METHODS,
        exposeHeaders: 'ETag',
        maxAge: CORS_MAX_AGE,
      }),
    )
    .use(httpSecurityHeaders())
    .use(errorResponse());
  const store = options.store;
  stack.use(
    authorize(
      options.auth,
      options.ingestDigest ?? (store ? (name) => store.getIngestTokenDigest(name) : undefined),
    ),
  );
  if (options.jsonBody) stack.use(jsonBody({ maxBytes: limits.maxBodyBytes }));
  return stack.handler(handler);
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

export function noContent(headers: Record<string, string> = {}): HttpResult {
  return { statusCode: 204, headers };
}

// The same as API Gateway's CORS configuration in serverless.yml (provider.httpApi.cors).
const CORS_HEADERS = 'authorization,content-type,content-encoding,if-none-match';
const CORS_METHODS = 'GET,PUT,POST,DELETE';
const CORS_MAX_AGE = 600;

/** The origins CORS allows (`CORS_ORIGINS`, comma-separated; serverless.yml configures API Gateway's from the same). */
const corsOrigins = (process.env.CORS_ORIGINS || '*').split(',').map((origin) => origin.trim());

/**
 * Every error becomes our JSON body: an ApiError as it is, a domain error through `toApiError`, anything
 * else a logged 500 `Internal` that says nothing more. Runs first on error (Middy runs onError in
 * reverse), so CORS, security headers and compression still apply to the answer.
 */
function errorResponse(): middy.MiddlewareObj<HttpEvent, HttpResult, Error, Context> {
  return {
    onError: (request) => {
      const error = request.error;
      let answer: ApiError | undefined = toApiError(error);
      if (answer === undefined || answer.status >= 500) {
        // Ours (a bug, a denied AWS call) or the store's outage: logged with the error, never sent.
        logger.error('request failed', {
          ...(answer ? { code: answer.code } : {}),
          error: error as Error,
        });
        metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
        answer ??= INTERNAL_ERROR;
      }
      request.response = json(answer.status, answer, { ...answer.headers });
    },
  };
}

/** One structured line per request, with the principal (never the token). */
function requestLog(): middy.MiddlewareObj<
  HttpEvent,
  HttpResult,
  Error,
  Context & { principal?: Principal }
> {
  const started = new WeakMap<object, number>();
  const write = (
    request: middy.Request<HttpEvent, HttpResult, Error, Context & { principal?: Principal }>,
  ) => {
    logger.info('request', {
      method: request.event.requestContext?.http?.method,
      route: request.event.routeKey,
      status: request.response?.statusCode,
      principal: request.context.principal ?? 'anonymous',
      durationMs: Date.now() - (started.get(request.event) ?? Date.now()),
    });
  };
  return {
    before: (request) => {
      started.set(request.event, Date.now());
    },
    after: write,
    onError: write,
  };
}
