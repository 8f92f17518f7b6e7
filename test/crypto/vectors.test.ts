// Every published vector we carry: test/fixtures/crypto/public.json (the project's set),
// published.json (X9.24-1 Annex A, X9.24-3 supplement, ISO 9797-1 via psec, RFC 4493).
import { readFileSync } from 'node:fs';
import t from 'tap';
import { desEncrypt } from '../../src/crypto/des.js';
import { aesDerivationKey, aesInitialKey, aesWorkingKey, deriveAesDukpt } from '../../src/crypto/dukpt/aes.js';
import { deriveTdesDukpt, parseTdesKsn, tdesCurrentKey, tdesIpek, tdesUsageKey } from '../../src/crypto/dukpt/tdes.js';
import { computeMac } from '../../src/crypto/field64.js';
import { checkValue } from '../../src/crypto/kcv.js';
import { unwrapKey, wrapKey } from '../../src/crypto/keywrap.js';
import { aesCmac } from '../../src/crypto/mac/cmac.js';
import { cupsEcbMac, xorBlocks } from '../../src/crypto/mac/cups-ecb.js';
import { cbcMac, retailMac } from '../../src/crypto/mac/iso9797.js';
import { type PaddingMethod, pad } from '../../src/crypto/padding.js';
import { fixture } from '../helpers/paths.js';

