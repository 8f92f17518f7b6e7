// What every in-process boxfep in the tests shares: a public test LMK and TMK, and a serve config
// on loopback with ephemeral ports (box, notify, admin) and inline crypto.
import { DEFAULTS, type ServeConfig } from '../../src/config/serve-config.js';

/** A test LMK (public: it protects nothing outside these tests). */
export const TEST_LMK = Buffer.from('0123456789ABCDEFFEDCBA98765432100123456789ABCDEFFEDCBA9876543210', 'hex');
/** The TMK of examples.md's field-62 worked example. */
export const TMK = '0123456789ABCDEFFEDCBA9876543210';

export function loopbackConfig(overrides: Partial<ServeConfig> = {}): ServeConfig {
  return {
    ...DEFAULTS,
    host: '127.0.0.1',
    boxPort: 0,
    notifyPort: 0,
    adminPort: 0,
    crypto: 'inline',
    ...overrides,
  };
}
