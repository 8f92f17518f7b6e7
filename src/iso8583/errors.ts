/** Where in a message a codec error was found: a field number, the MTI, the bitmap, or the message as a whole. */
export type CodecErrorPlace = number | 'mti' | 'bitmap' | 'message';

/**
 * The one error the codec throws for bad bytes or bad values. It names the place, the byte offset
 * (into the message being decoded, or into the output being encoded) and what was wrong, e.g.
 * `field 35: length 41 exceeds max 37 at offset 57`.
 */
export class CodecError extends Error {
  override name = 'CodecError';
  readonly field?: number | 'mti' | 'bitmap';
  readonly offset: number;
  readonly reason: string;

  constructor(place: CodecErrorPlace, offset: number, reason: string) {
    super(`${describe(place)}: ${reason} at offset ${offset}`);
    if (place !== 'message') this.field = place;
    this.offset = offset;
    this.reason = reason;
  }
}

function describe(place: CodecErrorPlace): string {
  return typeof place === 'number' ? `field ${place}` : place;
}
