// The box protocol end to end over loopback sockets: boxfep's pipeline against the box emulator.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import t from 'tap';
import { Box, type PushEvent } from '../../src/box/box.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { RC } from '../../src/flows/response-codes.js';
import {
  BOX_LAYOUT,
  codecFor,
  FrameSplitter,
  type IsoMessage,
  parseField60,
  parseFrame,
} from '../../src/iso8583/index.js';
import { createLogger } from '../../src/log/logger.js';
import { BoxConnection } from '../../src/server/connection.js';
import { AES_BDK, BDK, MID, sessionTerminal, startHarness, TEST_LMK, TMK } from './helpers/harness.js';

const ASCII_PLAIN = { length: 'ascii4' as const, tpdu: false, header: false, maxFrameBytes: 4096 };

// A MACed route as the transaction flows will add them: approved replies must carry a valid MAC.
const queryRoute = {
  routes: ({ dispatcher }: { dispatcher: import('../../src/server/dispatcher.js').Dispatcher }) => {
    dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', async () => ({
      rc: RC.APPROVED,
      fields: { 37: '000000000042' },
    }));
  },
};

t.test('sign-on in the default layout: 0810 with keys whose check values the box verifies', async (t) => {
  const h = await startHarness([sessionTerminal('10000001')]);
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000001', mid: MID, tmk: TMK, batch: '000009' });
  t.teardown(() => box.close());
  const r = await box.signOn('003');
  const f = r.message.fields;
  t.equal(r.message.mti, '0810');
  t.equal(r.rc, '00');
  t.equal(r.tpdu?.toString('hex'), '6000000003', 'TPDU swapped');
  t.equal(r.requirement, 0);
  t.equal(r.replyFrame.subarray(7, 13).toString('hex'), '603100000000', 'header echoed');
  for (const n of [11, 12, 13, 32, 37, 39, 41, 42, 60, 62]) t.ok(f[n] !== undefined, `field ${n} present`);
  t.equal(f[64], undefined, 'no MAC on an 0810');
  t.equal(f[62].length, 80, '40 bytes of working keys');
  t.equal(parseField60(f[60]).batch, '000001', "boxfep's batch in 60.2");
  t.equal(box.batch, '000001', 'box adopts it');
  t.ok(box.keys.working?.mak.length === 8, 'MAK decrypted under the TMK with a matching check value');
  t.match(f[12], /^\d{6}$/);
  t.match(f[13], /^\d{4}$/);
});

t.test('sign-on 004 on a listener with 4-byte ASCII length and no TPDU/header adds the TDK', async (t) => {
  const h = await startHarness([sessionTerminal('10000002')], {
    listeners: [{ port: 0, length: 'ascii4', tpdu: false, header: false }],
  });
  t.teardown(() => h.stop());
  t.equal(h.ports.length, 2, 'two listeners');
  const box = await Box.connect({ port: h.ports[1], tid: '10000002', mid: MID, tmk: TMK, layout: ASCII_PLAIN });
  t.teardown(() => box.close());
  const r = await box.signOn('004');
  t.equal(r.rc, '00');
  t.equal(r.message.fields[62].length, 120, '60 bytes with the TDK');
  t.match(r.replyFrame.subarray(0, 4).toString('latin1'), /^\d{4}$/, 'ASCII length prefix');
  t.equal(r.tpdu, undefined);
  t.ok(box.keys.working?.tdk, 'TDK decrypted and checked');
});

