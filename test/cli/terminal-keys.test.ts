// Key management: `boxfep terminal rewrap` (LMK rotation), `resign` (forced sign-on) and `kcv`, on
// the embedded deployment's terminals file (through the CLI) and on the real Redis (the same code,
// in process, under a key prefix unique to this run), with the box emulator on the far side.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { Box } from '../../src/box/box.js';
import { DEFAULTS, type ServeConfig } from '../../src/config/serve-config.js';
import { checkValue } from '../../src/crypto/kcv.js';
import { Key } from '../../src/crypto/key.js';
import { type CryptoService, createCryptoService } from '../../src/crypto/service.js';
import { RC } from '../../src/flows/response-codes.js';
import type { IsoMessage } from '../../src/iso8583/index.js';
import type { Dispatcher } from '../../src/server/dispatcher.js';
import { Fep } from '../../src/server/fep.js';
import { RedisStore } from '../../src/store/redis.js';
import { createStore, type Store, type TerminalStore } from '../../src/store/store.js';
import { LmkTranslator, rewrapStore } from '../../src/terminals/lmk-rewrap.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import { revokeAllWorkingKeys, revokeWorkingKeys } from '../../src/terminals/resign.js';
import type { TerminalRecord } from '../../src/terminals/types.js';
import { seriesTotal } from '../helpers/metrics.js';
import { cliPath } from '../helpers/paths.js';
import { waitFor } from '../helpers/poll.js';
import { deleteRedisKeys, REDIS_URL } from '../helpers/redis.js';

