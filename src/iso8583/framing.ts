// Framing for the box protocol (box-protocol.md §1):
//   | LEN | TPDU 5 | HEADER 6 | message (MTI onward) |
// LEN is 2 bytes big-endian binary or 4 ASCII digits and counts every byte after itself. TPDU and
// header are optional per listener. The splitter is the only piece that sees raw stream chunks, so it
// is written to never copy a complete frame that arrived in one chunk.

export type LengthPrefix = 'binary2' | 'ascii4';

export interface FrameLayout {
  length: LengthPrefix;
  tpdu: boolean;
  header: boolean;
  /** Largest accepted payload (bytes after the length prefix). */
  maxFrameBytes: number;
}

export const BOX_LAYOUT: FrameLayout = Object.freeze({
  length: 'binary2',
  tpdu: true,
  header: true,
  maxFrameBytes: 4096,
}) as FrameLayout;

export const TPDU_BYTES = 5;
export const HEADER_BYTES = 6;

export interface Frame {
  /** 5 bytes: 0x60, destination (2), source (2). */
  tpdu?: Buffer;
  /** 6 bytes: 12 BCD digits. */
  header?: Buffer;
  /** MTI onward. */
  message: Buffer;
}

export type FrameErrorReason = 'too-long' | 'too-short' | 'bad-length';

export class FrameError extends Error {
  override name = 'FrameError';
  readonly reason: FrameErrorReason;
  /** Payloads the splitter completed in the same push before it met the bad length prefix. */
  readonly complete: Buffer[];

  constructor(reason: FrameErrorReason, message: string, complete: Buffer[] = []) {
    super(message);
    this.reason = reason;
    this.complete = complete;
  }
}

/** Bytes taken by the length prefix itself. */
export function prefixBytes(prefix: LengthPrefix): number {
  return prefix === 'binary2' ? 2 : 4;
}

/** Largest length the prefix can express, capped by the layout's limit. */
function maxPayload(layout: FrameLayout): number {
  return Math.min(layout.maxFrameBytes, layout.length === 'binary2' ? 0xffff : 9999);
}

function readPrefix(buf: Buffer, at: number, prefix: LengthPrefix): number {
  if (prefix === 'binary2') return (buf[at] << 8) | buf[at + 1];
  let n = 0;
  for (let i = at; i < at + 4; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function writePrefix(out: Buffer, length: number, prefix: LengthPrefix): void {
  if (prefix === 'binary2') {
    out.writeUInt16BE(length, 0);
  } else {
    out.write(String(length).padStart(4, '0'), 0, 4, 'latin1');
  }
}

/**
 * Incremental splitter for a byte stream: `push` returns every payload (the bytes after the length
 * prefix) completed by the chunk and keeps the incomplete rest for the next call. Zero-length frames
 * are keep-alives (as in jPOS's channels) and are dropped. A declared length above the layout's
 * `maxFrameBytes` (or a non-digit ASCII prefix) throws a FrameError at once, carrying the payloads
 * completed before it; the stream cannot be resynchronised after that, so the caller closes it.
 */
export class FrameSplitter {
  private readonly prefix: LengthPrefix;
  private readonly prefixLen: number;
  private readonly limit: number;
  private pending: Buffer | null = null;

  constructor(layout: FrameLayout) {
    this.prefix = layout.length;
    this.prefixLen = prefixBytes(layout.length);
    this.limit = maxPayload(layout);
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pending === null ? 0 : this.pending.length;
  }

  push(chunk: Buffer): Buffer[] {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    // Most chunks complete one frame: keep it aside and make an array of exactly the payloads found
    // (an empty array grown by push allocates room for 17).
    let first: Buffer | null = null;
    let more: Buffer[] | null = null;
    let at = 0;
    while (buf.length - at >= this.prefixLen) {
      const len = readPrefix(buf, at, this.prefix);
      if (len < 0) {
        this.pending = buf.subarray(at);
        throw new FrameError('bad-length', `length prefix is not 4 ASCII digits at offset ${at}`, list(first, more));
      }
      if (len > this.limit) {
        this.pending = buf.subarray(at);
        throw new FrameError('too-long', `declared frame length ${len} exceeds max ${this.limit}`, list(first, more));
      }
      const end = at + this.prefixLen + len;
      if (end > buf.length) break;
      if (len > 0) {
        const payload = buf.subarray(at + this.prefixLen, end);
        if (first === null) first = payload;
        else if (more === null) more = [first, payload];
        else more.push(payload);
      }
      at = end;
    }
    // Copy the remainder so a retained partial frame does not pin a large socket chunk.
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at));
    return list(first, more);
  }
}

/** The payloads a push completed, in order, as a new array. */
function list(first: Buffer | null, more: Buffer[] | null): Buffer[] {
  return more !== null ? more : first !== null ? [first] : [];
}

/**
 * Where the message starts in a payload (after the TPDU and header the layout has), for readers that
 * take the parts without parseFrame's views; throws parseFrame's FrameError when no message follows.
 */
export function messageOffset(payload: Buffer, layout: FrameLayout): number {
  const head = (layout.tpdu ? TPDU_BYTES : 0) + (layout.header ? HEADER_BYTES : 0);
  if (payload.length <= head) {
    throw new FrameError(
      'too-short',
      `frame of ${payload.length} bytes has no message after ${head} bytes of TPDU/header`,
    );
  }
  return head;
}

/** Splits a payload into TPDU, header and message as the layout says. */
export function parseFrame(payload: Buffer, layout: FrameLayout): Frame {
  messageOffset(payload, layout);
  let at = 0;
  const frame: Frame = { message: payload };
  if (layout.tpdu) {
    frame.tpdu = payload.subarray(0, TPDU_BYTES);
    at = TPDU_BYTES;
  }
  if (layout.header) {
    frame.header = payload.subarray(at, at + HEADER_BYTES);
    at += HEADER_BYTES;
  }
  frame.message = payload.subarray(at);
  return frame;
}