t.test('a MACed exchange is verified, and the approved reply carries a MAC the box accepts', async (t) => {
  const h = await startHarness(
    [sessionTerminal('10000003'), sessionTerminal('10000004', { mac: 'x9.19' })],
    {},
    queryRoute,
  );
  t.teardown(() => h.stop());
  for (const tid of ['10000003', '10000004']) {
    const box = await Box.connect({
      port: h.port,
      tid,
      mid: MID,
      tmk: TMK,
      mac: tid === '10000004' ? 'x9.19' : 'cups-ecb',
    });
    t.teardown(() => box.close());
    await box.signOn();
    const r = await box.query({ batch: box.batch, stan: '000001' });
    t.equal(r.rc, '00', `${tid}: approved`);
    t.equal(r.message.fields[37], '000000000042');
    t.equal(r.macValid, true, `${tid}: reply MAC verifies at the box`);
    t.equal(r.message.fields[3], '300000', 'field 3 echoed');
    t.equal(r.message.fields[4], '000000000000', 'field 4 echoed');
    const sale = await box.sale(100, '134567890123456789');
    t.equal(sale.rc, RC.FUNCTION_NOT_SUPPORTED, 'unregistered transaction: 40');
    t.equal(sale.macValid, undefined, 'a refusal carries no MAC');
  }
});

t.test('a sign-on opens the new MAK where MACs are checked: the first MACed request finds it open', async (t) => {
  for (const mode of ['inline', 'pool'] as const) {
    const crypto = createCryptoService({ mode, lmk: TEST_LMK, threads: 1 });
    const h = await startHarness(
      [sessionTerminal('10000013'), sessionTerminal('10000014', { mac: 'x9.19' })],
      {},
      { ...queryRoute, crypto },
    );
    t.teardown(async () => {
      await h.stop();
      await crypto.close();
    });
    for (const [tid, mac] of [
      ['10000013', 'cups-ecb'],
      ['10000014', 'x9.19'],
    ] as const) {
      const box = await Box.connect({ port: h.port, tid, mid: MID, tmk: TMK, mac });
      t.teardown(() => box.close());
      await box.signOn();
      const signedOn = crypto.keyCacheStats()!;
      const r = await box.query({ batch: box.batch, stan: '000001' });
      t.equal(r.rc, '00');
      t.equal(r.macValid, true);
      const after = crypto.keyCacheStats()!;
      t.equal(after.misses, signedOn.misses, `${mode} ${tid}: the request's MACs opened nothing under the LMK`);
      t.equal(after.hits, signedOn.hits + 2, `${mode} ${tid}: verify and reply MAC found the key open`);
    }
  }
});

t.test('bad MACs get A0; the fifth in a row forces a new sign-on', async (t) => {
  const h = await startHarness([sessionTerminal('10000005')], {}, queryRoute);
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000005', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  await box.signOn();
  const orig = { batch: box.batch, stan: '000001' };
  const bad = () =>
    box.exchange(
      { mti: '0200', fields: { ...queryFields(box.batch), 11: box.nextStan(), 61: `${orig.batch}${orig.stan}` } },
      { corruptMac: true },
    );
  for (let i = 1; i <= 4; i++) {
    const r = await bad();
    t.equal(r.rc, 'A0', `bad MAC ${i}: A0`);
    t.equal(r.requirement, 0);
  }
  t.equal((await box.query(orig)).rc, '00', 'a good MAC in between resets the run');
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 1; i <= 4; i++) t.equal((await bad()).rc, 'A0');
  const fifth = await bad();
  t.equal(fifth.rc, 'A0');
  t.equal(fifth.requirement, 3, 'fifth consecutive failure: sign on again');
  const after = await box.query(orig);
  t.equal(after.rc, RC.SIGN_ON_AGAIN, 'keys revoked: 22');
  await box.signOn();
  t.equal((await box.query(orig)).rc, '00', 'works again after sign-on');
});

