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

/** The database cannot be reached or is not set up; the request may succeed later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(options?: { cause?: unknown }) {
    super('the registry store is unavailable, try again later', options);
  }
}

/** A snapshot was superseded (its chunks deleted) while it was being read; read the view again. */
export class SnapshotGoneError extends Error {
  override readonly name = 'SnapshotGoneError';
  constructor(readonly snapshotId: string) {
    super(`snapshot ${snapshotId} was superseded while being read`);
  }
}