function requirePart(part: Buffer | undefined, size: number, name: string): Buffer {
  if (part === undefined || part.length !== size) {
    throw new FrameError(
      'bad-length',
      `${name} must be ${size} bytes, got ${part === undefined ? 'none' : part.length}`,
    );
  }
  return part;
}

/** Writes the length prefix of a payload of `payloadLen` bytes, refused when over the layout's maximum. */
function writeCheckedPrefix(out: Buffer, payloadLen: number, layout: FrameLayout): void {
  const limit = maxPayload(layout);
  if (payloadLen > limit) throw new FrameError('too-long', `frame length ${payloadLen} exceeds max ${limit}`);
  writePrefix(out, payloadLen, layout.length);
}

/** Length prefix + TPDU + header + message, as one buffer. */
export function buildFrame(frame: Frame, layout: FrameLayout): Buffer {
  const head = replyHeadBytes(layout);
  const out = Buffer.allocUnsafe(head + frame.message.length);
  frame.message.copy(out, head);
  return writeFrameHead(out, layout, frame.tpdu, frame.header);
}

/**
 * Makes `frame` a frame of its own TPDU and header (a request, as the UnionPay link sends): its
 * message already follows replyHeadBytes(layout) bytes of room (as Codec.encodeAt leaves it), and the
 * length prefix, `tpdu` and `header` are written into that room. buildFrame's checks and errors, in
 * its order; nothing is written when one fails. Returns `frame`.
 */
export function writeFrameHead(
  frame: Buffer,
  layout: FrameLayout,
  tpdu: Buffer | undefined,
  header: Buffer | undefined,
): Buffer {
  const t = layout.tpdu ? requirePart(tpdu, TPDU_BYTES, 'TPDU') : null;
  const h = layout.header ? requirePart(header, HEADER_BYTES, 'header') : null;
  let at = prefixBytes(layout.length);
  writeCheckedPrefix(frame, frame.length - at, layout);
  if (t) at += t.copy(frame, at);
  if (h) h.copy(frame, at);
  return frame;
}

/**
 * The frame of a reply, in one buffer: buildFrame of { swapTpdu(tpdu), withProcessingRequirement(header,
 * requirement), message } without the two intermediate copies. Same checks, same errors, same order.
 */
export function buildReplyFrame(
  message: Buffer,
  layout: FrameLayout,
  requestTpdu: Buffer | undefined,
  requestHeader: Buffer | undefined,
  requirement: number,
): Buffer {
  const head = replyHeadBytes(layout);
  const out = Buffer.allocUnsafe(head + message.length);
  message.copy(out, head);
  return writeReplyHead(out, layout, requestTpdu, requestHeader, requirement);
}

/** Bytes in front of a reply's message: the length prefix, TPDU and header the layout has. */
export function replyHeadBytes(layout: FrameLayout): number {
  return prefixBytes(layout.length) + (layout.tpdu ? TPDU_BYTES : 0) + (layout.header ? HEADER_BYTES : 0);
}

/**
 * Makes `frame` a reply frame: its message already follows replyHeadBytes(layout) bytes of room (as
 * Codec.encodeAt leaves it), and the length prefix, the swapped TPDU and the header with the
 * requirement nibble are written into that room. buildReplyFrame's checks and errors, in its order;
 * nothing is written when one fails. Returns `frame`.
 */
export function writeReplyHead(
  frame: Buffer,
  layout: FrameLayout,
  requestTpdu: Buffer | undefined,
  requestHeader: Buffer | undefined,
  requirement: number,
): Buffer {
  if (layout.tpdu) requirePart(requestTpdu, TPDU_BYTES, 'TPDU');
  if (layout.header) {
    requirePart(requestHeader, HEADER_BYTES, 'header');
    checkRequirement(requirement);
  }
  let at = prefixBytes(layout.length);
  writeCheckedPrefix(frame, frame.length - at, layout);
  if (layout.tpdu) {
    const t = requestTpdu as Buffer;
    frame[at] = t[0];
    frame[at + 1] = t[3];
    frame[at + 2] = t[4];
    frame[at + 3] = t[1];
    frame[at + 4] = t[2];
    at += TPDU_BYTES;
  }
  if (layout.header) {
    const h = requestHeader as Buffer;
    for (let i = 0; i < HEADER_BYTES; i++) frame[at + i] = h[i];
    frame[at + 2] = (h[2] & 0xf0) | requirement;
  }
  return frame;
}

/** The reply TPDU: `60 DDDD SSSS` → `60 SSSS DDDD` (a copy). */
export function swapTpdu(tpdu: Buffer): Buffer {
  requirePart(tpdu, TPDU_BYTES, 'TPDU');
  return Buffer.from([tpdu[0], tpdu[3], tpdu[4], tpdu[1], tpdu[2]]);
}

/** A copy of the 6-byte header with the processing-requirement nibble (low nibble of byte 2) set. */
export function withProcessingRequirement(header: Buffer, nibble: number): Buffer {
  requirePart(header, HEADER_BYTES, 'header');
  checkRequirement(nibble);
  const out = Buffer.from(header);
  out[2] = (out[2] & 0xf0) | nibble;
  return out;
}

function checkRequirement(nibble: number): void {
  if (!Number.isInteger(nibble) || nibble < 0 || nibble > 9) {
    throw new RangeError(`processing requirement must be a digit 0..9, got ${nibble}`);
  }
}