const exec = promisify(execFile);
const OLD_LMK = '11'.repeat(32);
const NEW_LMK = '22'.repeat(16); // AES-128: the rotation may change the LMK's length too
const THIRD_LMK = '33'.repeat(32);
const TMK = '0123456789ABCDEFFEDCBA9876543210';
const TDES_BDK = 'FEDCBA98765432100123456789ABCDEF';
const AES_BDK = 'FEDCBA9876543210F1F1F1F1F1F1F1F1';
const MID = '123456789012345';
const SECRETS = [OLD_LMK, NEW_LMK, THIRD_LMK, TMK, TDES_BDK, AES_BDK];

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('BOXFEP_')) delete clean[k];
  return exec(process.execPath, [cliPath, 'terminal', ...args], { env: { ...clean, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: Ran) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

/** Which clear keys or LMKs any of the runs printed (none, ever). */
const leaks = (runs: Ran[]) =>
  SECRETS.filter((s) => runs.some((r) => `${r.stdout}${r.stderr}`.toUpperCase().includes(s)));

const kcvOf = async (file: string, tid: string, lmk: string) =>
  cli(['kcv', '--terminals-file', file, '--tid', tid], { BOXFEP_LMK: lmk });

type FileEntry = { tid: string; tmkUnderLmk?: string; bdkUnderLmk?: string };
const blobs = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as FileEntry[]).map((e) => e.tmkUnderLmk ?? e.bdkUnderLmk);

t.test('rewrap on a terminals file: new blobs, same KCVs, old LMK shut out, second run a no-op', async (t) => {
  const dir = t.testdir({ 'old.lmk': `${OLD_LMK}\n`, 'new.lmk': `${NEW_LMK}\n` });
  const file = `${dir}/terminals.json`;
  const runs: Ran[] = [];
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const r = await cli(args, env);
    runs.push(r);
    return r;
  };
  const lmkEnv = { BOXFEP_LMK: OLD_LMK };
  await run(['add', '--terminals-file', file, '--tid', '10000001', '--mid', MID, '--tmk', TMK], lmkEnv);
  await run(
    ['add', '--terminals-file', file, '--tid', '10000002', '--mid', MID, '--bdk', TDES_BDK, '--key-mode', 'dukpt-tdes'],
    lmkEnv,
  );
  await run(
    ['add', '--terminals-file', file, '--tid', '10000003', '--mid', MID, '--bdk', AES_BDK, '--key-mode', 'dukpt-aes'],
    lmkEnv,
  );
  const tids = ['10000001', '10000002', '10000003'];
  const before = await Promise.all(tids.map((tid) => kcvOf(file, tid, OLD_LMK)));
  runs.push(...before);
  t.same(
    before.map((r) => r.stdout),
    [
      '10000001  TMK  KCV 08D7B4FB\n',
      `10000002  BDK  KCV ${checkValue(Key.of(Buffer.from(TDES_BDK, 'hex'), 'tdes'), 4)
        .toString('hex')
        .toUpperCase()}\n`,
      `10000003  BDK  KCV ${checkValue(Key.of(Buffer.from(AES_BDK, 'hex'), 'aes'), 4)
        .toString('hex')
        .toUpperCase()}\n`,
    ],
    'kcv prints the ceremony check value (AES-CMAC based for the AES BDK)',
  );
  const blobsBefore = blobs(file);

  const files = ['--terminals-file', file, '--old-lmk-file', `${dir}/old.lmk`, '--new-lmk-file', `${dir}/new.lmk`];
  const dry = await run(['rewrap', ...files, '--dry-run']);
  t.equal(dry.code, 0);
  t.match(dry.stdout, /dry run: nothing was written/);
  t.match(dry.stdout, /keys to re-encrypt\s+3/);
  t.same(blobs(file), blobsBefore, 'a dry run writes nothing');

  const first = await run(['rewrap', ...files]);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /terminals\s+3\n/);
  t.match(first.stdout, /keys re-encrypted\s+3/);
  t.match(first.stdout, /keys already under new LMK\s+0/);
  const blobsAfter = blobs(file);
  for (let i = 0; i < 3; i++) t.not(blobsAfter[i], blobsBefore[i], `${tids[i]}: blob changed`);
  t.notMatch(
    readFileSync(file, 'utf8'),
    new RegExp(`${TMK}|${TDES_BDK}|${AES_BDK}`, 'i'),
    'the file holds no clear key',
  );

  const after = await Promise.all(tids.map((tid) => kcvOf(file, tid, NEW_LMK)));
  runs.push(...after);
  t.same(
    after.map((r) => r.stdout),
    before.map((r) => r.stdout),
    'same check values under the new LMK',
  );
  const shutOut = await kcvOf(file, '10000001', OLD_LMK);
  runs.push(shutOut);
  t.equal(shutOut.code, 2, 'the old LMK no longer opens the file');
  t.match(shutOut.stderr, /does not decrypt under this LMK/);

  // The hex-variable form, and a second run: nothing to do, nothing written.
  const text = readFileSync(file, 'utf8');
  const second = await run(['rewrap', '--terminals-file', file, '--json'], {
    BOXFEP_OLD_LMK: OLD_LMK,
    BOXFEP_NEW_LMK_FILE: `${dir}/new.lmk`,
  });
  t.equal(second.code, 0);
  t.same(JSON.parse(second.stdout), {
    dryRun: false,
    terminals: 3,
    rewrapped: 0,
    current: 3,
    clear: 0,
    unreadable: [],
    workingKeysRevoked: 0,
    workingKeysKept: 0,
    changedDuringRun: [],
  });
  t.equal(readFileSync(file, 'utf8'), text, 'the second run leaves the file byte for byte');
  t.ok(runs.length >= 10);
  t.same(leaks(runs), [], 'no clear key or LMK in any stdout/stderr');
});

