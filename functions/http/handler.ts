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
import { decodeBody } from './body.ts';
import { INTERNAL_ERROR_BODY, toApiError } from './errors.ts';
import { logger } from './logger.ts';

export type HttpEvent = APIGatewayProxyEventV2 & { body?: unknown };
export type HttpResult = APIGatewayProxyStructuredResultV2;

export const limits = limitsFrom(process.env);

export function httpHandler(
  handler: (event: HttpEvent, context: Context) => Promise<HttpResult>,
  options: { jsonBody?: boolean } = {},
) {
  const stack = middy<HttpEvent, HttpResult>()
    .use(httpHeaderNormalizer())
    .use(
      httpContentNegotiation({
        parseCharsets: false,
        parseLanguages: false,
        parseMediaTypes: false,
        availableEncodings: ['br', 'gzip', 'deflate', 'identity'],
        failOnMismatch: false,
      }),
    )
    .use(httpContentEncoding())
    .use(httpCors({ origins: (process.env.CORS_ORIGINS ?? '*').split(','), exposeHeaders: 'ETag' }))
    .use(httpSecurityHeaders())
    .use(
      httpErrorHandler({
        fallbackMessage: INTERNAL_ERROR_BODY,
        logger: (error) => logger.error('request failed', { error: error as Error }),
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
