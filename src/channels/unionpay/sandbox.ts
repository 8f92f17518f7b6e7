// An upstream acquiring host on loopback (node:net): the cups-pos messages of the host link, with
// the sandboxes' test payment codes and order state machine. Replies are written when ready, so with
// latency they come back out of order — as from a real multiplexing host. Echoes (0820/301) are
// answered 0830/00 unless `answerEchoes` is off.

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import {
  BOX_LAYOUT,
  buildField59,
  buildFrame,
  codecFor,
  type Frame,
  FrameSplitter,
  type IsoMessage,
  parseField59,
  parseFrame,
  swapTpdu,
} from '../../iso8583/index.js';
import { walletForPaymentCode } from '../routing.js';
import { SimulatedCustomer } from '../sandbox/customer.js';
import { drawRequestFault, type Faults, NO_FAULTS, type RequestFault } from '../sandbox/faults.js';
import { type Account, type CloseVerdict, Ledger, type LedgerOrder, type RefundVerdict } from '../sandbox/ledger.js';
import { type Latency, latencySampler, seededRandom } from '../sandbox/random.js';
import { TAG_ORDER_NO, TAG_REFUND_NO } from './messages.js';

export interface UnionPaySandboxOptions {
  port?: number;
  host?: string;
  latency?: Latency;
  faults?: Partial<Faults>;
  seed?: number;
  payDelayMs?: number;
}

const codec = codecFor('cups-pos');

/** Field 39 of a query by order state: 00 paid, 09 pending, 05 failed/closed. */
const QUERY_CODE: Record<LedgerOrder['state'], string> = {
  created: '09',
  paying: '09',
  paid: '00',
  failed: '05',
  closed: '05',
  reversed: '05',
};

/** Field 39 by the ledger's verdict. */
const PAY_CODE = { paid: '00', paying: '09', 'insufficient-funds': '51', 'system-error': '96' } as const;
const CLOSE_CODE: Record<CloseVerdict['kind'], string> = {
  closed: '00',
  'already-closed': '00',
  'order-paid': '12',
  'not-found': '25',
};
const REFUND_CODE: Record<RefundVerdict['kind'], string> = {
  refunded: '00',
  duplicate: '00',
  'not-found': '25',
  'not-paid': '12',
  exceeds: '64',
  mismatch: '94',
};

export class UnionPaySandbox {
  readonly ledger = new Ledger('UP');
  readonly faults: Faults;
  /** When false, echoes go unanswered (heartbeat tests). */
  answerEchoes = true;
  connectionsAccepted = 0;
  /** Requests received, by MTI. */
  readonly received: Record<string, number> = {};
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly random: () => number;
  private readonly delay: () => number;
  private readonly customer: SimulatedCustomer;
  private rrn = 0;

