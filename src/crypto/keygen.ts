// Fresh keys from the OS CSPRNG. DES keys get odd parity, which some terminals check on import.
import { randomBytes } from 'node:crypto';
import { withOddParity } from './des.js';
import type { KeyAlgorithm } from './key.js';

export function generateKey(length: number, algorithm: KeyAlgorithm = 'tdes'): Buffer {
  const bytes = randomBytes(length);
  return algorithm === 'tdes' ? withOddParity(bytes) : bytes;
}