t.test('rewrap leaves a key under a third LMK alone, names it and exits 1', async (t) => {
  const dir = t.testdir({ 'old.lmk': OLD_LMK, 'new.lmk': NEW_LMK });
  const file = `${dir}/terminals.json`;
  await cli(['add', '--terminals-file', file, '--tid', '10000001', '--mid', MID, '--tmk', TMK], {
    BOXFEP_LMK: OLD_LMK,
  });
  await cli(['add', '--terminals-file', file, '--tid', '10000009', '--mid', MID, '--tmk', TMK], {
    BOXFEP_LMK: THIRD_LMK,
  });
  // Two files written under different LMKs, merged by hand: the situation rewrap must not hide.
  const a = JSON.parse(readFileSync(file, 'utf8')) as FileEntry[];
  t.equal(a.length, 1);
  const other = `${dir}/other.json`;
  await cli(['add', '--terminals-file', other, '--tid', '10000009', '--mid', MID, '--tmk', TMK], {
    BOXFEP_LMK: THIRD_LMK,
  });
  writeFileSync(file, JSON.stringify([...a, ...(JSON.parse(readFileSync(other, 'utf8')) as FileEntry[])]));
  const foreign = blobs(file)[1];
  const r = await cli(['rewrap', '--terminals-file', file], {
    BOXFEP_OLD_LMK_FILE: `${dir}/old.lmk`,
    BOXFEP_NEW_LMK: NEW_LMK,
  });
  t.equal(r.code, 1);
  t.match(r.stdout, /keys re-encrypted\s+1/);
  t.match(r.stdout, /keys under neither LMK\s+1/);
  t.match(r.stdout, /opens under neither LMK.*: 10000009\n/);
  t.equal(blobs(file)[1], foreign, 'left as it was');
  t.same(leaks([r]), []);
});

t.test('operator mistakes in the key commands are one line and exit 2', async (t) => {
  const dir = t.testdir({ 'old.lmk': OLD_LMK, 'new.lmk': NEW_LMK, 'bad.lmk': 'XYZ' });
  const file = `${dir}/t.json`;
  await cli(['add', '--terminals-file', file, '--tid', '10000001', '--mid', MID, '--tmk', TMK], {
    BOXFEP_LMK: OLD_LMK,
  });
  const lmks = ['--old-lmk-file', `${dir}/old.lmk`, '--new-lmk-file', `${dir}/new.lmk`];
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['rewrap', '--terminals-file', file, '--new-lmk-file', `${dir}/new.lmk`], {}, /needs the old LMK/],
    [['rewrap', '--terminals-file', file, '--old-lmk-file', `${dir}/old.lmk`], {}, /needs the new LMK/],
    [
      ['rewrap', '--terminals-file', file, '--old-lmk-file', `${dir}/old.lmk`, '--new-lmk-file', `${dir}/old.lmk`],
      {},
      /the same key/,
    ],
    [
      ['rewrap', '--terminals-file', file, '--old-lmk-file', `${dir}/old.lmk`],
      { BOXFEP_NEW_LMK: '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F' },
      /public development LMK/,
    ],
    [['rewrap', '--terminals-file', file, '--old-lmk-file', `${dir}/bad.lmk`, ...lmks.slice(2)], {}, /old LMK: .*hex/],
    [['rewrap', '--terminals-file', `${dir}/missing.json`, ...lmks], {}, /no terminals file/],
    [['rewrap', ...lmks], {}, /where are the terminals/],
    [['resign', '--terminals-file', file, '--tid', '10000001'], {}, /restart serve/],
    [['resign', '--store', 'redis://127.0.0.1:6379'], {}, /--tid TID or --all/],
    [['resign', '--store', 'redis://127.0.0.1:6379', '--tid', '10000001', '--all'], {}, /--tid TID or --all/],
    [['kcv', '--terminals-file', file], { BOXFEP_LMK: OLD_LMK }, /needs --tid/],
    [['kcv', '--terminals-file', file, '--tid', '99999999'], { BOXFEP_LMK: OLD_LMK }, /no terminal 99999999/],
  ];
  for (const [args, env, want] of cases) {
    const r = await cli(args, env);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, want, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
});

// ---- Redis: the same code in process, under a unique key prefix ---------------------------------