t.test('a good MAC makes no MAC-failure reset call unless a run of bad ones is open', async (t) => {
  const h = await startHarness([sessionTerminal('10000015')], {}, queryRoute);
  t.teardown(() => h.stop());
  const resets: string[] = [];
  const reset = h.store.resetMacFailures.bind(h.store);
  h.store.resetMacFailures = (tid) => {
    resets.push(tid);
    return reset(tid);
  };
  const box = await Box.connect({ port: h.port, tid: '10000015', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  await box.signOn();
  resets.length = 0; // sign-on starts with a clean count (network-management)
  const orig = { batch: box.batch, stan: '000001' };
  for (let i = 0; i < 3; i++) t.equal((await box.query(orig)).rc, '00');
  t.same(resets, [], 'no failures counted: nothing to reset');
  const bad = await box.exchange(
    {
      mti: '0200',
      fields: { ...queryFields(box.batch), 11: box.nextStan(), 41: '10000015', 61: `${orig.batch}${orig.stan}` },
    },
    { corruptMac: true },
  );
  t.equal(bad.rc, 'A0');
  t.equal((await box.query(orig)).rc, '00');
  await new Promise((r) => setTimeout(r, 20));
  t.same(resets, ['10000015'], 'the good MAC after a bad one ends the run');
  t.equal((await h.store.getTerminalContext('10000015'))?.macFailures, 0);
  t.equal((await box.query(orig)).rc, '00');
  t.same(resets, ['10000015'], 'and the next good MAC has nothing to reset');
});

function queryFields(batch: string): Record<number, string> {
  return {
    3: '300000',
    4: '000000000000',
    22: '032',
    25: '00',
    41: '10000005',
    42: MID,
    49: '156',
    60: `01${batch}000`,
  };
}

t.test('unknown terminal 97, disabled 58, MID mismatch 03, not signed on 22', async (t) => {
  const h = await startHarness([sessionTerminal('10000006', { status: 'disabled' }), sessionTerminal('10000007')]);
  t.teardown(() => h.stop());
  const unknown = await Box.connect({ port: h.port, tid: '99999999', mid: MID, tmk: TMK });
  const disabled = await Box.connect({ port: h.port, tid: '10000006', mid: MID, tmk: TMK });
  const wrongMid = await Box.connect({ port: h.port, tid: '10000007', mid: '999999999999999', tmk: TMK });
  const fresh = await Box.connect({ port: h.port, tid: '10000007', mid: MID, tmk: TMK });
  t.teardown(() => {
    for (const b of [unknown, disabled, wrongMid, fresh]) b.close();
  });
  t.equal((await unknown.signOn()).rc, RC.TERMINAL_NOT_REGISTERED);
  t.equal((await unknown.echo()).rc, RC.TERMINAL_NOT_REGISTERED);
  t.equal((await disabled.signOn()).rc, RC.NOT_PERMITTED);
  t.equal((await wrongMid.signOn()).rc, RC.INVALID_MERCHANT);
  // A box that never signed on cannot MAC; boxfep says so before looking at the MAC.
  const notSigned = await fresh.exchange(
    { mti: '0200', fields: { ...queryFields('000001'), 41: '10000007', 11: fresh.nextStan(), 61: '000001000001' } },
    { mac: false },
  );
  t.equal(notSigned.rc, RC.SIGN_ON_AGAIN);
  t.equal(notSigned.requirement, 3);
});

t.test('echo 0820/301 → 0830 00 with 12/13; sign-off revokes the keys', async (t) => {
  const h = await startHarness([sessionTerminal('10000008')], {}, queryRoute);
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000008', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  const e = await box.echo();
  t.equal(e.message.mti, '0830');
  t.equal(e.rc, '00');
  t.ok(e.message.fields[12] && e.message.fields[13]);
  t.equal(e.message.fields[60], '00000001301', '60 echoed');
  t.equal(e.message.fields[64], undefined);
  await box.signOn();
  t.equal((await box.signOff()).rc, '00');
  const r = await box.exchange(
    { mti: '0200', fields: { ...queryFields(box.batch), 41: '10000008', 11: box.nextStan(), 61: '000001000001' } },
    { mac: false },
  );
  t.equal(r.rc, RC.SIGN_ON_AGAIN, 'signed off: 22');
});

t.test('batch mismatch 77 and expired working keys ask for a new sign-on', async (t) => {
  const h = await startHarness([sessionTerminal('10000009')], { keyLifetimeMs: 150 }, queryRoute);
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000009', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  await box.signOn();
  const ok = await box.query({ batch: box.batch, stan: '000001' });
  t.equal(ok.requirement, 0, 'fresh keys');
  box.batch = '000777';
  const mismatch = await box.query({ batch: '000001', stan: '000001' });
  t.equal(mismatch.rc, RC.BATCH_MISMATCH);
  t.equal(mismatch.requirement, 3);
  box.batch = '000001';
  await new Promise((r) => setTimeout(r, 200));
  const old = await box.query({ batch: box.batch, stan: '000001' });
  t.equal(old.rc, '00', 'still served during the grace period');
  t.equal(old.requirement, 3, 'but asked to sign on again');
  t.equal(old.macValid, true);
});

t.test('DUKPT boxes: 0810 without field 62, MACs under the KSN of 59.A5 both ways', async (t) => {
  const h = await startHarness(
    [
      { tid: '20000001', mid: MID, keyMode: 'dukpt-tdes', bdk: BDK },
      { tid: '20000002', mid: MID, keyMode: 'dukpt-aes', bdk: AES_BDK },
    ],
    {},
    queryRoute,
  );
  t.teardown(() => h.stop());
  const tdes = await Box.connect({
    port: h.port,
    tid: '20000001',
    mid: MID,
    keyMode: 'dukpt-tdes',
    bdk: BDK,
    ksn: 'FFFF9876543210E00000',
  });
  const aes = await Box.connect({
    port: h.port,
    tid: '20000002',
    mid: MID,
    keyMode: 'dukpt-aes',
    bdk: AES_BDK,
    ksn: '123456789012345600000000',
  });
  t.teardown(() => {
    for (const b of [tdes, aes]) b.close();
  });
  for (const box of [tdes, aes]) {
    const s = await box.signOn();
    t.equal(s.rc, '00');
    t.equal(s.message.fields[62], undefined, `${box.keys.keyMode}: no working keys`);
    for (let i = 0; i < 3; i++) {
      const r = await box.query({ batch: box.batch, stan: '000001' });
      t.equal(r.rc, '00', `${box.keys.keyMode} MACed request ${i + 1} verified`);
      t.equal(r.macValid, true, 'response MAC under the response key');
    }
    const bad = await box.exchange(
      { mti: '0200', fields: { ...queryFields(box.batch), 41: box.tid, 11: box.nextStan(), 61: '000001000001' } },
      { corruptMac: true },
    );
    t.equal(bad.rc, 'A0');
  }
});

t.test('a terminal that reconnects replaces its old connection, and pushes reach the new one', async (t) => {
  const h = await startHarness([sessionTerminal('10000010')]);
  t.teardown(() => h.stop());
  const identified: [string, string | undefined][] = [];
  h.fep.pushes.onBind((tid, mid) => identified.push([tid, mid]));
  const first = await Box.connect({ port: h.port, tid: '10000010', mid: MID, tmk: TMK });
  await first.signOn();
  t.same(identified, [['10000010', MID]], 'identified with its merchant (push dispatch reads no terminal)');
  const firstConn = h.fep.pushes.get('10000010');
  t.ok(firstConn instanceof BoxConnection);
  const second = await Box.connect({ port: h.port, tid: '10000010', mid: MID, tmk: TMK });
  t.teardown(() => second.close());
  await second.signOn();
  await first.waitClosed(2000);
  t.equal(firstConn?.closeReason, 'replaced');
  t.not(h.fep.pushes.get('10000010'), firstConn);
  const push = {
    mti: '0620',
    fields: {
      3: '000000',
      4: '000000000100',
      11: '000042',
      37: '000000000077',
      39: '00',
      41: '10000010',
      42: MID,
      60: `22${second.batch}990`,
    },
  };
  const ack = await h.fep.pushes.push('10000010', push, 3000);
  t.equal(ack?.mti, '0630', 'the box acknowledged with 0630');
  t.equal(ack?.fields[11], '000042');
  const seen = await second.nextPush(1000);
  t.equal(seen.macValid, true, 'the push carried a MAC the box verified');
  // With a listener (the load generator's way) a push goes to it as it arrives, not to the queue,
  // and is still acknowledged.
  const heard: PushEvent[] = [];
  second.pushListener = (ev) => heard.push(ev);
  const again = { ...push, fields: { ...push.fields, 11: '000043' } };
  const ack2 = await h.fep.pushes.push('10000010', again, 3000);
  t.equal(ack2?.fields[11], '000043', 'acknowledged with a listener too');
  t.same(
    heard.map((e) => [e.message.fields[11], e.macValid]),
    [['000043', true]],
  );
  t.equal(second.pushes.length, 0, 'nothing queued for nextPush()');
  t.equal(await h.fep.pushes.push('99999999', push, 100), undefined, 'no connection: undefined');
});

t.test('garbage and truncated frames: 30 when identity is readable, else the connection closes', async (t) => {
  const h = await startHarness([sessionTerminal('10000011')]);
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000011', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  const full = box.encodeRequest(
    { mti: '0200', fields: { ...queryFields('000001'), 41: '10000011', 11: '000123' } },
    { mac: false },
  );
  // Cut the message after field 42 (keeping MTI, 11, 41 readable) and fix the length prefix.
  const cut = full.subarray(0, full.length - 12);
  cut.writeUInt16BE(cut.length - 2, 0);
  const reply = await rawReply(h.port, cut);
  t.equal(reply.fields[39], RC.FORMAT_ERROR, 'truncated message with identity: 30');
  t.equal(reply.fields[11], '000123');
  t.equal(reply.fields[41], '10000011');

  const garbage = Buffer.concat([Buffer.from([0x00, 0x20]), Buffer.alloc(0x20, 0xee)]);
  const closed = await rawClosed(h.port, garbage);
  t.ok(closed, 'garbage without identity: connection closed');

  const overLong = Buffer.from([0xff, 0xff, 0x60]);
  t.ok(await rawClosed(h.port, overLong), 'over-long length: connection closed');
  t.equal((await box.echo()).rc, '00', 'the server is still up for everyone else');
});

function rawReply(port: number, bytes: Buffer) {
  return new Promise<IsoMessage>((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(bytes));
    const sp = new FrameSplitter(BOX_LAYOUT);
    const timer = setTimeout(() => reject(new Error('no reply')), 3000);
    s.on('data', (c: Buffer) => {
      const [f] = sp.push(c);
      if (!f) return;
      clearTimeout(timer);
      s.destroy();
      resolve(codecFor('cups-pos').decode(parseFrame(f, BOX_LAYOUT).message));
    });
    s.on('error', reject);
  });
}

