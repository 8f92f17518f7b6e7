import t from 'tap';
import { createCryptoService } from '../../src/crypto/service.js';
import { createStore } from '../../src/store/store.js';
import {
  parseTerminalsCsv,
  parseTerminalsFile,
  parseTerminalsJson,
  provisionTerminals,
  TerminalInputError,
  validateTerminalInput,
} from '../../src/terminals/provisioning.js';
import { readTerminalsFile, writeTerminalsFile } from '../../src/terminals/terminals-file.js';

const LMK = Buffer.alloc(32, 7);
const TMK = '0123456789ABCDEFFEDCBA9876543210';

t.test('JSON and CSV give the same validated terminals', async (t) => {
  const json = parseTerminalsJson(
    JSON.stringify([
      { tid: '12345678', mid: '123456789012345', tmk: TMK.toLowerCase(), keyMode: 'session', mac: 'x9.19' },
    ]),
  );
  const csv = parseTerminalsCsv(
    `# ceremony 2024-05\ntid,mid,tmk,keyMode,mac\n12345678,123456789012345,${TMK},session,x9.19\n`,
  );
  t.same(json, csv);
  t.equal(json[0].tmk, TMK, 'hex normalised to upper case');
  t.same(
    parseTerminalsFile(`tid,mid,bdk,keyMode\n87654321,123456789012345,${TMK},dukpt-tdes`, 'x.csv')[0].keyMode,
    'dukpt-tdes',
  );
});

t.test('bad input is a typed error naming the item and the field', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ tid: '1234567', mid: '123456789012345', tmk: TMK }, /\[0\].*tid must be 8/],
    [{ tid: '12345678', mid: '12345', tmk: TMK }, /mid must be 15/],
    [{ tid: '12345678', mid: '123456789012345', tmk: 'XYZ' }, /tmk must be 32 hex/],
    [{ tid: '12345678', mid: '123456789012345' }, /needs a tmk/],
    [{ tid: '12345678', mid: '123456789012345', keyMode: 'dukpt-aes' }, /needs a bdk/],
    [{ tid: '12345678', mid: '123456789012345', tmk: TMK, mac: 'md5' }, /mac must be one of/],
    [{ tid: '12345678', mid: '123456789012345', tmk: TMK, colour: 'red' }, /unknown field 'colour'/],
  ];
  for (const [raw, re] of cases) {
    t.throws(() => parseTerminalsJson(JSON.stringify([raw])), re);
  }
  t.throws(() => parseTerminalsJson('{'), TerminalInputError);
  t.throws(() => parseTerminalsCsv('tid,mid\n1,2,3'), /:2: 3 values for 2 columns/);
  t.throws(() => validateTerminalInput([]), /expected an object/);
});

t.test('provisioning encrypts keys at once and upserts, keeping batch and creation time', async (t) => {
  const store = createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  t.teardown(async () => {
    await store.close();
    await crypto.close();
  });
  const input = validateTerminalInput({ tid: '12345678', mid: '123456789012345', tmk: TMK });
  const [first] = await provisionTerminals(store, crypto, [input], 1000);
  t.equal(first.created, true);
  t.equal(first.kcv, '08D7B4FB', 'check value of the clear TMK');
  const rec = await store.getTerminal('12345678');
  t.ok(rec?.tmk && !rec.tmk.includes(TMK), 'stored TMK is not the clear key');
  rec!.batch = '000042';
  await store.putTerminal(rec!);
  const [second] = await provisionTerminals(store, crypto, [{ ...input, status: 'disabled' }], 2000);
  t.equal(second.created, false);
  const again = await store.getTerminal('12345678');
  t.equal(again?.batch, '000042', 'batch kept');
  t.equal(again?.createdAt, 1000, 'creation time kept');
  t.equal(again?.status, 'disabled');
});

t.test('the terminals file holds keys only under the LMK and reloads to the same records', async (t) => {
  const dir = t.testdir({});
  const path = `${dir}/terminals.json`;
  const store = createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  t.teardown(async () => {
    await store.close();
    await crypto.close();
  });
  await provisionTerminals(store, crypto, [
    validateTerminalInput({ tid: '12345678', mid: '123456789012345', tmk: TMK }),
  ]);
  writeTerminalsFile(path, await store.listTerminals());
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(path, 'utf8');
  t.notMatch(text, new RegExp(TMK, 'i'), 'no clear TMK in the file');
  const reloaded = readTerminalsFile(path);
  t.ok(reloaded[0].tmkUnderLmk);
  const other = createStore('memory');
  const [r] = await provisionTerminals(other, crypto, reloaded);
  t.equal(r.kcv, '08D7B4FB', 'same key after the round trip');
  await other.close();
  const wrongLmk = createCryptoService({ mode: 'inline', lmk: Buffer.alloc(32, 9) });
  await t.rejects(provisionTerminals(createStore('memory'), wrongLmk, reloaded), /does not decrypt under this LMK/);
  await wrongLmk.close();
  t.same(readTerminalsFile(`${dir}/missing.json`), [], 'a missing file is an empty registry');
});