const h = (s: string) => Buffer.from(s, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const load = (name: string) => JSON.parse(readFileSync(fixture('crypto', name), 'utf8'));

// biome-ignore lint/suspicious/noExplicitAny: fixture JSON
type Vector = { id: string; input: any; expected: any };
const publicSet = load('public.json') as { vectors: Vector[] };
const byId = (id: string) => {
  const v = publicSet.vectors.find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing`);
  return v;
};

t.test('public: TDES DUKPT E00001 (X9.24-1 Annex A)', async (t) => {
  const { input, expected } = byId('tdes-dukpt-E00001');
  const bdk = h(input.bdk);
  t.equal(hex(deriveTdesDukpt(bdk, input.ksn, 'ipek')), expected.ipek);
  t.equal(hex(checkValue(deriveTdesDukpt(bdk, input.ksn, 'ipek'), 4)), expected.ipek_kcv.slice(0, 8));
  t.equal(parseTdesKsn(input.ksn).counter, Number.parseInt(expected.counter, 16));
  t.equal(hex(deriveTdesDukpt(bdk, input.ksn, 'current')), expected.current_key);
  t.equal(hex(deriveTdesDukpt(bdk, input.ksn, 'pin')), expected.pin_key);
  t.equal(hex(deriveTdesDukpt(bdk, input.ksn, 'mac-request')), expected.mac_request_key);
  t.equal(hex(deriveTdesDukpt(bdk, input.ksn, 'mac-response')), expected.mac_response_key);
  t.equal(hex(deriveTdesDukpt(bdk, input.ksn, 'data-request')), expected.data_request_key);
  t.equal(hex(deriveTdesDukpt(bdk, input.ksn, 'data-response')), expected.data_response_key);
  const pinKey = deriveTdesDukpt(bdk, input.ksn, 'pin');
  t.equal(hex(desEncrypt(pinKey, h(input.pin_block))), expected.encrypted_pin_block);
  const macKey = deriveTdesDukpt(bdk, input.ksn, 'mac-request');
  t.equal(hex(retailMac(macKey, Buffer.from(input.mac_data_ascii, 'latin1'))), expected.mac_request_x919_ascii_sample);
});

t.test('public: AES DUKPT AES-128 counter 1, every usage (X9.24-3)', async (t) => {
  const { input, expected } = byId('aes-dukpt-128-00000001');
  const bdk = h(input.bdk);
  const ksn = expected.ksn as string;
  t.equal(ksn, `${input.ikid}${input.counter}`);
  t.equal(hex(deriveAesDukpt(bdk, ksn, 'initial')), expected.initial_key);
  const ikid = h(input.ikid);
  t.equal(hex(aesDerivationKey(aesInitialKey(bdk, ikid), ikid, 1)), expected.derivation_key);
  const names = {
    'mac-generation': 'mac_generation_key',
    'mac-verification': 'mac_verification_key',
    'mac-both': 'mac_both_ways_key',
    pin: 'pin_encryption_key',
    'data-encrypt': 'data_encryption_encrypt_key',
    'data-decrypt': 'data_encryption_decrypt_key',
    'data-both': 'data_encryption_both_ways_key',
    kek: 'key_encryption_key_key',
    derivation: 'key_derivation_key',
  } as const;
  for (const [usage, field] of Object.entries(names)) {
    t.equal(hex(deriveAesDukpt(bdk, ksn, usage as keyof typeof names, 'aes128')), expected[field], usage);
  }
});

t.test('public: ISO 9797-1 MAC algorithms 1 and 3', async (t) => {
  const x919 = byId('x919-iso-b4-s1-p1');
  t.equal(hex(pad(h(x919.input.data_hex), 8, 1)), x919.expected.padded_data_hex);
  t.equal(hex(retailMac(h(x919.input.key), h(x919.input.data_hex), 1)), x919.expected.mac);
  const x99 = byId('cbcmac-des-fips113');
  t.equal(hex(pad(h(x99.input.data_hex), 8, 1)), x99.expected.padded_data_hex);
  t.equal(hex(cbcMac(h(x99.input.key), h(x99.input.data_hex), 1)), x99.expected.mac);
});

t.test('public: UnionPay ECB MAC', async (t) => {
  const { input, expected } = byId('unionpay-pgate-single');
  t.equal(hex(xorBlocks(h(input.data_hex))), expected.xor_result);
  const mac = cupsEcbMac(h(input.mak), h(input.data_hex));
  t.equal(mac.toString('latin1'), expected.mac_ascii);
  t.equal(hex(mac), expected.mac_field_hex);
});

t.test('public: KCV and key wrap', async (t) => {
  const kcv = byId('kcv-des-0123');
  t.equal(hex(desEncrypt(h(kcv.input.key), Buffer.alloc(8))), kcv.expected.encrypted_zero_block);
  t.equal(hex(checkValue(h(kcv.input.key), 3)), kcv.expected.kcv_3);
  t.equal(hex(checkValue(h(kcv.input.key), 4)), kcv.expected.kcv_4);
  const wrap = byId('wrap-self');
  const wrapped = wrapKey(h(wrap.input.key), h(wrap.input.data_hex));
  t.equal(hex(wrapped), wrap.expected.output);
  t.equal(hex(unwrapKey(h(wrap.input.key), wrapped)), wrap.input.data_hex);
  t.equal(hex(checkValue(h(wrap.input.data_hex), 4)), wrap.expected.kcv_of_clear_key);
});

const published = load('published.json');

t.test('X9.24-1 Annex A.4: 34 transaction keys and encrypted PIN blocks, with rollover', async (t) => {
  const d = published.tdes_dukpt;
  const bdk = h(d.bdk);
  const ipek = tdesIpek(bdk, h(d.initial_ksn));
  t.equal(hex(ipek), d.ipek);
  t.equal(d.cases.length, 34);
  for (const c of d.cases as { ksn: string; transaction_key: string; encrypted_pin_block: string }[]) {
    const ksn = parseTdesKsn(c.ksn);
    const current = tdesCurrentKey(ipek, ksn.bytes, ksn.counter);
    t.equal(hex(current), c.transaction_key, `transaction key ${c.ksn}`);
    t.equal(hex(desEncrypt(tdesUsageKey(current, 'pin'), h(d.pin_block))), c.encrypted_pin_block, `PIN block ${c.ksn}`);
  }
});

t.test('X9.24-3 supplement: AES-128 and AES-256 initial and derivation keys', async (t) => {
  const d = published.aes_dukpt;
  const ikid = h(d.ikid);
  for (const size of ['aes128', 'aes256'] as const) {
    const set = d[size];
    const initial = aesInitialKey(h(set.bdk), ikid);
    t.equal(hex(initial), set.initial_key, `${size} initial key`);
    for (const [counter, key] of Object.entries(set.derivation_keys as Record<string, string>)) {
      t.equal(hex(aesDerivationKey(initial, ikid, Number.parseInt(counter, 16))), key, `${size} counter ${counter}`);
    }
  }
  t.throws(() => aesDerivationKey(h(d.aes128.initial_key), ikid, 0x1ffff), { code: 'dukpt-counter' });
});

t.test('X9.24-3: AES-256 BDK yields every key type; AES-128 refuses a stronger one', async (t) => {
  const d = published.aes_dukpt;
  const ikid = h(d.ikid);
  const derivation = aesDerivationKey(aesInitialKey(h(d.aes256.bdk), ikid), ikid, 1);
  const lengths = { tdes2: 16, tdes3: 24, aes128: 16, aes192: 24, aes256: 32 } as const;
  for (const [type, len] of Object.entries(lengths)) {
    t.equal(aesWorkingKey(derivation, ikid, 1, 'mac-generation', type as keyof typeof lengths).length, len, type);
  }
  const weak = aesDerivationKey(aesInitialKey(h(d.aes128.bdk), ikid), ikid, 1);
  t.throws(() => aesWorkingKey(weak, ikid, 1, 'pin', 'aes256'), { code: 'bad-input' });
});

t.test('ISO 9797-1 padding methods 1, 2, 3 and MACs with each (psec, ISO 9797-1 B.4)', async (t) => {
  const d = published.iso9797;
  for (const p of d.padding as { method: PaddingMethod; data: string; padded: string }[]) {
    t.equal(hex(pad(h(p.data), 8, p.method)), p.padded, `method ${p.method} ${p.data}`);
  }
  for (const c of d.cases as {
    alg: 'x9.9' | 'x9.19';
    key: string;
    data_ascii?: string;
    data_hex?: string;
    padding: PaddingMethod;
    mac: string;
  }[]) {
    const data = c.data_hex ? h(c.data_hex) : Buffer.from(c.data_ascii ?? '', 'latin1');
    t.equal(hex(computeMac(c.alg, h(c.key), data, c.padding)), c.mac, `${c.alg} pad ${c.padding} ${c.key}`);
  }
});

t.test('RFC 4493 AES-CMAC', async (t) => {
  const d = published.aes_cmac;
  for (const c of d.cases as { message: string; mac: string }[]) {
    t.equal(hex(aesCmac(h(d.key), h(c.message))), c.mac, `${c.message.length / 2} bytes`);
  }
});
