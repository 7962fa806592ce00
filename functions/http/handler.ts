/**
 * The Middy stack every HTTP function shares: header normalisation, body decoding and JSON parsing
 * (routes with a body), CORS, security headers, response compression, and our JSON error shape.
 */
import middy from '@middy/core';
import httpContentEncoding from '@middy/http-content-encoding';
import httpContentNegotiation from '@middy/http-content-negotiation';
import httpCors from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { limitsFrom } from '#lib/limits.ts';
import { authorize, type Principal, type Scope } from './auth.ts';
import { decodeBody } from './body.ts';
import { INTERNAL_ERROR_BODY, toApiError } from './errors.ts';
import { logger } from './logger.ts';

export type HttpEvent = APIGatewayProxyEventV2 & { body?: unknown };
export type HttpResult = APIGatewayProxyStructuredResultV2;

export const limits = limitsFrom(process.env);

export interface HandlerOptions {
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
}

export function httpHandler(
  handler: (event: HttpEvent, context: Context) => Promise<HttpResult>,
  options: HandlerOptions,
) {
  const stack = middy<HttpEvent, HttpResult, Error, Context & { principal?: Principal }>()
    .use(requestLog())
    .use(httpHeaderNormalizer());
  if (options.compress !== false) {
    stack
      .use(
        httpContentNegotiation({
          parseCharsets: false,
          parseLanguages: false,
          parseMediaTypes: false,
          availableEncodings: ['br', 'gzip', 'deflate', 'identity'],
          failOnMismatch: false,
        }),
      )
      .use(httpContentEncoding());
  }
  stack
    .use(httpCors({ origins: (process.env.CORS_ORIGINS ?? '*').split(','), exposeHeaders: 'ETag' }))
    .use(httpSecurityHeaders())
    .use(
      httpErrorHandler({
        fallbackMessage: INTERNAL_ERROR_BODY,
        // Client errors are in the request log line already; only our own faults are errors.
        logger: (error) => {
          const status = (error as { statusCode?: number }).statusCode ?? 500;
          if (status >= 500) logger.error('request failed', { error: error as Error });
        },
      }),
    )
    .use({
      // Runs first on error (Middy runs onError in reverse): shapes every known error as our JSON body.
      onError: (request) => {
        const original = request.error;
        const mapped = toApiError(original);
        if (!mapped) return;
        if (mapped.status >= 500)
          logger.warn('request failed', { code: mapped.code, cause: String(original) });
        request.error = mapped;
      },
    });
  const store = options.store;
  stack.use(authorize(options.auth, store ? (name) => store.getIngestTokenDigest(name) : undefined));
  if (options.jsonBody) stack.use(decodeBody({ maxBytes: limits.maxBodyBytes })).use(httpJsonBodyParser());
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
