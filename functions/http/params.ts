/** Path parameters, validated: they name table keys, so nothing unexpected gets through. */
import { DNS_LABEL, hostname as hostnameSchema } from '#lib/schemas.ts';
import { badRequest } from './errors.ts';
import type { HttpEvent } from './handler.ts';

export function registryNameParam(event: HttpEvent): string {
  const name = event.pathParameters?.name ?? '';
  if (!DNS_LABEL.test(name)) {
    throw badRequest('registry name must be a DNS label (a-z, 0-9, "-", at most 63)', 'InvalidRegistryName');
  }
  return name;
}

export function hostnameParam(event: HttpEvent): string {
  const raw = event.pathParameters?.hostname ?? '';
  // API Gateway hands the parameter over decoded; anything still percent-encoded is not a hostname.
  const parsed = hostnameSchema.safeParse(raw);
  if (!parsed.success)
    throw badRequest('hostname must be a DNS name of at most 253 characters', 'InvalidHostname');
  return parsed.data;
}
