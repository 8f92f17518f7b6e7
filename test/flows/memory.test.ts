import t from 'tap';
import { flowSuite } from './suite.js';

flowSuite(t, 'memory');