function rawClosed(port: number, bytes: Buffer) {
  return new Promise<boolean>((resolve) => {
    const s = connect({ port, host: '127.0.0.1' }, () => s.write(bytes));
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 3000);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.on('error', () => {});
  });
}

t.test('idle connections are closed; graceful drain answers the request in flight', async (t) => {
  let release: () => void = () => {};
  const h = await startHarness(
    [sessionTerminal('10000012'), sessionTerminal('10000013')],
    { idleTimeoutMs: 300 },
    {
      routes: ({ dispatcher }) => {
        dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', async () => {
          await new Promise<void>((r) => {
            release = r;
          });
          return { rc: RC.APPROVED };
        });
      },
    },
  );
  const idle = await Box.connect({ port: h.port, tid: '10000012', mid: MID, tmk: TMK });
  await idle.echo();
  await idle.waitClosed(2500);
  t.pass('silent box closed after the idle timeout');

  const busy = await Box.connect({ port: h.port, tid: '10000013', mid: MID, tmk: TMK });
  t.teardown(() => busy.close());
  await busy.signOn();
  const inFlight = busy.query({ batch: busy.batch, stan: '000001' });
  await new Promise((r) => setTimeout(r, 50));
  const stopping = h.stop();
  await new Promise((r) => setTimeout(r, 50));
  await t.rejects(Box.connect({ port: h.port, tid: '10000012', mid: MID, tmk: TMK }), 'no new connections');
  release();
  const r = await inFlight;
  t.equal(r.rc, '00', 'in-flight request answered during drain');
  t.equal(r.macValid, true);
  await stopping;
  await busy.waitClosed(2000);
});