const prefix = `bfkeys-${randomBytes(4).toString('hex')}:`;
const hex = (h: string) => Buffer.from(h, 'hex');

t.teardown(async () => {
  await deleteRedisKeys(prefix);
});

// A MACed route: `00` proves the request's MAC verified under the working keys.
const queryRoute = ({ dispatcher }: { dispatcher: Dispatcher }) => {
  dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', async () => ({
    rc: RC.APPROVED,
    fields: { 37: '000000000042' },
  }));
};

function queryRequest(box: Box): IsoMessage {
  return {
    mti: '0200',
    fields: {
      3: '300000',
      4: '000000000000',
      11: box.nextStan(),
      22: '032',
      25: '00',
      41: box.tid,
      42: MID,
      49: '156',
      60: `01${box.batch}000`,
      61: `${box.batch}000001`,
    },
  };
}

/** Stopping the Fep closes the store and crypto service it was given. */
async function startFep(store: Store, crypto: CryptoService): Promise<Fep> {
  const config: ServeConfig = { ...DEFAULTS, host: '127.0.0.1', boxPort: 0, drainMs: 500 };
  return Fep.start({ config, store, crypto, admin: false, routes: queryRoute });
}

const crypto = (lmk: string) => createCryptoService({ mode: 'inline', lmk: hex(lmk) });
const terminalsOf = async (store: Store) => new Map((await store.listTerminals()).map((r) => [r.tid, r]));

