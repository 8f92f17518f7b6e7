// A box emulator: does what a QR payment box does on the wire — connect, sign on (decrypting field 62
// and checking its key check values), MAC requests, match replies by MTI and STAN, verify reply MACs,
// and answer 0620 result pushes with a MACed 0630. Used by the tests, bench/ and `boxfep box`.
import { connect, type Socket } from 'node:net';
import {
  BOX_LAYOUT,
  buildField59,
  buildFrame,
  codecFor,
  type Frame,
  type FrameLayout,
  FrameSplitter,
  type IsoMessage,
  macBlock,
  macOf,
  parseField59,
  parseField60,
  parseFrame,
  prefixBytes,
  setMac,
  swapTpdu,
} from '../iso8583/index.js';
import { type BoxKeyOptions, BoxKeys } from './keys.js';
import * as msg from './messages.js';
import { type Deadline, type DeadlineQueue, deadlineQueue } from './reply-deadlines.js';

const codec = codecFor('cups-pos');
const MAC_PLACEHOLDER = '0000000000000000';
/** KSNs a DUKPT box remembers to check pushes against (requests in flight at once, and some). */
const RECENT_KSNS = 8;

export interface BoxOptions extends BoxKeyOptions {
  host?: string;
  port: number;
  tid: string;
  mid: string;
  /** Batch the box starts with; sign-on replaces it with boxfep's (60.2 of the 0810). */
  batch?: string;
  layout?: Partial<FrameLayout>;
  /** Request TPDU, hex (default 6000030000: to NII 0003 from 0000). */
  tpdu?: string;
  /** Request header, hex (default 603100000000). */
  header?: string;
  /** How long to wait for a reply (default 60 s: longer than boxfep's 45 s pay deadline). */
  replyTimeoutMs?: number;
  /** Hardware serial sent in 59.A2 of sales. */
  serial?: string;
  /** First STAN (default 1). */
  stan?: number;
  /** Answer 0620 pushes with 0630 automatically (default true). */
  ackPushes?: boolean;
}

export interface Reply {
  /** The request as sent (with its MAC and, for DUKPT boxes, 59.A5). */
  request: IsoMessage;
  message: IsoMessage;
  /** Field 39. */
  rc: string | undefined;
  /** Header processing requirement (3 = sign on again); undefined without a header. */
  requirement: number | undefined;
  tpdu: Buffer | undefined;
  /** true/false when the reply carries field 64, undefined when it has none. */
  macValid: boolean | undefined;
  /** The exchange's bytes, for printing. */
  requestFrame: Buffer;
  replyFrame: Buffer;
  ms: number;
}

export interface PushEvent {
  message: IsoMessage;
  macValid: boolean | undefined;
}

export interface ExchangeOptions {
  /** MAC the request (default true; network management and settlement pass false). */
  mac?: boolean;
  /** Send a wrong MAC (tests of boxfep's A0 handling). */
  corruptMac?: boolean;
}

export class BoxError extends Error {
  override name = 'BoxError';
}

/** A request waiting for its reply; its timeout is watched by the box's DeadlineQueue. */
class Pending implements Deadline {
  settled = false;
  readonly due: number;

  constructor(
    private readonly waiting: Map<string, Pending>,
    private readonly key: string,
    readonly request: IsoMessage,
    readonly requestFrame: Buffer,
    readonly started: number,
    private readonly timeoutMs: number,
    readonly resolve: (r: Reply) => void,
    readonly reject: (e: Error) => void,
  ) {
    this.due = performance.now() + timeoutMs;
  }

  expire(): void {
    this.waiting.delete(this.key);
    const { mti, fields } = this.request;
    this.reject(new BoxError(`no reply to ${mti} STAN ${fields[11]} within ${this.timeoutMs} ms`));
  }
}

