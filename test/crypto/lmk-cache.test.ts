// LMK loading precedence and its development-default warning; DUKPT prefix caches give the same
// keys as a cold walk whatever order counters arrive in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { aesDerivationKey, aesInitialKey } from '../../src/crypto/dukpt/aes.js';
import { countOneBits, type IntermediateKeyCache, tdesCurrentKey, tdesIpek } from '../../src/crypto/dukpt/tdes.js';
import { DEVELOPMENT_LMK_HEX, loadLmk } from '../../src/crypto/lmk.js';

const A = 'A1'.repeat(32);
const B = 'B2'.repeat(16);

t.test('loadLmk: hex, then file, then BOXFEP_LMK, then BOXFEP_LMK_FILE, else a loud dev default', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'boxfep-lmk-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lmk.hex');
  writeFileSync(file, `${B}\n`);
  const warnings: string[] = [];
  const logger = { warn: (_o: object, msg: string) => warnings.push(msg) };
  t.equal(
    loadLmk({ hex: A, file, env: { BOXFEP_LMK: B } })
      .lmk.toString('hex')
      .toUpperCase(),
    A,
  );
  t.equal(
    loadLmk({ file, env: { BOXFEP_LMK: A } })
      .lmk.toString('hex')
      .toUpperCase(),
    B,
  );
  t.equal(
    loadLmk({ env: { BOXFEP_LMK: A, BOXFEP_LMK_FILE: file } })
      .lmk.toString('hex')
      .toUpperCase(),
    A,
  );
  t.equal(loadLmk({ env: { BOXFEP_LMK_FILE: file } }).lmk.length, 16);
  t.same(warnings, [], 'no warning for a configured LMK');
  const dev = loadLmk({ env: {}, logger });
  t.equal(dev.isDevelopmentDefault, true);
  t.equal(dev.lmk.toString('hex').toUpperCase(), DEVELOPMENT_LMK_HEX);
  t.match(warnings[0], /DEVELOPMENT LMK/);
  t.throws(() => loadLmk({ hex: 'ABC' }), { code: 'bad-key' });
  t.throws(() => loadLmk({ hex: 'AB'.repeat(20) }), { code: 'bad-key' });
  t.throws(() => loadLmk({ file: join(dir, 'missing') }), { code: 'bad-key' });
});

function mapCache(): IntermediateKeyCache & { size(): number } {
  const m = new Map<number, Buffer>();
  return { get: (c) => m.get(c), set: (c, k) => void m.set(c, k), size: () => m.size };
}

t.test('TDES prefix cache: same keys as a cold walk, in shuffled order', async (t) => {
  const ksn = Buffer.from('FFFF9876543210E00000', 'hex');
  const ipek = tdesIpek(Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'), ksn);
  const counters = Array.from({ length: 3000 }, (_, i) => (i * 7919 + 3) % 0x1ff800).filter(
    (c) => c > 0 && countOneBits(c) <= 10,
  );
  const cache = mapCache();
  for (const c of counters) {
    t.same(tdesCurrentKey(ipek, ksn, c, cache), tdesCurrentKey(ipek, ksn, c));
  }
  t.ok(cache.size() > 0);
});

t.test('AES prefix cache: same keys as a cold walk, including top-bit counters', async (t) => {
  const ikid = Buffer.from('1234567890123456', 'hex');
  const initial = aesInitialKey(Buffer.from('FEDCBA9876543210F1F1F1F1F1F1F1F1', 'hex'), ikid);
  const counters = [1, 2, 3, 0x80000000, 0x80000001, 0xffff0000, 0xfffe8000, 0x1fffe, 0x20001, 0x7fff0000];
  const cache = mapCache();
  for (const c of [...counters, ...counters.reverse()]) {
    t.same(aesDerivationKey(initial, ikid, c, cache), aesDerivationKey(initial, ikid, c), c.toString(16));
  }
});
