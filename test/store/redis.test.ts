// The shared suite against the real redis-server on 127.0.0.1:6379 (started by .ci/run in CI).
import t from 'tap';
import { redisHarness } from './harness.js';
import { storeSuite } from './suite.js';

storeSuite(t, redisHarness());