t.test('a handler that throws or returns an unencodable field answers 96, and the box stays connected', async (t) => {
  const h = await startHarness(
    [sessionTerminal('10000014')],
    {},
    {
      routes: ({ dispatcher }) => {
        dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', async () => {
          throw new Error('store down');
        });
        dispatcher.register({ mti: '0200', processingCode: '200000', type: '23' }, 'void', async () => ({
          rc: RC.APPROVED,
          fields: { 37: 'way too long for an12' },
        }));
        // Keys that are not field numbers of the spec: the codec checks every key and refuses them.
        dispatcher.register({ mti: '0220', processingCode: '200000', type: '25' }, 'refund', async (ctx) => ({
          rc: RC.APPROVED,
          fields: ctx.request.fields[11] === '000002' ? { 100: 'x' } : ({ abc: 'x' } as never),
        }));
      },
    },
  );
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000014', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  await box.signOn();
  const thrown = await box.query({ batch: box.batch, stan: '000001' });
  t.equal(thrown.rc, RC.SYSTEM_MALFUNCTION);
  t.equal(thrown.macValid, undefined, 'no MAC on a refusal');
  const bad = await box.void(100, { batch: box.batch, stan: '000001', rrn: '000000000001' });
  t.equal(bad.rc, RC.SYSTEM_MALFUNCTION);
  t.equal(bad.message.fields[41], '10000014', 'the bare 96 still echoes the identity');
  for (const stan of ['000002', '000003']) {
    const named = await box.refund(100, { batch: box.batch, stan, rrn: '000000000001' });
    t.equal(named.rc, RC.SYSTEM_MALFUNCTION, `a field key outside the spec answers 96 (${stan})`);
  }
  t.equal((await box.echo()).rc, '00', 'connection still usable');
});

