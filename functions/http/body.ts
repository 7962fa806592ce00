/**
 * Request body decoding before JSON parsing: base64 (API Gateway's binary bodies) and
 * `Content-Encoding: gzip`, with a limit on the inflated size, so a gzip bomb is a 413, not an OOM.
 */
import { gunzipSync } from 'node:zlib';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiError } from './errors.ts';

export function decodeBody(options: { maxBytes: number }): MiddlewareObj<APIGatewayProxyEventV2> {
  const tooLarge = () =>
    apiError(413, 'PayloadTooLarge', `the body is larger than ${options.maxBytes} bytes`);
  return {
    before: ({ event }) => {
      if (event.body === undefined || event.body === null) return;
      let raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
      const encoding = (event.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (encoding === 'gzip') {
        try {
          raw = gunzipSync(raw, { maxOutputLength: options.maxBytes });
        } catch (error) {
          if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
          throw apiError(400, 'InvalidEncoding', 'the body is not valid gzip');
        }
      } else if (encoding !== 'identity') {
        throw apiError(415, 'UnsupportedContentEncoding', 'Content-Encoding must be gzip or identity');
      }
      if (raw.length > options.maxBytes) throw tooLarge();
      event.body = raw.toString('utf8');
      event.isBase64Encoded = false;
      delete event.headers['content-encoding'];
    },
  };
}