  constructor(private readonly options: UnionPaySandboxOptions = {}) {
    this.faults = { ...NO_FAULTS, ...options.faults };
    this.random = seededRandom(options.seed ?? 1);
    this.delay = latencySampler(options.latency ?? { kind: 'none' }, this.random);
    this.customer = new SimulatedCustomer(this.ledger, options.payDelayMs ?? 1_000);
    this.server = createServer((socket) => this.onConnection(socket));
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // Exclusive: a sandbox is one ledger, even when started in a cluster worker (a port the primary
      // shared among workers would spread one caller's calls over several ledgers).
      const { port = 0, host = '127.0.0.1' } = this.options;
      this.server.listen({ port, host, exclusive: true }, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Drops every client connection (reconnect tests). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.customer.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  private onConnection(socket: Socket): void {
    this.connectionsAccepted++;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const splitter = new FrameSplitter(BOX_LAYOUT);
    socket.on('data', (chunk: Buffer) => {
      let payloads: Buffer[];
      try {
        payloads = splitter.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      // Replies to the frames of one chunk leave in one writev.
      socket.cork();
      for (const p of payloads) this.onFrame(socket, p);
      socket.uncork();
    });
  }

  private onFrame(socket: Socket, payload: Buffer): void {
    let frame: Frame;
    let req: IsoMessage;
    try {
      frame = parseFrame(payload, BOX_LAYOUT);
      req = codec.decode(frame.message);
    } catch {
      return; // a host drops what it cannot read
    }
    this.received[req.mti] = (this.received[req.mti] ?? 0) + 1;
    const isEcho = req.mti === '0820';
    if (isEcho && !this.answerEchoes) return;
    const fault = isEcho ? 'none' : drawRequestFault(this.faults, this.random);
    let wait = isEcho ? 0 : this.delay();
    if (!isEcho && this.faults.slowRate > 0 && this.random() < this.faults.slowRate) wait += this.faults.slowMs;
    // Answered in the same turn unless a latency is simulated: no promise or timer per frame.
    if (wait > 0) setTimeout(() => this.answer(socket, frame, req, fault), wait);
    else this.answer(socket, frame, req, fault);
  }

  private answer(socket: Socket, frame: Frame, req: IsoMessage, fault: RequestFault): void {
    if (fault === 'drop') {
      socket.destroy();
      return;
    }
    const reply = fault === 'error' ? this.respond(req, '96') : this.handle(req);
    if (!reply || socket.destroyed) return;
    const out = { tpdu: swapTpdu(frame.tpdu!), header: frame.header!, message: codec.encode(reply) };
    socket.write(buildFrame(out, BOX_LAYOUT));
  }

  private respond(req: IsoMessage, code: string, tags: [string, string][] = [], amountFen?: number): IsoMessage {
    const f = req.fields;
    // One literal in field order (the object is sized once); an absent field's undefined is skipped
    // by the encoder, so the bytes are those of setting only the fields present.
    const fields: Record<number, string | undefined> = {
      3: f[3],
      4: amountFen !== undefined ? String(amountFen).padStart(12, '0') : f[4],
      11: f[11],
      25: f[25],
      37: String(++this.rrn).padStart(12, '0'),
      39: code,
      41: f[41],
      42: f[42],
      49: f[49],
      59: tags.length > 0 ? buildField59(tags) : undefined,
      60: f[60],
      63: 'CUP',
    };
    const mti = `${req.mti.slice(0, 2)}${Number(req.mti[2]) + 1}${req.mti[3]}`;
    return { mti, fields: fields as Record<number, string> };
  }

  private handle(req: IsoMessage): IsoMessage | null {
    if (req.mti === '0820') return this.respond(req, '00');
    let tags: Map<string, string>;
    try {
      tags = parseField59(req.fields[59] ?? '');
    } catch {
      return this.respond(req, '30');
    }
    const no = tags.get(TAG_ORDER_NO) ?? '';
    const acct: Account = { appId: req.fields[41] ?? '', merchantId: req.fields[42] ?? '' };
    const amount = Number(req.fields[4] ?? 0);
    const ids = (o: LedgerOrder): [string, string][] => [
      ['A7', 'UP'],
      ['A8', o.channelOrderId],
    ];
    const type = (req.fields[60] ?? '').slice(0, 2);
    if (req.mti === '0200' && req.fields[3] === '000000' && type === '22') {
      const code = tags.get('A3');
      if (!code) return this.precreate(req, acct, no, amount, ids);
      if (walletForPaymentCode(code) !== 'UP') return this.respond(req, '14', [['A9', 'INVALID_CODE']]);
      const v = this.ledger.pay(acct, no, amount, code);
      if (v.kind === 'no-answer') return null;
      if (v.kind === 'order-exists') return this.respond(req, '94', ids(v.order));
      return this.respond(req, PAY_CODE[v.kind], ids(v.order));
    }
    if (req.mti === '0200' && req.fields[3] === '300000') {
      const order = this.ledger.query(acct.merchantId, no);
      if (!order) return this.respond(req, '25');
      return this.respond(req, QUERY_CODE[order.state], ids(order), order.amountFen);
    }
    if (req.mti === '0400') {
      if (req.fields[39] === '06') {
        const v = this.ledger.close(acct.merchantId, no);
        return this.respond(req, CLOSE_CODE[v.kind]);
      }
      const v = this.ledger.cancel(acct, no);
      return this.respond(req, '00', ids(v.order));
    }
    if (req.mti === '0220') {
      const v = this.ledger.refund(acct.merchantId, no, tags.get(TAG_REFUND_NO) ?? '', amount);
      return this.respond(req, REFUND_CODE[v.kind]);
    }
    return this.respond(req, '40');
  }

  private precreate(
    req: IsoMessage,
    acct: Account,
    no: string,
    amount: number,
    ids: (o: LedgerOrder) => [string, string][],
  ): IsoMessage {
    const { order, created } = this.ledger.precreate(acct, no, amount);
    if (!created && order.state !== 'created') return this.respond(req, order.state === 'paid' ? '12' : '05');
    if (created) this.customer.schedule(order, () => {});
    return this.respond(req, '09', [['A6', `https://qr.95516.com/00010000/${order.channelOrderId}`], ...ids(order)]);
  }
}