export class Box {
  readonly keys: BoxKeys;
  readonly layout: FrameLayout;
  batch: string;
  readonly pushes: PushEvent[] = [];
  /**
   * Takes each 0620 push as it arrives (after the MAC check, before the 0630) instead of the queue
   * that nextPush() reads: the load generator matches thousands of boxes' pushes without polling.
   */
  pushListener: ((event: PushEvent) => void) | undefined;
  private stan: number;
  private readonly tpdu: Buffer;
  private readonly header: Buffer;
  private readonly splitter: FrameSplitter;
  private readonly pending = new Map<string, Pending>();
  private readonly replyTimeoutMs: number;
  private readonly deadlines: DeadlineQueue;
  private pushWaiters: Array<(p: PushEvent) => void> = [];
  /** A DUKPT box's latest KSNs, newest first: the one a push is MACed under is among them. */
  private readonly recentKsns: string[] = [];
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly opts: BoxOptions,
  ) {
    this.keys = new BoxKeys(opts);
    this.layout = { ...BOX_LAYOUT, ...opts.layout };
    this.batch = opts.batch ?? '000001';
    this.stan = opts.stan ?? 1;
    this.tpdu = Buffer.from(opts.tpdu ?? '6000030000', 'hex');
    this.header = Buffer.from(opts.header ?? '603100000000', 'hex');
    this.splitter = new FrameSplitter({ ...this.layout, maxFrameBytes: 65535 });
    this.replyTimeoutMs = opts.replyTimeoutMs ?? 60_000;
    this.deadlines = deadlineQueue(this.replyTimeoutMs);
    socket.setNoDelay(true);
    socket.on('close', () => this.failAll(new BoxError('connection closed by boxfep')));
    socket.on('error', (err) => this.failAll(new BoxError(`connection error: ${err.message}`)));
  }

  /**
   * Connects a box. Bytes are received with net's `onread` into one buffer shared by every box of
   * the process instead of a new Buffer and a stream 'data' event per read: onData consumes each
   * read synchronously (the splitter copies a partial frame, replies copy what they keep), so the
   * buffer is free again before the next read of any socket.
   */
  static connect(opts: BoxOptions): Promise<Box> {
    return new Promise((resolve, reject) => {
      let box: Box | undefined;
      const buffer = receiveBuffer();
      const onread = (n: number): boolean => {
        box?.onData(buffer.subarray(0, n));
        return true;
      };
      const socket = connect(
        { host: opts.host ?? '127.0.0.1', port: opts.port, onread: { buffer, callback: onread } },
        () => {
          socket.off('error', reject);
          box = new Box(socket, opts);
          resolve(box);
        },
      );
      socket.once('error', reject);
    });
  }

  get tid(): string {
    return this.opts.tid;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Resolves when boxfep closes the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new BoxError(`still connected after ${timeoutMs} ms`)), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  nextStan(): string {
    const s = String(this.stan).padStart(6, '0');
    this.stan = this.stan >= 999_999 ? 1 : this.stan + 1;
    return s;
  }

  private get identity(): msg.Identity {
    return { tid: this.opts.tid, mid: this.opts.mid, batch: this.batch };
  }

  // --- transactions --------------------------------------------------------------------------

  async signOn(netCode: '003' | '004' = '003'): Promise<Reply> {
    const reply = await this.exchange(msg.signOnRequest(this.identity, this.nextStan(), netCode), { mac: false });
    if (reply.rc === '00') {
      const f60 = reply.message.fields[60];
      if (f60) this.batch = parseField60(f60).batch;
      const f62 = reply.message.fields[62];
      if (this.keys.keyMode === 'session') {
        if (!f62) throw new BoxError('0810 approved without working keys in field 62');
        this.keys.acceptField62(f62);
      }
    }
    return reply;
  }

  signOff(): Promise<Reply> {
    return this.exchange(msg.signOffRequest(this.identity, this.nextStan()), { mac: false }).then((r) => {
      if (r.rc === '00') this.keys.forget();
      return r;
    });
  }

  echo(): Promise<Reply> {
    return this.exchange(msg.echoRequest(this.identity, this.nextStan()), { mac: false });
  }

  sale(amountFen: number, paymentCode: string): Promise<Reply> {
    return this.exchange(msg.saleRequest(this.identity, this.nextStan(), amountFen, paymentCode, this.opts.serial));
  }

  precreate(amountFen: number, wallet: 'WX' | 'AL' | 'UP' | 'AG'): Promise<Reply> {
    return this.exchange(msg.precreateRequest(this.identity, this.nextStan(), amountFen, wallet));
  }

  query(original: msg.OriginalRef): Promise<Reply> {
    return this.exchange(msg.queryRequest(this.identity, this.nextStan(), original));
  }

  void(amountFen: number, original: msg.OriginalRef): Promise<Reply> {
    return this.exchange(msg.voidRequest(this.identity, this.nextStan(), amountFen, original));
  }

  refund(amountFen: number, original: msg.OriginalRef): Promise<Reply> {
    return this.exchange(msg.refundRequest(this.identity, this.nextStan(), amountFen, original));
  }

  /** Reverses an earlier request of this box (its message as sent, e.g. `reply.request`). */
  reverse(original: IsoMessage, reason = '98'): Promise<Reply> {
    return this.exchange(msg.reversalRequest(original, reason));
  }

  settle(totals: msg.SettlementTotals): Promise<Reply> {
    return this.exchange(msg.settlementRequest(this.identity, this.nextStan(), totals), { mac: false });
  }

  // --- the wire --------------------------------------------------------------------------------

  /** Encodes `request` with its MAC (unless `mac: false`), frames it and sends raw bytes. */
  encodeRequest(request: IsoMessage, opts: ExchangeOptions = {}): Buffer {
    const fields = { ...request.fields };
    const mac = opts.mac ?? true;
    let ksn: string | undefined;
    if (mac && this.keys.keyMode !== 'session') {
      ksn = this.keys.nextKsn();
      this.recentKsns.unshift(ksn);
      if (this.recentKsns.length > RECENT_KSNS) this.recentKsns.pop();
      const items = fields[59] ? [...parseField59(fields[59])].filter(([t]) => t !== 'A5') : [];
      items.push(['A5', ksn]);
      fields[59] = buildField59(items);
    }
    if (mac) fields[64] = MAC_PLACEHOLDER;
    else delete fields[64];
    const encoded = codec.encode({ mti: request.mti, fields });
    if (mac) {
      const value = this.keys.mac64(macBlock(encoded), 'request', ksn);
      // A deliberately wrong MAC, for exercising boxfep's A0 path.
      if (opts.corruptMac) value[0] ^= 0x01;
      setMac(encoded, value);
      fields[64] = value.toString('hex').toUpperCase();
    }
    request.fields = fields;
    return buildFrame(
      {
        tpdu: this.layout.tpdu ? this.tpdu : undefined,
        header: this.layout.header ? this.header : undefined,
        message: encoded,
      },
      this.layout,
    );
  }

  /**
   * Sends a request and waits for the reply with the matching MTI and STAN. Not an async function:
   * the reply is built where it arrives (onData) and settles this one promise, no second one awaited.
   */
  exchange(request: IsoMessage, opts: ExchangeOptions = {}): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const started = performance.now();
    let frame: Buffer;
    try {
      frame = this.encodeRequest(request, opts);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = `${replyMti(request.mti)}:${request.fields[11] ?? ''}`;
    if (this.pending.has(key)) {
      return Promise.reject(new BoxError(`a request with STAN ${request.fields[11]} is already waiting`));
    }
    return new Promise<Reply>((resolve, reject) => {
      const p = new Pending(this.pending, key, request, frame, started, this.replyTimeoutMs, resolve, reject);
      this.pending.set(key, p);
      this.deadlines.add(p);
      this.socket.write(frame);
    });
  }

  /** The Reply to `p` from its reply frame (`payload`: the bytes after the length prefix). */
  private reply(p: Pending, message: IsoMessage, payload: Buffer, parts: Frame): Reply {
    return {
      request: p.request,
      message,
      rc: message.fields[39],
      requirement: parts.header ? parts.header[2] & 0x0f : undefined,
      // A copy: the frame lies in the receive buffer, which the next read overwrites.
      tpdu: parts.tpdu && Buffer.from(parts.tpdu),
      macValid: this.checkMac(parts.message, message, p.request),
      requestFrame: p.requestFrame,
      replyFrame: withLengthPrefix(payload, this.layout),
      ms: performance.now() - p.started,
    };
  }

  /** Writes raw bytes (tests use it for garbage and truncated frames). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private checkMac(encoded: Buffer, message: IsoMessage, request: IsoMessage | undefined): boolean | undefined {
    if (message.fields[64] === undefined) return undefined;
    if (!this.keys.signedOn) return false;
    if (this.keys.keyMode === 'session') return this.macMatches(encoded, undefined);
    // DUKPT replies are MACed under the response key of the request's KSN; a push (no request) under
    // the KSN of the last request boxfep accepted — one of ours sent lately, as a request may still be
    // on its way when the push is made.
    if (request !== undefined) {
      // (A request without one: the box's current KSN, as before.)
      const ksn = request.fields[59] ? parseField59(request.fields[59]).get('A5') : undefined;
      return this.macMatches(encoded, ksn);
    }
    return this.recentKsns.some((ksn) => this.macMatches(encoded, ksn));
  }

  private macMatches(encoded: Buffer, ksn: string | undefined): boolean {
    try {
      return this.keys.mac64(macBlock(encoded), 'response', ksn).equals(macOf(encoded));
    } catch {
      return false;
    }
  }

  private onData(chunk: Buffer): void {
    let payloads: Buffer[];
    try {
      payloads = this.splitter.push(chunk);
    } catch (err) {
      this.failAll(new BoxError(`bad frame from boxfep: ${(err as Error).message}`));
      this.socket.destroy();
      return;
    }
    for (const payload of payloads) {
      const parts = parseFrame(payload, this.layout);
      const bytes = parts.message;
      let message: IsoMessage;
      try {
        message = codec.decode(bytes);
      } catch (err) {
        this.failAll(new BoxError(`undecodable reply from boxfep: ${(err as Error).message}`));
        return;
      }
      if (message.mti === '0620') {
        this.onPush(message, bytes, parts);
        continue;
      }
      const key = `${message.mti}:${message.fields[11] ?? ''}`;
      const p = this.pending.get(key);
      if (p === undefined) continue;
      this.pending.delete(key);
      this.deadlines.settle(p);
      let reply: Reply;
      try {
        reply = this.reply(p, message, payload, parts);
      } catch (err) {
        p.reject(err as Error);
        continue;
      }
      p.resolve(reply);
    }
  }

  private onPush(message: IsoMessage, encoded: Buffer, parts: Frame): void {
    const macValid = this.checkMac(encoded, message, undefined);
    const event = { message, macValid };
    if (this.pushListener !== undefined) {
      this.pushListener(event);
    } else {
      this.pushes.push(event);
      const waiters = this.pushWaiters;
      this.pushWaiters = [];
      for (const w of waiters) w(event);
    }
    if (this.opts.ackPushes === false || !macValid) return;
    const f = message.fields;
    const ack: IsoMessage = { mti: '0630', fields: { 39: '00' } };
    for (const n of [3, 4, 11, 41, 42, 60]) if (f[n] !== undefined) ack.fields[n] = f[n];
    const encodedAck = this.encodeRequest(ack);
    // The ack goes back with the push's TPDU swapped, like any reply.
    if (parts.tpdu) swapTpdu(parts.tpdu).copy(encodedAck, this.layout.length === 'binary2' ? 2 : 4);
    this.socket.write(encodedAck);
  }

  /** Resolves with the next 0620 push (or one already received and not yet taken). */
  nextPush(timeoutMs = 10_000): Promise<PushEvent> {
    const ready = this.pushes.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new BoxError(`no push within ${timeoutMs} ms`)), timeoutMs);
      this.pushWaiters.push((p) => {
        clearTimeout(t);
        this.pushes.splice(this.pushes.indexOf(p), 1);
        resolve(p);
      });
    });
  }

  private failAll(err: Error): void {
    this.closedError ??= err;
    for (const [key, p] of this.pending) {
      this.deadlines.settle(p);
      p.reject(err);
      this.pending.delete(key);
    }
  }

  close(): void {
    this.closedError ??= new BoxError('box closed');
    this.socket.destroy();
  }
}

/** The receive buffer of every box in this process (see Box.connect): a frame fits whole. */
let sharedReceiveBuffer: Buffer | undefined;

function receiveBuffer(): Buffer {
  sharedReceiveBuffer ??= Buffer.allocUnsafe(65_536);
  return sharedReceiveBuffer;
}

export function replyMti(mti: string): string {
  return mti.slice(0, 2) + String(Number(mti[2]) + 1) + mti[3];
}

/** The frame as it came on the wire: a copy of the payload behind its length prefix. */
function withLengthPrefix(payload: Buffer, layout: FrameLayout): Buffer {
  const prefix = prefixBytes(layout.length);
  const frame = Buffer.allocUnsafe(prefix + payload.length);
  if (layout.length === 'binary2') frame.writeUInt16BE(payload.length, 0);
  else frame.write(String(payload.length).padStart(4, '0'), 0, 'latin1');
  payload.copy(frame, prefix);
  return frame;
}
