// Public API of the ISO 8583 codec.
import { Codec } from './codec.js';
import { getSpec, type SpecName } from './specs/index.js';

export { Codec, fieldNumberOf, type IsoMessage, type PartialMessage } from './codec.js';
export { CodecError, type CodecErrorPlace } from './errors.js';
export { buildBerTlv, parseBerTlv, type TlvItem } from './fields/ber-tlv.js';
export { appendField59Item, buildField59, field59Item, parseField59 } from './fields/field59.js';
export { buildField60, type Field60, parseField60 } from './fields/field60.js';
export { buildField61, type Field61, parseField61 } from './fields/field61.js';
export * from './framing.js';
export { macBlock, macBlockAt, macOf, setMac, setMacAt } from './mac.js';
export type { Encoding, FieldDef, Format, LengthType, LengthUnits, Padding, PrefixEncoding, Spec } from './spec.js';
export { getSpec, isSpecName, SPEC_NAMES, type SpecName } from './specs/index.js';

const codecs = new Map<SpecName, Codec>();

/** The shared codec of a named spec (compiled once). */
export function codecFor(name: SpecName): Codec {
  let c = codecs.get(name);
  if (c === undefined) {
    c = new Codec(getSpec(name));
    codecs.set(name, c);
  }
  return c;
}

/**
 * Best-effort read of MTI, STAN (11), TID (41) and MID (42) from a cups-pos message that does not
 * decode, so that the `30` format-error reply can still echo them. Never throws.
 */
export function peekIdentity(message: Buffer): { mti?: string; stan?: string; tid?: string; mid?: string } {
  const partial = codecFor('cups-pos').decodePartial(message);
  const out: { mti?: string; stan?: string; tid?: string; mid?: string } = {};
  if (partial.mti !== undefined) out.mti = partial.mti;
  const f = partial.fields;
  if (f[11] !== undefined) out.stan = f[11];
  if (f[41] !== undefined) out.tid = f[41];
  if (f[42] !== undefined) out.mid = f[42];
  return out;
}
