// Pooled random hex (src/channels/nonce.ts): the right length, lower-case hex, never the same bytes twice
// (across pool refills too).
import t from 'tap';
import { randomHex } from '../../src/channels/nonce.js';

t.test('randomHex gives 2 × n lower-case hex digits, fresh each call, across pool refills', async (t) => {
  const seen = new Set<string>();
  // 4 KiB pool: 2,000 × 8 bytes refills it several times, 16-byte ids cross the boundary too.
  for (let i = 0; i < 2_000; i++) {
    const nonce = randomHex(8);
    if (!/^[0-9a-f]{16}$/.test(nonce)) t.fail(`nonce ${nonce}`);
    seen.add(nonce);
    const id = randomHex(16);
    if (!/^[0-9a-f]{32}$/.test(id)) t.fail(`id ${id}`);
  }
  t.equal(seen.size, 2_000, 'every nonce well-formed and none repeats');
  t.throws(() => randomHex(5_000), RangeError);
});
