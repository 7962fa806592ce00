/** What one source type must provide: adding a type is one adapter file and one schema entry. */
import type { Limits } from '#lib/limits.ts';
import type { Mapped } from '#lib/mappings/mapped.ts';
import type { SecretRef, Source } from '#lib/source-schema.ts';
import type { Transport } from './transport.ts';

export interface Secrets {
  /** Resolves a reference; the value is trimmed, non-empty and remembered for redaction. */
  resolve(ref: SecretRef): Promise<string>;
}

export interface AdapterContext {
  limits: Limits;
  /** How the source is named in messages, e.g. `Consul http://consul:8500/` (no secrets, no query). */
  what: string;
}

export interface SourceAdapter<S extends Source> {
  /** How a source is named in messages: its type and URL without query or user info. */
  describe(source: S): string;
  /**
   * Whether one service that does not fit the snapshot schema is skipped and reported (data
   * converted from another system) or fails the fetch (a snapshot in our own format, whose producer
   * should be told).
   */
  skipInvalid: boolean;
  /** Reads the upstream through `transport` only (it enforces the deny list, size cap and deadline). */
  fetch(source: S, transport: Transport, secrets: Secrets, context: AdapterContext): Promise<Mapped>;
}
