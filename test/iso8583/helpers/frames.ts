// What the frame-in-place tests (reply-frame, request-frame) share: an outcome compared as bytes or as
// the very same error, frame layouts, TPDU and header parts of the right size mostly, and loose
// messages (keys of any kind, values of any character) that draw the codec's errors as well.
import fc from 'fast-check';
import { BOX_LAYOUT, type FrameLayout, type IsoMessage } from '../../../src/iso8583/index.js';

/** The bytes `fn` returns as hex, or its error: class, field, offset and message. */
export function outcome(fn: () => Buffer): string {
  try {
    return fn().toString('hex');
  } catch (err) {
    const e = err as Error & { field?: unknown; offset?: number };
    return `${e.constructor.name} ${String(e.field)} @${e.offset}: ${e.message}`;
  }
}

/** Layouts of every prefix and part combination, with the given frame size limits. */
export function layouts(maxFrameBytes: number[]): fc.Arbitrary<FrameLayout> {
  return fc
    .record({
      length: fc.constantFrom('binary2', 'ascii4'),
      tpdu: fc.boolean(),
      header: fc.boolean(),
      maxFrameBytes: fc.constantFrom(...maxFrameBytes),
    })
    .map((l) => ({ ...BOX_LAYOUT, ...l }) as FrameLayout);
}

/** A part of `n` bytes mostly; sometimes a wrong size or none (the frame's errors). */
export function framePart(n: number): fc.Arbitrary<Buffer | undefined> {
  return fc.option(
    fc
      .oneof(
        { arbitrary: fc.uint8Array({ minLength: n, maxLength: n }), weight: 6 },
        { arbitrary: fc.uint8Array({ maxLength: n + 2 }), weight: 1 },
      )
      .map((b) => Buffer.from(b)),
    { nil: undefined, freq: 8 },
  );
}

/** Messages with keys of any kind and values of any character, MTIs from `mtis` or any string. */
export function looseMessages(mtis: string[]): fc.Arbitrary<IsoMessage> {
  return fc.record({
    mti: fc.oneof(fc.constantFrom(...mtis), fc.string({ maxLength: 5 })),
    fields: fc.dictionary(
      fc.oneof(fc.integer({ min: 1, max: 130 }).map(String), fc.constantFrom('x', '01', '-1')),
      fc.oneof(fc.string({ maxLength: 24 }), fc.constantFrom('0', '00', '12345678')),
      { maxKeys: 8 },
    ),
  });
}
