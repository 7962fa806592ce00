/**
 * One place maps errors to HTTP: typed errors inside, `ApiError` at the edge, whose JSON is the body
 * `{"error":{"code","message"}}`. Messages are ours, never an Error's stack or an SDK's text.
 */
import {
  GenerationLimitError,
  IngestTokenChangedError,
  RegistryNotFoundError,
  RevisionExpiredError,
  RevisionNotFoundError,
  SettingsTooLargeError,
  StaleGenerationError,
  StoreUnavailableError,
} from '#store/errors.ts';

/** An answer to a client: status, a stable code, a message for people, and extra headers. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  /** Middy's and API Gateway's name for the status. */
  get statusCode(): number {
    return this.status;
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function apiError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): ApiError {
  return new ApiError(status, code, message, headers);
}

export const badRequest = (message: string, code = 'InvalidRequest') => apiError(400, code, message);
export const notFound = (message: string, code = 'NotFound') => apiError(404, code, message);
/** A missing or unknown token: the one answer for both, so it tells nothing about what exists. */
export const unauthorized = () =>
  apiError(401, 'Unauthorized', 'a valid token is required (Authorization: Bearer <token>)', {
    'WWW-Authenticate': 'Bearer',
  });

/** Codes for the 4xx errors Middy's own middlewares throw (router, content negotiation). */
const GENERIC_CODES: Record<number, string> = {
  400: 'InvalidRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
};

const RETRY = { 'Retry-After': '1' };

/** Turns any error into an ApiError, or undefined for a fault of ours (answered as a logged 500). */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof RegistryNotFoundError) return notFound(error.message, 'RegistryNotFound');
  // Rotated while the push was under way: the token was checked, but is no longer valid.
  if (error instanceof IngestTokenChangedError) return unauthorized();
  if (error instanceof StaleGenerationError) return apiError(409, 'StaleGeneration', error.message);
  if (error instanceof GenerationLimitError) return apiError(409, 'GenerationLimit', error.message);
  if (error instanceof SettingsTooLargeError) return apiError(413, 'PayloadTooLarge', error.message);
  if (error instanceof RevisionNotFoundError) return notFound(error.message, 'RevisionNotFound');
  if (error instanceof RevisionExpiredError) return apiError(410, 'RevisionExpired', error.message);
  if (error instanceof StoreUnavailableError) return apiError(503, 'StoreUnavailable', error.message, RETRY);
  // Errors thrown by Middy's own middlewares: an `expose`d status below 500.
  const { statusCode, expose, message } = (error ?? {}) as {
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500 || expose === false) {
    return undefined;
  }
  return apiError(
    statusCode,
    GENERIC_CODES[statusCode] ?? 'InvalidRequest',
    typeof message === 'string' ? message : 'invalid request',
  );
}

/** What a fault of ours answers: no detail, the error itself is logged. */
export const INTERNAL_ERROR = new ApiError(500, 'Internal', 'internal error; it has been logged');
