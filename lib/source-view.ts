/**
 * A source as GET /registries shows it: header names and secret references, never a header's plain
 * value (it may be a credential stored before credential headers had to be references). Apart from
 * the source schemas (types only from there), so the read routes do not load the schema library.
 */
import type { HttpSource, Source } from './source-schema.ts';

/** What readers see of a plain header value: never the value itself. */
export const HIDDEN_HEADER_VALUE = '[hidden]';

export function sourceView(source: Source): Source {
  if (source.type !== 'http' || source.headers === undefined) return source;
  const headers: NonNullable<HttpSource['headers']> = {};
  for (const [name, value] of Object.entries(source.headers)) {
    headers[name] = typeof value === 'string' ? HIDDEN_HEADER_VALUE : value;
  }
  return { ...source, headers };
}
