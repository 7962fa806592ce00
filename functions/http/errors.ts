/**
 * One place maps errors to HTTP: typed errors inside, `{"error":{"code","message"}}` at the edge.
 * Messages are ours, never an Error's stack or an SDK's text.
 */
import createError, { type HttpError, isHttpError } from 'http-errors';
import {
  GenerationLimitError,
  RegistryNotFoundError,
  SettingsTooLargeError,
  StaleGenerationError,
  StoreUnavailableError,
} from '#store/errors.ts';

export interface ApiError extends HttpError {
  code: string;
}

export function apiError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): ApiError {
  const error = createError(status, JSON.stringify({ error: { code, message } }), {
    code,
    expose: true,
    ...(headers ? { headers } : {}),
  }) as ApiError;
  return error;
}

export const badRequest = (message: string, code = 'InvalidRequest') => apiError(400, code, message);
export const notFound = (message: string, code = 'NotFound') => apiError(404, code, message);

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

/** Turns any error into an ApiError, or undefined for a fault of ours (answered as a plain 500). */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof RegistryNotFoundError) return notFound(error.message, 'RegistryNotFound');
  if (error instanceof StaleGenerationError) return apiError(409, 'StaleGeneration', error.message);
  if (error instanceof GenerationLimitError) return apiError(409, 'GenerationLimit', error.message);
  if (error instanceof SettingsTooLargeError) return apiError(413, 'PayloadTooLarge', error.message);
  if (error instanceof StoreUnavailableError) {
    return apiError(503, 'StoreUnavailable', error.message, { 'Retry-After': '1' });
  }
  if (!isHttpError(error)) return undefined;
  if (typeof (error as Partial<ApiError>).code === 'string' && error.message.startsWith('{"error"')) {
    return error as ApiError;
  }
  // Errors thrown by Middy's own middlewares (router, JSON body parser, content negotiation).
  if (error.status === 422) return badRequest('the body is not valid JSON', 'MalformedJson');
  if (error.status >= 500) return undefined;
  return apiError(error.status, GENERIC_CODES[error.status] ?? 'InvalidRequest', error.message);
}

export const INTERNAL_ERROR_BODY = JSON.stringify({
  error: { code: 'Internal', message: 'internal error; it has been logged' },
});
