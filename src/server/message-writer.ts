// Turns a response or push into bytes on a box's socket: encode, MAC when asked (placeholder field
// 64, MAC over the MAC block, written in place), frame with the box's TPDU swapped and its header
// echoed with the processing-requirement nibble, then queue on the connection's coalesced write.
import type { CryptoService, MacAlgorithm, MacKeyRef } from '../crypto/service.js';
import {
  buildFrame,
  codecFor,
  type IsoMessage,
  macBlock,
  setMac,
  swapTpdu,
  withProcessingRequirement,
} from '../iso8583/index.js';
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
}

export class MessageWriter {
  constructor(private readonly crypto: CryptoService) {}

  /** Encodes (and MACs) a message; the encoded bytes come back for replay or logging. */
  async encode(message: IsoMessage, mac?: WriteOptions['mac']): Promise<Buffer> {
    if (!mac) {
      const fields = { ...message.fields };
      delete fields[64];
      return Buffer.from(codec.encode({ mti: message.mti, fields }));
    }
    // The codec encodes into a shared scratch buffer: copy before awaiting the MAC.
    const encoded = Buffer.from(codec.encode({ mti: message.mti, fields: { ...message.fields, 64: MAC_PLACEHOLDER } }));
    const value = await this.crypto.generateMac(mac.alg, mac.key, macBlock(encoded));
    return setMac(encoded, value);
  }

  frame(conn: BoxConnection, encoded: Buffer, opts: WriteOptions = {}): Buffer {
    const layout = conn.listener.layout;
    const tpdu = layout.tpdu ? swapTpdu(opts.tpdu ?? conn.lastTpdu ?? DEFAULT_TPDU) : undefined;
    const header = layout.header
      ? withProcessingRequirement(opts.header ?? conn.lastHeader ?? DEFAULT_HEADER, opts.requirement ?? 0)
      : undefined;
    return buildFrame({ tpdu, header, message: encoded }, layout);
  }

  async write(conn: BoxConnection, message: IsoMessage, opts: WriteOptions = {}): Promise<Buffer> {
    const encoded = await this.encode(message, opts.mac);
    conn.send(this.frame(conn, encoded, opts));
    return encoded;
  }
}
