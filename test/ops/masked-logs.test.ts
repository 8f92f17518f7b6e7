// What reaches the log while a whole boxfep (flows, wallet sandboxes, box emulator over loopback)
// does real work at the most verbose level: one JSON line per transaction with its outcome, timing
// and RRN — and never a payment code, PAN, track data, LMK, TMK or working key.
import { Writable } from 'node:stream';
import t from 'tap';
import { Box } from '../../src/box/box.js';
import * as msg from '../../src/box/messages.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { parseField62 } from '../../src/crypto/signon.js';
import { createLogger } from '../../src/log/logger.js';
import { maskPaymentCode } from '../../src/log/mask.js';
import { startBoxfep } from '../../src/runtime/boxfep.js';
import { createStore } from '../../src/store/store.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import { loopbackConfig } from '../helpers/loopback.js';

const LMK_HEX = '0123456789ABCDEFFEDCBA98765432100123456789ABCDEFFEDCBA9876543210';
const TMK = '89ABCDEF0123456776543210FEDCBA98';
const MID = '898000000000001';
const TID = '30000001';
const PAN = '6222021234567890123';
const TRACK2 = `${PAN}=2512101000001`;
const CODES = {
  approved: '134567890123456700',
  insufficient: '281234567890123490',
  unionpay: '6212345678901234500',
  unknownPrefix: '991234567890123400',
};

/** Every log line, parsed; the raw text too, so a secret split across fields is still caught. */
const lines: Array<Record<string, unknown>> = [];
let raw = '';
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    raw += chunk.toString('utf8');
    done();
  },
});

const config = loopbackConfig({
  payDeadlineMs: 800,
  queryIntervalMs: 60,
  walletTimeoutMs: 300,
  drainMs: 1000,
});

t.test('transactions log one masked line each, correlated by RRN; no secret reaches the log', async (t) => {
  const logger = createLogger({ level: 'trace' }, sink);
  const store = createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: Buffer.from(LMK_HEX, 'hex') });
  await provisionTerminals(store, crypto, [{ tid: TID, mid: MID, tmk: TMK }]);
  const app = await startBoxfep(config, {
    store,
    crypto,
    logger,
    admin: false,
    pushTickMs: 50,
    recoveryTickMs: 50,
    sandboxes: { wechat: { payDelayMs: 100 }, alipay: { payDelayMs: 100 }, unionpay: { payDelayMs: 100 } },
  });
  const box = await Box.connect({ port: app.fep.boxPorts[0], tid: TID, mid: MID, tmk: TMK, replyTimeoutMs: 10_000 });
  t.teardown(async () => {
    box.close();
    await app.stop();
  });

  const signOn = await box.signOn();
  t.equal(signOn.rc, '00');
  const working = parseField62(Buffer.from(signOn.message.fields[62], 'hex'), Buffer.from(TMK, 'hex'));

  const approved = await box.sale(1200, CODES.approved);
  const declined = await box.sale(1300, CODES.insufficient);
  const unionpay = await box.sale(1400, CODES.unionpay);
  const unknown = await box.sale(1500, CODES.unknownPrefix);
  // A sale that also carries a PAN (field 2) and track 2 (field 35), as a card-reading box might.
  const carded = msg.saleRequest({ tid: TID, mid: MID, batch: box.batch }, box.nextStan(), 1600, CODES.approved);
  carded.fields[2] = PAN;
  carded.fields[35] = TRACK2;
  const withCard = await box.exchange(carded);
  const badMac = await box.exchange(
    msg.saleRequest({ tid: TID, mid: MID, batch: box.batch }, box.nextStan(), 1700, CODES.approved),
    { corruptMac: true },
  );
  t.equal(approved.rc, '00', 'approved');
  t.not(declined.rc, '00', 'declined');
  t.equal(unionpay.rc, '00', 'UnionPay-style code approved');
  t.equal(unknown.rc, '14', 'unknown payment-code prefix');
  t.equal(badMac.rc, 'A0');
  await app.stop();

  for (const line of raw.split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  t.ok(lines.length >= 10, `${lines.length} log lines`);
  for (const l of lines) {
    t.equal(typeof l.level, 'number');
    t.equal(typeof l.time, 'string');
    t.equal(l.svc, 'boxfep');
  }

  // One line per transaction, with outcome and timing; the approved ones carry the RRN of the reply.
  const txLines = lines.filter((l) => l.msg === 'transaction');
  const forStan = (stan: string | undefined) => txLines.filter((l) => l.stan === stan);
  for (const [name, reply] of Object.entries({ signOn, approved, declined, unionpay, unknown, withCard, badMac })) {
    const found = forStan(reply.request.fields[11]);
    t.equal(found.length, 1, `${name}: exactly one transaction line`);
    const line = found[0] ?? {};
    t.equal(line.rc, reply.rc, `${name}: the line has the response code`);
    t.equal(typeof line.ms, 'number', `${name}: the line has the time taken`);
    t.equal(line.tid, TID);
  }
  for (const reply of [approved, unionpay]) {
    const rrn = reply.message.fields[37];
    t.match(rrn, /^\d{12}$/);
    t.equal(forStan(reply.request.fields[11])[0]?.rrn, rrn, 'correlated by RRN');
    // Every other line about that order (the wallet call, its outcome) carries the same RRN.
    t.ok(lines.filter((l) => l.rrn === rrn).length >= 2, `more than the transaction line carries RRN ${rrn}`);
  }

  // Payment codes appear masked where they appear at all; the clear ones never.
  t.ok(raw.includes(maskPaymentCode(CODES.approved)), 'the masked payment code is logged');
  const secrets: Record<string, string> = {
    ...Object.fromEntries(Object.entries(CODES).map(([k, v]) => [`payment code ${k}`, v])),
    PAN,
    'track 2': TRACK2,
    'track 2 discretionary data': TRACK2.split('=')[1],
    LMK: LMK_HEX,
    'LMK half': LMK_HEX.slice(0, 32),
    TMK,
    MAK: working.mak.toString('hex'),
    PIK: working.pik.toString('hex'),
  };
  const haystack = raw.toUpperCase();
  for (const [what, value] of Object.entries(secrets)) {
    t.notOk(haystack.includes(value.toUpperCase()), `no ${what} in the log`);
  }
  // Nor any other run of 13+ digits (the length of the shortest PAN), except merchant order numbers,
  // which start with the MID.
  const runs = [...raw.matchAll(/\d{13,}/g)].map((m) => m[0]);
  t.same(
    runs.filter((d) => !d.startsWith(MID)),
    [],
    'no 13+ digit run but order numbers',
  );
  if (process.env.BOXFEP_SHOW_LOG) process.stderr.write(raw);
});
