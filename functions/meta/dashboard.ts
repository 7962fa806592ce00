import { html, scriptHash, styleHash } from './dashboard-page.generated.ts';
import { metaHandler } from './stack.ts';

/**
 * GET /: the dashboard page. It embeds no data (it asks for a token and reads the API like any client),
 * so it needs none; its policy allows only its own inline script and style (by hash) and same-origin
 * API calls.
 */
export const handler = metaHandler(
  async () => ({
    statusCode: 200,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' },
    body: html,
  }),
  {
    contentSecurityPolicy: {
      'default-src': "'none'",
      'script-src': scriptHash,
      'style-src': styleHash,
      'connect-src': "'self'",
      'img-src': 'data:',
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
      'require-trusted-types-for': "'script'",
      // The defaults' sandbox would stop the script, and the page is served over plain http locally.
      sandbox: false,
      'upgrade-insecure-requests': false,
      'report-to': false,
    } as unknown as Record<string, string>,
  },
);
