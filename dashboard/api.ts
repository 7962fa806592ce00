/** Same-origin calls to the API with the token the user entered; ETag-aware for polling. */
export interface ApiFailure {
  status: number;
  code: string;
  message: string;
}

export type Answer<T> = { ok: true; body: T; etag: string | null } | { ok: false; failure: ApiFailure };

export async function getJson<T>(
  path: string,
  token: string,
  etag?: string,
): Promise<Answer<T> | 'unchanged'> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (etag) headers['if-none-match'] = etag;
  let response: Response;
  try {
    response = await fetch(path, { headers, cache: 'no-store' });
  } catch {
    return { ok: false, failure: { status: 0, code: 'Network', message: 'the API cannot be reached' } };
  }
  if (response.status === 304) return 'unchanged';
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, body: body as T, etag: response.headers.get('etag') };
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    ok: false,
    failure: {
      status: response.status,
      // A route this deployment does not serve answers without our error body.
      code: typeof error?.code === 'string' ? error.code : 'NotServed',
      message: typeof error?.message === 'string' ? error.message : response.statusText,
    },
  };
}

export function describeFailure(failure: ApiFailure): string {
  if (failure.status === 401) return 'The token is missing or wrong.';
  if (failure.status === 403) return 'This token may not read the merged view (use a reader or admin token).';
  return `${failure.code}: ${failure.message}`;
}
