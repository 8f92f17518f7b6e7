// The crypto service `boxfep serve` builds from its configuration: one place for the single process,
// each cluster worker and an embedded FEP, so a setting such as the key cache reaches all of them.
import { type CryptoServiceOptions, DEFAULT_CRYPTO_OPTIONS } from '../crypto/service.js';
import type { Logger } from '../log/logger.js';
import type { ServeConfig } from './serve-config.js';

export function cryptoOptionsFrom(config: ServeConfig, lmk: Buffer, logger?: Logger): CryptoServiceOptions {
  return {
    ...DEFAULT_CRYPTO_OPTIONS,
    mode: config.crypto,
    lmk,
    threads: config.cryptoThreads,
    keyCacheSize: config.keyCacheSize,
    logger,
  };
}
