// boxfep encode --spec cups-pos|iso87ascii [--frame --tpdu HEX --header HEX] [JSON]
// JSON is {"mti":"0200","fields":{"3":"000000",...}}; with --frame it may also carry "tpdu" and
// "header" (as `decode --frame` prints them), which take precedence over the flags. Prints uppercase
// hex. Without JSON, encodes one JSON object per stdin line; failures print an error record per line.
import { BOX_LAYOUT, buildFrame, HEADER_BYTES, TPDU_BYTES } from '../../iso8583/framing.js';
import { codecFor, type IsoMessage, SPEC_NAMES, type SpecName } from '../../iso8583/index.js';
import { errorRecord, InputError, parseHexPart } from '../../iso8583/text.js';
import { parseFlags } from '../args.js';
import { forEachLine } from '../lines.js';
import { UsageError } from '../usage-error.js';
import { type ItemResult, specFlag } from './decode.js';

const HELP = `usage: boxfep encode --spec ${SPEC_NAMES.join('|')} [--frame --tpdu HEX --header HEX] [JSON]
  --frame          prepend the 2-byte length, TPDU and header (box protocol framing)
  --tpdu, --header defaults for framed items whose JSON has no "tpdu"/"header"
  JSON             {"mti":"0200","fields":{"3":"000000",...}}; without it, one object per stdin line`;

interface FrameDefaults {
  tpdu?: string;
  header?: string;
}

function parseItem(text: string): IsoMessage & { tpdu?: unknown; header?: unknown } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not JSON: ${(err as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError('expected a JSON object');
  const o = v as Record<string, unknown>;
  if (o.fields !== undefined && (o.fields === null || typeof o.fields !== 'object' || Array.isArray(o.fields))) {
    throw new InputError('"fields" must be an object');
  }
  return o as unknown as IsoMessage;
}

export function encodeItem(text: string, spec: SpecName, frame: FrameDefaults | null): ItemResult {
  try {
    const item = parseItem(text);
    const message = codecFor(spec).encode({ mti: item.mti, fields: item.fields ?? {} });
    if (frame === null) return { ok: true, out: message.toString('hex').toUpperCase() };
    const tpdu = parseHexPart(item.tpdu ?? frame.tpdu, 'tpdu', TPDU_BYTES);
    const header = parseHexPart(item.header ?? frame.header, 'header', HEADER_BYTES);
    return { ok: true, out: buildFrame({ tpdu, header, message }, BOX_LAYOUT).toString('hex').toUpperCase() };
  } catch (err) {
    return { ok: false, error: errorRecord(err) };
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    spec: { type: 'string' },
    frame: { type: 'boolean', default: false },
    tpdu: { type: 'string' },
    header: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const spec = specFlag(values);
  if (!values.frame && (values.tpdu !== undefined || values.header !== undefined)) {
    throw new UsageError('--tpdu and --header need --frame');
  }
  const frame = values.frame ? { tpdu: values.tpdu, header: values.header } : null;
  if (positionals.length > 0) {
    const r = encodeItem(positionals.join(' '), spec, frame);
    if (!r.ok) throw new UsageError(r.error.error);
    process.stdout.write(`${r.out}\n`);
    return 0;
  }
  return forEachLine((line) => {
    const r = encodeItem(line, spec, frame);
    return r.ok ? r : { ok: false, out: JSON.stringify(r.error) };
  });
}