t.test('LMK rotation on Redis with boxes: rewrap, restart, sessions sign on, DUKPT carries on', async (t) => {
  // One store for the operator's command, one per boxfep process (stopping boxfep closes its store).
  const open = () => createStore(REDIS_URL, { keyPrefix: `${prefix}rotate:` });
  const store = open();
  const oldCrypto = crypto(OLD_LMK);
  const newCrypto = crypto(NEW_LMK);
  t.teardown(async () => {
    await store.close();
    await oldCrypto.close();
    await newCrypto.close();
  });
  await provisionTerminals(store, oldCrypto, [
    { tid: '20000001', mid: MID, tmk: TMK, keyMode: 'session', mac: 'cups-ecb' },
    { tid: '20000002', mid: MID, tmk: TMK, keyMode: 'session', mac: 'x9.19' },
    { tid: '20000003', mid: MID, bdk: TDES_BDK, keyMode: 'dukpt-tdes' },
  ]);
  const kcvs = async (c: CryptoService, recs: Map<string, TerminalRecord>) =>
    Promise.all([...recs.values()].map((r) => c.keyCheckValue((r.tmk ?? r.bdk)!, 4)));

  // Old LMK: both session boxes sign on; the DUKPT box needs no sign-on.
  let fep = await startFep(open(), crypto(OLD_LMK));
  const session = await Box.connect({ port: fep.boxPorts[0], tid: '20000001', mid: MID, tmk: TMK });
  const dukpt = await Box.connect({
    port: fep.boxPorts[0],
    tid: '20000003',
    mid: MID,
    keyMode: 'dukpt-tdes',
    bdk: TDES_BDK,
    ksn: 'FFFF9876543210E00000',
  });
  const oldField62 = (await session.signOn()).message.fields[62]!;
  await Box.connect({ port: fep.boxPorts[0], tid: '20000002', mid: MID, tmk: TMK, mac: 'x9.19' }).then(async (b) => {
    t.equal((await b.signOn()).rc, '00');
    await b.close();
  });
  t.equal((await session.exchange(queryRequest(session))).rc, '00', 'session box works under the old LMK');
  t.equal((await dukpt.exchange(queryRequest(dukpt))).rc, '00', 'DUKPT box works under the old LMK');
  await session.close();
  await dukpt.close();
  await fep.stop();

  const before = await terminalsOf(store);
  const kcvBefore = await kcvs(oldCrypto, before);
  const translator = new LmkTranslator(hex(OLD_LMK), hex(NEW_LMK));
  const dry = await rewrapStore(store, translator, { dryRun: true });
  t.equal(dry.rewrapped, 3);
  t.same(await terminalsOf(store), before, 'a dry run writes nothing');
  t.ok(await store.getSessionKeys('20000001'), 'nor revokes anything');

  const report = await rewrapStore(store, translator);
  t.same(report, {
    terminals: 3,
    rewrapped: 3,
    current: 0,
    clear: 0,
    unreadable: [],
    workingKeysRevoked: 2,
    workingKeysKept: 0,
    changedDuringRun: [],
  });
  const after = await terminalsOf(store);
  for (const [tid, rec] of after) {
    const was = before.get(tid)!;
    t.not(rec.tmk ?? rec.bdk, was.tmk ?? was.bdk, `${tid}: blob changed`);
    t.same({ ...rec, tmk: was.tmk, bdk: was.bdk, updatedAt: was.updatedAt }, was, `${tid}: nothing else changed`);
    await t.rejects(oldCrypto.keyCheckValue((rec.tmk ?? rec.bdk)!), /does not open under this LMK/);
  }
  t.same(await kcvs(newCrypto, after), kcvBefore, 'the same keys: equal check values under the new LMK');
  t.equal(await store.getSessionKeys('20000001'), undefined, 'working keys under the old LMK revoked');

  // Restart on the new LMK: the session box gets 22 (+ requirement 3), signs on, works; the DUKPT box
  // just carries on, its BDK now under the new LMK.
  fep = await startFep(open(), crypto(NEW_LMK));
  t.teardown(() => fep.stop());
  const s2 = await Box.connect({ port: fep.boxPorts[0], tid: '20000001', mid: MID, tmk: TMK });
  t.teardown(() => s2.close());
  s2.keys.acceptField62(oldField62); // the box still holds its working keys from before the switch
  const d2 = await Box.connect({
    port: fep.boxPorts[0],
    tid: '20000003',
    mid: MID,
    keyMode: 'dukpt-tdes',
    bdk: TDES_BDK,
    ksn: 'FFFF9876543210E00010',
  });
  t.teardown(() => d2.close());
  t.equal((await d2.exchange(queryRequest(d2))).rc, '00', 'DUKPT box works under the new LMK without a sign-on');
  const refused = await s2.exchange(queryRequest(s2));
  t.same([refused.rc, refused.requirement], [RC.SIGN_ON_AGAIN, 3], 'old working keys: 22, sign on again');
  t.equal((await s2.signOn()).rc, '00', 'sign-on with the same TMK works under the new LMK');
  t.equal((await s2.exchange(queryRequest(s2))).rc, '00', 'and MACs verify under the new working keys');

  // A second run: nothing re-encrypted, the new working keys kept, no record touched.
  const settled = await terminalsOf(store);
  const again = await rewrapStore(store, translator);
  t.same(again, {
    terminals: 3,
    rewrapped: 0,
    current: 3,
    clear: 0,
    unreadable: [],
    workingKeysRevoked: 0,
    workingKeysKept: 1,
    changedDuringRun: [],
  });
  t.same(await terminalsOf(store), settled, 'the second run writes nothing');
  t.ok(await store.getSessionKeys('20000001'), 'keys issued under the new LMK survive');
});

