// The worked examples of the protocol documentation (examples.md, copied to
// test/fixtures/crypto/examples.json): UnionPay ECB MAC step by step, a real sale frame's MAC,
// the 0810 field 62, the X9.9/X9.19 table and the DUKPT IPEK.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { EcbCipher } from '../../src/crypto/des.js';
import { deriveTdesDukpt } from '../../src/crypto/dukpt/tdes.js';
import { computeMac, field64Mac } from '../../src/crypto/field64.js';
import { cupsEcbMac, xorBlocks } from '../../src/crypto/mac/cups-ecb.js';
import { buildField62, parseField62 } from '../../src/crypto/signon.js';
import { fixture } from '../helpers/paths.js';

const h = (s: string) => Buffer.from(s, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const ex = JSON.parse(readFileSync(fixture('crypto', 'examples.json'), 'utf8'));

t.test('UnionPay ECB MAC walk-through, every intermediate value', async (t) => {
  const c = ex.cups_ecb;
  const xor = xorBlocks(h(c.mab));
  t.equal(hex(xor), c.xor);
  const expanded = Buffer.from(hex(xor), 'latin1');
  const des = EcbCipher.des(h(c.mak));
  const enc1 = des.encrypt(expanded.subarray(0, 8));
  t.equal(hex(enc1), c.enc1);
  const temp = Buffer.from(enc1.map((b, i) => b ^ expanded[8 + i]));
  t.equal(hex(temp), c.temp);
  t.equal(hex(des.encrypt(temp)), c.enc2);
  const mac = cupsEcbMac(h(c.mak), h(c.mab));
  t.equal(mac.toString('latin1'), c.mac_ascii);
  t.equal(hex(mac), c.field64);
  t.not(mac.toString('latin1'), c.lowercase_mac_ascii, 'upper-case expansion, not the lower-case interop trap');
});

t.test('B2C sale frame: field 64 over MTI..field 60', async (t) => {
  const c = ex.b2c_sale_frame;
  const frame = h(c.frame);
  t.equal(frame.readUInt16BE(0), frame.length - 2, 'length prefix');
  const mab = frame.subarray(c.mab_offset, frame.length - 8);
  const field64 = frame.subarray(frame.length - 8);
  const mac = field64Mac('cups-ecb', h(c.mak), mab);
  t.equal(mac.toString('latin1'), c.mac_ascii);
  t.same(mac, field64);
});

t.test('0810 field 62 for 60.3=004: encrypted keys and check values', async (t) => {
  const c = ex.field62_004;
  const f62 = buildField62(h(c.tmk), { pik: h(c.pik), mak: h(c.mak), tdk: h(c.tdk) });
  const expected = [
    c.pik_under_tmk,
    c.pik_check,
    c.mak_under_tmk,
    '0000000000000000',
    c.mak_check,
    c.tdk_under_tmk,
    c.tdk_check,
  ].join('');
  t.equal(f62.length, 60);
  t.equal(hex(f62), expected);
  const parsed = parseField62(f62, h(c.tmk));
  t.equal(hex(parsed.pik), c.pik);
  t.equal(hex(parsed.mak), c.mak);
  t.equal(hex(parsed.tdk ?? Buffer.alloc(0)), c.tdk);
  const f62short = buildField62(h(c.tmk), { pik: h(c.pik), mak: h(c.mak) });
  t.equal(hex(f62short), expected.slice(0, 80), '60.3=003 is the first 40 bytes');
});

t.test('X9.9 / X9.19 table', async (t) => {
  for (const c of ex.x9_table as { alg: 'x9.9' | 'x9.19'; key: string; data_ascii: string; mac: string }[]) {
    t.equal(hex(computeMac(c.alg, h(c.key), Buffer.from(c.data_ascii, 'latin1'))), c.mac, `${c.alg} ${c.data_ascii}`);
  }
});

t.test('TDES DUKPT IPEK', async (t) => {
  const c = ex.dukpt_ipek;
  t.equal(hex(deriveTdesDukpt(h(c.bdk), c.ksn, 'ipek')), c.ipek);
});
