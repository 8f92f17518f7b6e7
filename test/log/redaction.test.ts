// The logger's fast path for plain values (src/log/redaction.ts) must not change a byte: every line
// is compared with what pino's own redaction writes for the same object, secrets in nested objects
// are still censored, and a one-segment path (which censors strings too) is never bypassed.

import fc from 'fast-check';
import { pino } from 'pino';
import t from 'tap';
import { createLogger, isoTime, REDACTED_PATHS } from '../../src/log/logger.js';
import { fastRedactionForPlainValues, jsonString } from '../../src/log/redaction.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
}

const options = { base: { svc: 'boxfep' }, timestamp: false, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };

class CodedError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly key: string,
  ) {
    super(message);
  }
}

const objects: Array<Record<string, unknown>> = [
  {
    type: 'sale',
    mti: '0200',
    rc: '00',
    tid: '00000001',
    stan: '000123',
    rrn: undefined,
    amount: '000000001234',
    ms: 1.3,
  },
  {
    wallet: 'WX',
    order: 'WX1',
    quoted: 'a "b" \\ c',
    control: 'tab\there',
    unicode: '支付',
    ok: true,
    n: 0,
    nan: Number.NaN,
  },
  { terminal: { tid: '1', tmk: 'AABB', mak: 'CCDD', nested: { tmk: 'deeper, not a path' } }, keys: { key: 'x' } },
  { fields: { 2: '6222021234567890123', 35: 'track', 4: '000000001234', fields: { 52: 'pin' } }, tmk: 'top-level' },
  { request: { fields: { 2: 'pan', 3: '000000' } }, list: [1, 'two', { secret: 's' }], nil: null },
  { err: new CodedError('bad key', 'bad-input', 'K') },
  { big: { apiKey: 'k', privateKey: 'p', clearKey: 'c', other: 'o' }, when: new Date(0) },
];

t.test('lines are byte-identical to pino’s own redaction', async (t) => {
  const fast = capture();
  const plain = capture();
  const patched = createLogger({ timestamp: false }, fast.stream as never);
  const reference = pino(options, plain.stream as never);
  for (const o of objects) {
    patched.info(o, 'line');
    reference.info(o, 'line');
    patched.child({ conn: 7 }).warn(o, 'child line');
    reference.child({ conn: 7 }).warn(o, 'child line');
  }
  t.same(fast.lines, plain.lines);
  const text = fast.lines.join('');
  for (const secret of ['AABB', 'CCDD', '6222021234567890123', '"track"', '"pin"', '"pan"', '"K"']) {
    t.notOk(text.includes(secret), `${secret} is censored`);
  }
  t.ok(text.includes('deeper, not a path'), 'only the configured depth is redacted, as before');
});

t.test('the fast path is installed for the default paths and skips one-segment paths', async (t) => {
  const out = capture();
  const paths = ['password', '*.tmk'];
  const logger = pino({ timestamp: false, redact: { paths, censor: 'X' } }, out.stream as never);
  t.equal(fastRedactionForPlainValues(logger, paths), true);
  logger.info({ password: 'hunter2', box: { tmk: 'AABB' }, plain: 'kept' });
  const line = JSON.parse(out.lines[0]);
  t.equal(line.password, 'X', 'a top-level path still censors a string');
  t.same(line.box, { tmk: 'X' });
  t.equal(line.plain, 'kept');
  const bare = pino({ timestamp: false }, capture().stream as never);
  t.equal(fastRedactionForPlainValues(bare, paths), false, 'nothing to wrap without redaction');
});

t.test('jsonString is JSON.stringify for any string', async (t) => {
  for (const s of [
    '',
    'plain',
    'a "quoted" \\ path',
    'tab\there',
    '\u0000\u001f\u007f',
    '支付',
    '\ud800 lone',
    'emoji 😀',
  ]) {
    t.equal(jsonString(s), JSON.stringify(s), JSON.stringify(s));
  }
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => jsonString(s) === JSON.stringify(s)));
  fc.assert(fc.property(fc.string({ maxLength: 40 }), (s) => jsonString(s) === JSON.stringify(s)));
});

t.test('isoTime writes what pino.stdTimeFunctions.isoTime writes, for any instant', async (t) => {
  const at = (ms: number) => `,"time":"${new Date(ms).toISOString()}"`;
  for (const ms of [
    0,
    999,
    1000,
    59_999,
    60_000,
    Date.UTC(2026, 10, 25, 23, 59, 59, 999),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
  ]) {
    t.equal(isoTime(ms), at(ms), at(ms));
    t.equal(isoTime(ms + 1), at(ms + 1), 'and a millisecond later');
  }
  fc.assert(fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }), (ms) => isoTime(ms) === at(ms)));
  const now = isoTime();
  t.match(now, /^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
});