t.test('the CLI on Redis (--store with --store-prefix): kcv, rewrap twice, resign', async (t) => {
  const keyPrefix = `${prefix}cli:`;
  const store = createStore(REDIS_URL, { keyPrefix });
  const oldCrypto = crypto(OLD_LMK);
  t.teardown(async () => {
    await store.close();
    await oldCrypto.close();
  });
  const where = ['--store', REDIS_URL, '--store-prefix', keyPrefix];
  const runs: Ran[] = [];
  const run = async (args: string[], env: Record<string, string>) => {
    const r = await cli(args, env);
    runs.push(r);
    return r;
  };
  const added = await run(['add', ...where, '--tid', '50000001', '--mid', MID, '--tmk', TMK], { BOXFEP_LMK: OLD_LMK });
  t.equal(added.stdout, 'added 50000001  KCV 08D7B4FB\n');
  const rec = (await store.getTerminal('50000001'))!;
  t.ok(rec, 'written under the given prefix');
  const signOn = await oldCrypto.generateSignOnKeys(rec.tmk!, { withTdk: false });
  await store.putSessionKeys('50000001', { mak: signOn.mak, pik: signOn.pik, issuedAt: Date.now() }, 60_000);

  const rotate = { BOXFEP_OLD_LMK: OLD_LMK, BOXFEP_NEW_LMK: NEW_LMK };
  const first = await run(['rewrap', ...where], rotate);
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /keys re-encrypted\s+1/);
  t.match(first.stdout, /working keys revoked\s+1/);
  t.not((await store.getTerminal('50000001'))!.tmk, rec.tmk, 'blob changed');
  t.equal(await store.getSessionKeys('50000001'), undefined, 'working keys revoked');
  const kcv = await run(['kcv', ...where, '--tid', '50000001'], { BOXFEP_LMK: NEW_LMK });
  t.equal(kcv.stdout, '50000001  TMK  KCV 08D7B4FB\n', 'same check value under the new LMK');
  const old = await run(['kcv', ...where, '--tid', '50000001'], { BOXFEP_LMK: OLD_LMK });
  t.equal(old.code, 2, 'the old LMK no longer opens it');
  const second = await run(['rewrap', ...where, '--json'], rotate);
  t.match(JSON.parse(second.stdout), { rewrapped: 0, current: 1, workingKeysRevoked: 0 });

  await store.putSessionKeys('50000001', { mak: signOn.mak, pik: signOn.pik, issuedAt: Date.now() }, 60_000);
  const one = await run(['resign', ...where, '--tid', '50000001'], {});
  t.equal(one.stdout, '50000001 working keys revoked: its next MACed request gets 22 and it signs on again\n');
  t.equal(await store.getSessionKeys('50000001'), undefined);
  const all = await run(['resign', ...where, '--all'], {});
  t.equal(all.stdout, '1 terminals: working keys revoked 0, not signed on 1, DUKPT (no working keys) 0\n');
  const unknown = await run(['resign', ...where, '--tid', '59999999'], {});
  t.same([unknown.code, unknown.stderr], [2, 'boxfep terminal: no terminal 59999999\n']);
  t.same(leaks(runs), [], 'no clear key or LMK in any stdout/stderr');
});

t.test('a record written back under the old LMK during the run is reported, and the next run fixes it', async (t) => {
  const store = createStore('memory');
  const oldCrypto = crypto(OLD_LMK);
  t.teardown(async () => {
    await store.close();
    await oldCrypto.close();
  });
  await provisionTerminals(store, oldCrypto, [
    { tid: '30000001', mid: MID, tmk: TMK },
    { tid: '30000002', mid: MID, tmk: TMK },
  ]);
  const stale = (await store.getTerminal('30000002'))!;
  // A settlement that read the record before the rewrap writes it back (new batch, old key) after.
  const racing: TerminalStore = {
    getTerminal: (tid) => store.getTerminal(tid),
    putTerminal: async (rec) => {
      await store.putTerminal(rec);
      if (rec.tid === '30000002') await store.putTerminal({ ...stale, batch: '000002' });
    },
    listTerminals: () => store.listTerminals(),
    getSessionKeys: (tid) => store.getSessionKeys(tid),
    putSessionKeys: (tid, keys, ttl) => store.putSessionKeys(tid, keys, ttl),
    deleteSessionKeys: (tid) => store.deleteSessionKeys(tid),
    incrMacFailures: (tid) => store.incrMacFailures(tid),
    resetMacFailures: (tid) => store.resetMacFailures(tid),
  };
  const translator = new LmkTranslator(hex(OLD_LMK), hex(NEW_LMK));
  const first = await rewrapStore(racing, translator);
  t.equal(first.rewrapped, 2);
  t.same(first.changedDuringRun, ['30000002']);
  const second = await rewrapStore(store, translator);
  t.equal(second.rewrapped, 1);
  t.equal(second.current, 1);
  t.same(second.changedDuringRun, []);
  t.equal((await store.getTerminal('30000002'))!.batch, '000002', "the settlement's batch is kept");
});

