// Turns a response or push into bytes on a box's socket: encode into the frame's buffer after room
// for its head, MAC when asked (placeholder field 64, MAC over the message's MAC block, written in
// place), write the head (the box's TPDU swapped, its header echoed with the processing-requirement
// nibble), then queue on the connection's coalesced write.
import { type ImmediateMacs, immediateMacsOf } from '../crypto/engine.js';
import type { CryptoService, MacAlgorithm, MacKeyRef } from '../crypto/service.js';
import { codecFor, type IsoMessage, macBlockAt, replyHeadBytes, setMacAt, writeReplyHead } from '../iso8583/index.js';
import type { BoxConnection } from './connection.js';

const codec = codecFor('cups-pos');
const MAC_PLACEHOLDER = '0000000000000000';
const DEFAULT_TPDU = Buffer.from('6000000000', 'hex');
const DEFAULT_HEADER = Buffer.from('603100000000', 'hex');

export interface WriteOptions {
  /** TPDU of the request being answered (swapped here); default: the connection's last one. */
  tpdu?: Buffer;
  /** Header of the request being answered (echoed); default: the connection's last one. */
  header?: Buffer;
  /** Header processing requirement: 0 nothing, 3 sign on again. */
  requirement?: number;
  mac?: { alg: MacAlgorithm; key: MacKeyRef };
  /**
   * The message's fields object is handed over: the MAC placeholder is set in it instead of in a
   * copy (an object spread of integer keys costs over a microsecond).
   */
  fieldsHandedOver?: boolean;
  /**
   * Every own key of the fields object is a field number (see Codec.encodeNumbered): encoded without
   * enumerating its keys.
   */
  fieldsNumbered?: boolean;
  /**
   * With fieldsNumbered: the fields 1-64 the object may hold, as bitmap words (Codec.encodeNumberedMasked);
   * the other slots are not read. Omitted: every slot is read.
   */
  fieldsMask?: { w0: number; w1: number };
}

const ALL_FIELDS = Object.freeze({ w0: -1, w1: -1 });

export class MessageWriter {
  private readonly immediate: ImmediateMacs | undefined;

  constructor(private readonly crypto: CryptoService) {
    this.immediate = immediateMacsOf(crypto);
  }

  /**
   * Encodes (and MACs) a message; the encoded bytes come back for replay or logging, as a buffer of
   * the caller's own (a copy: a view would keep the codec's whole 16 KB slab alive while it is held).
   */
  async encode(message: IsoMessage, mac?: WriteOptions['mac']): Promise<Buffer> {
    return Buffer.from(await this.encodeSoon(message, mac, 0, false, false, ALL_FIELDS));
  }

  /**
   * The message encoded at byte `room` of a buffer of its own (the bytes before it are the caller's),
   * MACed when asked: at once when no MAC is asked for or the crypto service can make it on this
   * stack (session keys on the event loop); a promise only when the MAC is computed elsewhere.
   */
  private encodeSoon(
    message: IsoMessage,
    mac: WriteOptions['mac'],
    room: number,
    handedOver: boolean,
    numbered: boolean,
    mask: { w0: number; w1: number },
  ): Buffer | Promise<Buffer> {
    if (!mac) {
      // Field 64 is never sent without a MAC; a copy without it only when the message has one.
      if (message.fields[64] !== undefined) return codec.encodeAt(room, withoutField64(message));
      return numbered ? codec.encodeNumberedMaskedAt(room, message, mask.w0, mask.w1) : codec.encodeAt(room, message);
    }
    // The codec returns a region no other message shares (a view of its slab, see slab.ts), so the
    // MAC can be written into it in place, after an await if need be.
    let toEncode = message;
    if (handedOver) message.fields[64] = MAC_PLACEHOLDER;
    else toEncode = { mti: message.mti, fields: { ...message.fields, 64: MAC_PLACEHOLDER } };
    // The placeholder's field 64 is bit 1 of the second bitmap word.
    const encoded = numbered
      ? codec.encodeNumberedMaskedAt(room, toEncode, mask.w0, mask.w1 | 1)
      : codec.encodeAt(room, toEncode);
    // The MAC covers the message's bytes only, never the room in front of them.
    const block = macBlockAt(encoded, room);
    const now = this.immediate?.generateMacNow(mac.alg, mac.key, block);
    if (now !== undefined) return setMacAt(encoded, room, now);
    return this.crypto.generateMac(mac.alg, mac.key, block).then((value) => setMacAt(encoded, room, value));
  }

  /**
   * Writes the frame's head (length prefix, the request's TPDU swapped, its header with the
   * requirement nibble) into the room in front of a message encoded by encodeSoon, and queues it.
   */
  private queue(conn: BoxConnection, framed: Buffer, opts: WriteOptions): Buffer {
    const layout = conn.listener.layout;
    // TPDU swapped and header requirement set as the head is written: no copies of either.
    const tpdu = layout.tpdu ? (opts.tpdu ?? conn.lastTpdu ?? DEFAULT_TPDU) : undefined;
    const header = layout.header ? (opts.header ?? conn.lastHeader ?? DEFAULT_HEADER) : undefined;
    conn.send(writeReplyHead(framed, layout, tpdu, header, opts.requirement ?? 0));
    return framed;
  }

  /**
   * Encodes, MACs and queues the frame on the connection: the message is encoded straight into the
   * frame's buffer (one Buffer per reply). Returns the frame straight away when nothing had to be
   * awaited, so the request path takes no promise hop; throws (or rejects) when the message cannot
   * be encoded, MACed or framed.
   */
  send(conn: BoxConnection, message: IsoMessage, opts: WriteOptions = {}): Buffer | Promise<Buffer> {
    const framed = this.encodeSoon(
      message,
      opts.mac,
      replyHeadBytes(conn.listener.layout),
      opts.fieldsHandedOver === true,
      opts.fieldsNumbered === true,
      opts.fieldsMask ?? ALL_FIELDS,
    );
    if (framed instanceof Promise) return framed.then((bytes) => this.queue(conn, bytes, opts));
    return this.queue(conn, framed, opts);
  }

  async write(conn: BoxConnection, message: IsoMessage, opts: WriteOptions = {}): Promise<Buffer> {
    return this.send(conn, message, opts);
  }
}

function withoutField64(message: IsoMessage): IsoMessage {
  const fields = { ...message.fields };
  delete fields[64];
  return { mti: message.mti, fields };
}
