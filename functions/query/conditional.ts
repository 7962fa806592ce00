import type { HttpEvent } from '#http/handler.ts';

/** RFC 9110 If-None-Match: a list of entity tags or "*", weak comparison. */
export function notModified(event: HttpEvent, etag: string): boolean {
  const header = event.headers['if-none-match'];
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => strip(tag) === strip(etag));
}
