// Typed store errors. Callers map StoreUnavailableError to response code 96 and never retry blindly:
// a failed call may or may not have been applied, which is why every write is idempotent or a CAS.

/** Base class of every error the store throws on purpose. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** The backend cannot be reached or did not answer within the bounded time. Fails fast; never hangs. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
  constructor(
    message: string,
    /** What went wrong, for metrics and logs: `timeout`, `connection`, `overloaded`, `closed`. */
    readonly kind: 'timeout' | 'connection' | 'overloaded' | 'closed' = 'connection',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The caller passed a value the store refuses (bad TID, negative amount...). Nothing was written. */
export class StoreInputError extends StoreError {
  override name = 'StoreInputError';
}
