// boxfep decode --spec cups-pos|iso87ascii [--frame] [HEX]
// Prints the message as JSON. Without HEX, decodes one hex dump per stdin line; a line that fails
// prints {"error","field","offset"} (offset into that line's bytes) and the exit status becomes 2.
import { BOX_LAYOUT, FrameError, parseFrame, prefixBytes } from '../../iso8583/framing.js';
import { codecFor, isSpecName, SPEC_NAMES, type SpecName } from '../../iso8583/index.js';
import { type ErrorRecord, errorRecord, parseHexInput } from '../../iso8583/text.js';
import { parseFlags, requireFlag } from '../args.js';
import { forEachLine } from '../lines.js';
import { UsageError } from '../usage-error.js';

const HELP = `usage: boxfep decode --spec ${SPEC_NAMES.join('|')} [--frame] [HEX]
  --frame   the input starts with the 2-byte length, TPDU and header (box protocol framing)
  HEX       the message as hex (spaces allowed); without it, one message per stdin line`;

export type ItemResult = { ok: true; out: string } | { ok: false; error: ErrorRecord };

export function specFlag(values: Record<string, unknown>): SpecName {
  const name = requireFlag(values, 'spec');
  if (!isSpecName(name)) throw new UsageError(`unknown spec '${name}' (known: ${SPEC_NAMES.join(', ')})`);
  return name;
}

/** Decodes one hex item to its JSON line, or to an error record with offsets into the item's bytes. */
export function decodeItem(text: string, spec: SpecName, framed: boolean): ItemResult {
  let base = 0;
  try {
    const bytes = parseHexInput(text);
    const codec = codecFor(spec);
    if (!framed) return { ok: true, out: JSON.stringify(codec.decode(bytes)) };
    const pl = prefixBytes(BOX_LAYOUT.length);
    if (bytes.length < pl) throw new FrameError('too-short', `frame of ${bytes.length} bytes has no length prefix`);
    const declared = bytes.readUInt16BE(0);
    if (declared !== bytes.length - pl) {
      throw new FrameError('bad-length', `length prefix says ${declared} bytes but ${bytes.length - pl} follow`);
    }
    const frame = parseFrame(bytes.subarray(pl), BOX_LAYOUT);
    base = bytes.length - frame.message.length;
    const msg = codec.decode(frame.message);
    const hex = (b: Buffer | undefined) => b?.toString('hex').toUpperCase();
    return { ok: true, out: JSON.stringify({ tpdu: hex(frame.tpdu), header: hex(frame.header), ...msg }) };
  } catch (err) {
    return { ok: false, error: errorRecord(err, base) };
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    spec: { type: 'string' },
    frame: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const spec = specFlag(values);
  const framed = values.frame === true;
  if (positionals.length > 0) {
    const r = decodeItem(positionals.join(' '), spec, framed);
    if (!r.ok) throw new UsageError(r.error.error);
    process.stdout.write(`${r.out}\n`);
    return 0;
  }
  return forEachLine((line) => {
    const r = decodeItem(line, spec, framed);
    return r.ok ? r : { ok: false, out: JSON.stringify(r.error) };
  });
}
