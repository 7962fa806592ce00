/**
 * Response compression as the Middy routes do it: the encoding negotiated from Accept-Encoding (never
 * failing: identity is always acceptable), then applied. Shared by the API stack and the meta stack.
 * The query routes compress once per view instead (functions/query/encoding.ts).
 */
import httpContentEncoding from '@middy/http-content-encoding';
import httpContentNegotiation from '@middy/http-content-negotiation';

export function responseCompression() {
  return [
    httpContentNegotiation({
      parseCharsets: false,
      parseLanguages: false,
      parseMediaTypes: false,
      availableEncodings: ['br', 'gzip', 'deflate', 'identity'],
      failOnMismatch: false,
    }),
    httpContentEncoding(),
  ];
}
