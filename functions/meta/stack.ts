/**
 * The Middy stack of the routes that need no token and read no table (the OpenAPI description and the
 * dashboard page): header normalisation, compression, CORS and security headers, without the auth and
 * store parts of functions/http/handler.ts.
 */
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { responseCompression } from '#http/compression.ts';

export type MetaResult = APIGatewayProxyStructuredResultV2;

export function metaHandler(
  handler: (event: APIGatewayProxyEventV2) => Promise<MetaResult>,
  securityHeaders: Parameters<typeof httpSecurityHeaders>[0] = {},
) {
  return middy<APIGatewayProxyEventV2, MetaResult>()
    .use(httpHeaderNormalizer())
    .use(responseCompression())
    .use(httpCors({ origins: (process.env.CORS_ORIGINS ?? '*').split(',') }))
    .use(httpSecurityHeaders(securityHeaders))
    .handler(handler);
}
