// Messages encoded by pyiso8583 (an independent codec) decode identically, and boxfep encodes the
// same fields to the same bytes.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { codecFor, type SpecName } from '../../src/iso8583/index.js';
import { fixture } from '../helpers/paths.js';

interface Fixture {
  generator: string;
  spec: SpecName;
  messages: { hex: string; mti: string; fields: Record<string, string> }[];
}

for (const name of ['cups-pos', 'iso87ascii'] as const) {
  const fx = JSON.parse(readFileSync(fixture('iso8583', `interop-${name}.json`), 'utf8')) as Fixture;
  t.test(`${name}: ${fx.messages.length} messages from ${fx.generator}`, async (t) => {
    t.equal(fx.spec, name);
    t.ok(fx.messages.length >= 50);
    const codec = codecFor(name);
    for (const [i, m] of fx.messages.entries()) {
      const wire = Buffer.from(m.hex, 'hex');
      t.same(codec.decode(wire), { mti: m.mti, fields: m.fields }, `message ${i} decodes`);
      t.equal(
        codec.encode({ mti: m.mti, fields: m.fields }).toString('hex').toUpperCase(),
        m.hex,
        `message ${i} encodes`,
      );
    }
  });
}