t.test('resign on Redis: the box gets 22 with requirement 3 at its next MACed request, then signs on', async (t) => {
  const open = () => createStore(REDIS_URL, { keyPrefix: `${prefix}resign:` });
  const store = open();
  const c = crypto(OLD_LMK);
  await provisionTerminals(store, c, [
    { tid: '40000001', mid: MID, tmk: TMK },
    { tid: '40000002', mid: MID, tmk: TMK },
    { tid: '40000003', mid: MID, bdk: TDES_BDK, keyMode: 'dukpt-tdes' },
  ]);
  const fepStore = open();
  const fep = await startFep(fepStore, crypto(OLD_LMK));
  const boxes = await Promise.all(
    ['40000001', '40000002'].map((tid) => Box.connect({ port: fep.boxPorts[0], tid, mid: MID, tmk: TMK })),
  );
  t.teardown(async () => {
    for (const b of boxes) await b.close();
    await fep.stop();
    await store.close();
    await c.close();
  });
  const [one, two] = boxes;
  for (const b of boxes) t.equal((await b.signOn()).rc, '00');
  t.equal((await one.exchange(queryRequest(one))).rc, '00');
  // The CLI's store is another node: its revocations reach the FEP's terminal cache with their
  // invalidations, a message on another connection (docs/store.md, "The terminal cache"). Each
  // request below is sent once they have arrived; until then the node may still approve on the
  // keys it read a moment before, as designed. The counter is the process's; only the FEP's store
  // subscribes here (the CLI's reads no terminal context).
  if (!(fepStore instanceof RedisStore)) throw new Error('a Redis store was expected');
  await waitFor("the node's terminal cache to be live", () => fepStore.terminalCacheLive);
  const invalidations = () => seriesTotal('boxfep_store_terminal_cache_invalidations_total');
  const arrived = async (n: number, before: number) =>
    waitFor(`${n} invalidation(s) to reach the node`, async () => (await invalidations()) >= before + n);

  let before = await invalidations();
  t.equal(await revokeWorkingKeys(store, (await store.getTerminal('40000001'))!), 'revoked');
  await arrived(1, before);
  const refused = await one.exchange(queryRequest(one));
  t.equal(refused.rc, RC.SIGN_ON_AGAIN, '22: sign on again');
  t.equal(refused.requirement, 3, 'header processing requirement 3');
  t.equal((await two.exchange(queryRequest(two))).rc, '00', 'the other box is untouched');
  t.equal((await one.signOn()).rc, '00');
  t.equal((await one.exchange(queryRequest(one))).rc, '00', 'a fresh sign-on works');
  t.equal(await revokeWorkingKeys(store, (await store.getTerminal('40000003'))!), 'dukpt');

  before = await invalidations();
  t.same(await revokeAllWorkingKeys(store), { terminals: 3, revoked: 2, notSignedOn: 0, dukpt: 1 });
  await arrived(2, before);
  for (const b of boxes) {
    const r = await b.exchange(queryRequest(b));
    t.same([r.rc, r.requirement], [RC.SIGN_ON_AGAIN, 3], `${b.tid}: --all revoked it`);
  }
  t.same(await revokeAllWorkingKeys(store), { terminals: 3, revoked: 0, notSignedOn: 2, dukpt: 1 });
});
