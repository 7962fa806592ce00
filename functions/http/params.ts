/**
 * Path parameters, validated: they name table keys, so nothing unexpected gets through.
 *
 * API Gateway (and serverless-offline) hand a parameter over percent-decoded once. Whatever a client
 * hides in it — `%2e%2e` (now `..`), `%2F` (now `/`), a double encoding `%252F` (now `%2F`), a NUL, a
 * Unicode lookalike such as a Cyrillic `а` or a fullwidth `ａ` — is outside the ASCII allow-list below
 * and answered 400. Nothing is decoded again here. A hostname is then normalised as DNS compares names
 * (lower case, no trailing dot: the `hostname` schema's rule, the same for bodies), so
 * `/services/Hello.Example.COM.` finds `hello.example.com`; a registry name must already be lower case.
 */
import { DNS_LABEL, parseHostname } from '#lib/names.ts';
import { badRequest } from './errors.ts';
import type { HttpEvent } from './handler.ts';

/** Longer than any valid value; checked first so the patterns never see a huge string. */
const MAX_PARAM_LENGTH = 253;

function rawParam(event: HttpEvent, name: string): string | undefined {
  const value: unknown = event.pathParameters?.[name];
  return typeof value === 'string' && value.length <= MAX_PARAM_LENGTH ? value : undefined;
}

export function registryNameParam(event: HttpEvent): string {
  const name = rawParam(event, 'name');
  if (name === undefined || !DNS_LABEL.test(name)) {
    throw badRequest('registry name must be a DNS label (a-z, 0-9, "-", at most 63)', 'InvalidRegistryName');
  }
  return name;
}

export function hostnameParam(event: HttpEvent): string {
  const raw = rawParam(event, 'hostname');
  const parsed = raw === undefined ? undefined : parseHostname(raw);
  if (parsed === undefined)
    throw badRequest('hostname must be a DNS name of at most 253 characters', 'InvalidHostname');
  return parsed;
}
