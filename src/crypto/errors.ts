// The one error type of the crypto layer. `code` is stable and machine-readable; the message is one
// line for an operator and never contains key material.

export type CryptoErrorCode =
  | 'bad-key' // wrong length, wrong type, or a key blob that does not open under the LMK
  | 'bad-input' // malformed data, hex, KSN, MAC length, unsupported combination
  | 'dukpt-counter' // a KSN counter DUKPT never uses (too many one-bits, or zero)
  | 'dukpt-exhausted' // a KSN past the last key the device may ever use
  | 'queue-full' // the pool is saturated; the caller should back off
  | 'worker-crashed' // the worker running the job died; the job was not completed
  | 'closed'; // the service was closed

export class CryptoError extends Error {
  override name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isCryptoError = (err: unknown): err is CryptoError => err instanceof CryptoError;
