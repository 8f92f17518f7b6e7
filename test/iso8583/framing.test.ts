import fc from 'fast-check';
import t from 'tap';
import {
  BOX_LAYOUT,
  buildFrame,
  buildReplyFrame,
  FrameError,
  type FrameLayout,
  FrameSplitter,
  parseFrame,
  swapTpdu,
  withProcessingRequirement,
} from '../../src/iso8583/framing.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Sign-on request frame from examples.md.
const SIGN_ON = hex(`003C 6000030000 603100000000 0800 0020000000C00012 000001 3132333435363738
  313233343536373839303132333435 0011 000000010030 0003 303120`);

t.test('parseFrame splits TPDU, header and message of the sign-on frame', async (t) => {
  const [payload] = new FrameSplitter(BOX_LAYOUT).push(SIGN_ON);
  const f = parseFrame(payload, BOX_LAYOUT);
  t.equal(f.tpdu?.toString('hex'), '6000030000');
  t.equal(f.header?.toString('hex'), '603100000000');
  t.equal(f.message.subarray(0, 2).toString('hex'), '0800');
  t.equal(f.message.length, 0x3c - 11);
  t.same(buildFrame(f, BOX_LAYOUT), SIGN_ON, 'buildFrame reproduces the bytes');
});

t.test('layouts without TPDU/header and with a 4-digit ASCII length', async (t) => {
  const layout: FrameLayout = { length: 'ascii4', tpdu: false, header: false, maxFrameBytes: 100 };
  const msg = Buffer.from('0800ABC', 'latin1');
  const framed = buildFrame({ message: msg }, layout);
  t.equal(framed.toString('latin1'), '00070800ABC');
  const [p] = new FrameSplitter(layout).push(framed);
  t.same(parseFrame(p, layout), { message: msg });
  t.throws(() => new FrameSplitter(layout).push(Buffer.from('00x7abc')), { name: 'FrameError', reason: 'bad-length' });
  t.throws(() => buildFrame({ message: Buffer.alloc(101) }, layout), { name: 'FrameError', reason: 'too-long' });
});

t.test('splitter reassembles frames from arbitrary chunk boundaries', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
      (payloads, cuts) => {
        const stream = Buffer.concat(
          payloads.map((p) => buildFrame({ message: Buffer.from(p) }, { ...BOX_LAYOUT, tpdu: false, header: false })),
        );
        const s = new FrameSplitter(BOX_LAYOUT);
        const got: Buffer[] = [];
        let at = 0;
        let i = 0;
        while (at < stream.length) {
          const n = cuts[i++ % cuts.length];
          got.push(...s.push(stream.subarray(at, at + n)));
          at += n;
        }
        t.equal(s.buffered, 0);
        t.same(
          got.map((b) => b.toString('hex')),
          payloads.map((p) => Buffer.from(p).toString('hex')),
        );
      },
    ),
    { numRuns: 200 },
  );
});

t.test('splitter: keep-alives dropped, partial kept, too-long thrown at once with earlier frames', async (t) => {
  const s = new FrameSplitter(BOX_LAYOUT);
  t.same(s.push(hex('0000 0002 AB')), []);
  t.equal(s.buffered, 3);
  t.same(s.push(hex('CD 00')), [hex('ABCD')]);
  t.equal(s.buffered, 1);
  const err = (() => {
    try {
      s.push(hex('01 EE 1001'));
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof FrameError);
  t.equal((err as FrameError).reason, 'too-long');
  t.same((err as FrameError).complete, [hex('EE')]);
  // Only the length prefix of a huge frame is needed to refuse it.
  t.throws(() => new FrameSplitter(BOX_LAYOUT).push(hex('FFFF')), { name: 'FrameError', reason: 'too-long' });
});

t.test('parseFrame refuses a payload with no message', async (t) => {
  t.throws(() => parseFrame(hex('6000030000 603100000000'), BOX_LAYOUT), { name: 'FrameError', reason: 'too-short' });
  t.throws(() => buildFrame({ tpdu: hex('60'), header: hex('603100000000'), message: hex('08') }, BOX_LAYOUT), {
    name: 'FrameError',
    reason: 'bad-length',
  });
});

t.test('TPDU swap and processing requirement', async (t) => {
  t.equal(swapTpdu(hex('6000030000')).toString('hex'), '6000000003');
  const h = hex('603112000000');
  t.equal(withProcessingRequirement(h, 3).toString('hex'), '603113000000');
  t.equal(h.toString('hex'), '603112000000', 'original untouched');
});

t.test('buildReplyFrame: the bytes and errors of buildFrame over swapTpdu and withProcessingRequirement', async () => {
  const outcome = (fn: () => Buffer) => {
    try {
      return fn().toString('hex');
    } catch (err) {
      return `${(err as Error).constructor.name}: ${(err as Error).message}`;
    }
  };
  const part = (n: number) =>
    fc.oneof(fc.uint8Array({ minLength: n, maxLength: n }), fc.uint8Array({ maxLength: n + 2 }));
  fc.assert(
    fc.property(
      fc.record({ length: fc.constantFrom('binary2', 'ascii4'), tpdu: fc.boolean(), header: fc.boolean() }),
      fc.option(part(5), { nil: undefined }),
      fc.option(part(6), { nil: undefined }),
      fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom(-1, 10, 1.5)),
      fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.constant(new Uint8Array(70000))),
      (l, tpdu, header, requirement, message) => {
        const layout = { ...BOX_LAYOUT, ...l } as FrameLayout;
        const t = tpdu && Buffer.from(tpdu);
        const h = header && Buffer.from(header);
        const m = Buffer.from(message);
        const expected = outcome(() =>
          buildFrame(
            {
              tpdu: layout.tpdu ? swapTpdu(t as Buffer) : undefined,
              header: layout.header ? withProcessingRequirement(h as Buffer, requirement) : undefined,
              message: m,
            },
            layout,
          ),
        );
        const actual = outcome(() => buildReplyFrame(m, layout, t, h, requirement));
        if (actual !== expected) throw new Error(`${actual} ≠ ${expected}`);
      },
    ),
    { numRuns: 2000 },
  );
});
