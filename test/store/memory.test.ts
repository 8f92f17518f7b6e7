import t from 'tap';
import { memoryHarness } from './harness.js';
import { storeSuite } from './suite.js';

storeSuite(t, memoryHarness());
