/** The addresses an endpoint may have (lib/schemas.ts): an IP, or a DNS name. */
import { z } from 'zod';
import { hostname } from '#lib/schemas.ts';

export const address = z.union([z.ipv4(), z.ipv6(), hostname]);
