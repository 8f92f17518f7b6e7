// Replays the corpus of tricky frames: each decodes to the expected fields or fails with the
// expected field, offset and reason.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { CodecError, codecFor, type SpecName } from '../../src/iso8583/index.js';
import { fixture } from '../helpers/paths.js';

interface Case {
  name: string;
  spec: SpecName;
  hex?: string;
  hexAscii?: string;
  expect: {
    fields?: Record<string, string>;
    error?: { field: number | string | null; offset: number; reason: string };
  };
}
const { cases } = JSON.parse(readFileSync(fixture('iso8583', 'corpus.json'), 'utf8')) as { cases: Case[] };

for (const c of cases) {
  t.test(c.name, async (t) => {
    const bytes =
      c.hex !== undefined
        ? Buffer.from(c.hex.replace(/\s+/g, ''), 'hex')
        : Buffer.from(c.hexAscii!.replace(/\s+/g, ''), 'latin1');
    const codec = codecFor(c.spec);
    if (c.expect.fields) {
      t.same(codec.decode(bytes).fields, c.expect.fields);
      return;
    }
    const want = c.expect.error!;
    const err = (() => {
      try {
        codec.decode(bytes);
      } catch (e) {
        return e;
      }
    })();
    t.ok(err instanceof CodecError, 'a CodecError');
    const e = err as CodecError;
    t.equal(e.field ?? null, want.field);
    t.equal(e.offset, want.offset);
    t.match(e.reason, want.reason);
    t.equal(
      e.message,
      `${e.field === undefined ? 'message' : typeof e.field === 'number' ? `field ${e.field}` : e.field}: ${e.reason} at offset ${e.offset}`,
    );
  });
}
