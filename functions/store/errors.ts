/** Typed store errors; the HTTP edge (functions/http/errors.ts) maps them to status codes. */

export class RegistryNotFoundError extends Error {
  override readonly name = 'RegistryNotFoundError';
  constructor(readonly registry: string) {
    super(`registry "${registry}" does not exist`);
  }
}

export class StaleGenerationError extends Error {
  override readonly name = 'StaleGenerationError';
  constructor(
    readonly registry: string,
    readonly attempted: number,
    readonly current: number,
  ) {
    super(
      `generation ${attempted} is not newer than the stored generation ${current} of registry "${registry}"`,
    );
  }
}

/** The ingest token a snapshot write was authorised by is no longer the registry's (rotated meanwhile). */
export class IngestTokenChangedError extends Error {
  override readonly name = 'IngestTokenChangedError';
  constructor(readonly registry: string) {
    super(`the ingest token of registry "${registry}" changed during the write`);
  }
}

/** The database cannot be reached or is not set up; the request may succeed later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(options?: { cause?: unknown }) {
    super('the registry store is unavailable, try again later', options);
  }
}

/** A generation at the largest one the store can count to: the registry can take no newer snapshot. */
export class GenerationLimitError extends Error {
  override readonly name = 'GenerationLimitError';
  constructor(
    readonly registry: string,
    readonly limit: number,
  ) {
    super(`registry "${registry}" is at generation ${limit}, the largest there is; delete and re-create it`);
  }
}

/** A revision the store has not reached yet. */
export class RevisionNotFoundError extends Error {
  override readonly name = 'RevisionNotFoundError';
  constructor(
    readonly revision: number,
    readonly current: number,
  ) {
    super(`revision ${revision} has not been reached yet (the current revision is ${current})`);
  }
}

/** A revision older than the history the store keeps (HISTORY_RETENTION_SECONDS). */
export class RevisionExpiredError extends Error {
  override readonly name = 'RevisionExpiredError';
  constructor(readonly revision: number) {
    super(`revision ${revision} is older than the retained history; read the current view again`);
  }
}

/** Settings that would not fit in one stored registry item (DynamoDB's 400 KB), e.g. a huge caData. */
export class SettingsTooLargeError extends Error {
  override readonly name = 'SettingsTooLargeError';
  constructor(
    readonly registry: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`the settings of registry "${registry}" take ${bytes} bytes; at most ${limit} can be stored`);
  }
}