t.test('a handler may answer at once; one that throws at once answers 96', async (t) => {
  const h = await startHarness(
    [sessionTerminal('10000015')],
    {},
    {
      routes: ({ dispatcher }) => {
        // Not async: the result itself, and a synchronous throw.
        dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', () => ({
          rc: RC.APPROVED,
          fields: { 37: '000000000043' },
        }));
        dispatcher.register({ mti: '0200', processingCode: '200000', type: '23' }, 'void', () => {
          throw new Error('store down');
        });
      },
    },
  );
  t.teardown(() => h.stop());
  const box = await Box.connect({ port: h.port, tid: '10000015', mid: MID, tmk: TMK });
  t.teardown(() => box.close());
  await box.signOn();
  const q = await box.query({ batch: box.batch, stan: '000001' });
  t.equal(q.rc, RC.APPROVED);
  t.equal(q.message.fields[37], '000000000043', 'the handler field is sent');
  t.equal(q.macValid, true, 'approved reply MACed as for a promised result');
  const thrown = await box.void(100, { batch: box.batch, stan: '000001', rrn: '000000000001' });
  t.equal(thrown.rc, RC.SYSTEM_MALFUNCTION);
  t.equal((await box.echo()).rc, '00', 'connection still usable');
});

t.test("an echo's transaction line is written at debug level and not at info", async (t) => {
  for (const level of ['debug', 'info'] as const) {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const logger = createLogger({ level }, sink);
    const tid = level === 'debug' ? '10000016' : '10000017';
    const h = await startHarness([sessionTerminal(tid)], {}, { logger });
    const box = await Box.connect({ port: h.port, tid, mid: MID, tmk: TMK });
    await box.signOn();
    t.equal((await box.echo()).rc, '00');
    box.close();
    await h.stop();
    const tx = lines.filter((l) => l.msg === 'transaction');
    const echo = tx.filter((l) => l.type === 'echo');
    t.ok(
      tx.some((l) => l.type === 'signon'),
      `${level}: the sign-on's line at info`,
    );
    if (level === 'debug') {
      t.equal(echo.length, 1, 'one echo line at debug');
      t.match(echo[0], { level: 20, type: 'echo', mti: '0820', rc: '00', tid, stan: '000002' });
      t.type(echo[0].ms, 'number');
    } else {
      t.equal(echo.length, 0, 'no echo line at info');
    }
  }
});
