// UnionPay-host connector: the box protocol's ISO 8583 (cups-pos) to an upstream acquiring host over
// N persistent TCP links, many requests in flight on each. A reply is matched to its request by
// TID + STAN + MTI class; a second request with a key already in flight is refused; a reply that
// matches nothing is counted and dropped. Requests go to the ready link with the fewest in flight.

import { ChurnMap } from '../../heap/churn-map.js';
import type { IsoMessage } from '../../iso8583/index.js';
import { type Logger, silentLogger } from '../../log/logger.js';
import { channelRejected, channelUnmatchedReplies, trackConnections } from '../../metrics/channels.js';
import type {
  CancelRequest,
  Channel,
  ChannelOperation,
  ChannelResult,
  CloseRequest,
  PayRequest,
  PrecreateRequest,
  QueryRequest,
  RefundRequest,
} from '../channel.js';
import { type AttemptDeadline, CallGuard, type GuardOptions, NotSentError } from '../guard.js';
import { Link, type LinkOptions } from './link.js';
import { buildHostRequest, interpretHostReply } from './messages.js';

export interface UnionPayConnectorOptions extends Partial<Omit<LinkOptions, 'host' | 'port'>> {
  host: string;
  port: number;
  /** Persistent TCP links to the host. */
  links?: number;
  /** boxfep's own terminal id on the host, for echo messages (field 41). */
  fepTid?: string;
  fepMid?: string;
  /** Wait for an echo reply, ms (default 5000). */
  heartbeatTimeoutMs?: number;
  /** Batch number sent in 60.2. */
  batch?: string;
  guard?: Partial<GuardOptions>;
  logger?: Logger;
}

export class DuplicateKeyError extends Error {
  override name = 'DuplicateKeyError';
}

/**
 * A request written on a link and not yet answered; settles once, whichever comes first. Settling lets
 * go of the promise's resolvers, and through them of the reply: a table the Map left behind may still
 * point to this object (src/heap/churn-map.ts says why); it kept 87 % of the decoded host replies
 * through a scavenge. Exported for its unit test.
 */
export class Pending {
  private settled = false;
  /** Removes an AbortSignal listener, for exchanges cancelled by a signal. */
  detach: (() => void) | undefined;
  private onReply: ((m: IsoMessage) => void) | undefined;
  private onError: ((e: unknown) => void) | undefined;

  constructor(
    private readonly key: string,
    readonly link: Link,
    private readonly table: ChurnMap<string, Pending>,
    onReply: (m: IsoMessage) => void,
    onError: (e: unknown) => void,
  ) {
    this.onReply = onReply;
    this.onError = onError;
    table.set(key, this);
    link.inFlight++;
  }

  resolve(m: IsoMessage): void {
    const onReply = this.onReply;
    if (this.settle()) onReply?.(m);
  }

  reject(e: unknown): void {
    const onError = this.onError;
    if (this.settle()) onError?.(e);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.table.delete(this.key);
    this.link.inFlight--;
    this.detach?.();
    this.detach = undefined;
    this.onReply = undefined;
    this.onError = undefined;
    return true;
  }
}

/** TID + STAN + MTI class (0200/0210 → "02"): what makes a reply this request's reply. */
export const matchKey = (m: IsoMessage) => `${m.fields[41] ?? ''}|${m.fields[11] ?? ''}|${m.mti.slice(0, 2)}`;

export class UnionPayConnector implements Channel {
  readonly wallet = 'UP' as const;
  readonly guard: CallGuard;
  readonly links: Link[];
  /** Replies that matched no request in flight. */
  unmatched = 0;
  private readonly pending = new ChurnMap<string, Pending>();
  private readonly logger: Logger;
  private readonly untrack: () => void;
  private stan = 0;
  private next = 0;

  constructor(private readonly options: UnionPayConnectorOptions) {
    this.logger = (options.logger ?? silentLogger).child({ wallet: 'UP' });
    this.guard = new CallGuard('UP', options.guard, this.logger);
    const linkOptions: LinkOptions = {
      host: options.host,
      port: options.port,
      heartbeatMs: options.heartbeatMs ?? 30_000,
      maxMissedHeartbeats: options.maxMissedHeartbeats ?? 3,
      reconnectInitialMs: options.reconnectInitialMs ?? 100,
      reconnectMaxMs: options.reconnectMaxMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 3_000,
      tpdu: options.tpdu ?? Buffer.from('6000030000', 'hex'),
      header: options.header ?? Buffer.from('603100000000', 'hex'),
    };
    const events = {
      onMessage: (_link: Link, m: IsoMessage) => this.onReply(m),
      onDown: (link: Link) => this.failLink(link),
      sendEcho: (link: Link) => this.echo(link),
      onBadFrame: (link: Link, err: Error) =>
        this.logger.warn({ link: link.id, err: err.message }, 'bad frame from host'),
    };
    this.links = Array.from({ length: options.links ?? 2 }, (_, i) => new Link(i, linkOptions, events));
    for (const link of this.links) link.open();
    this.untrack = trackConnections('UP', () => this.readyLinks);
  }

  get readyLinks(): number {
    return this.links.filter((l) => l.ready).length;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once `n` links are up (or rejects after `ms`). */
  async waitReady(n = 1, ms = 5_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.readyLinks < n) {
      if (Date.now() > until) throw new Error(`only ${this.readyLinks} of ${n} host links ready`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * Sends one message and resolves with its reply. Rejects with DuplicateKeyError when the same
   * TID + STAN + class is already in flight, NotSentError when no link is ready, or the signal's reason.
   */
  exchange(message: IsoMessage, signal?: AbortSignal): Promise<IsoMessage> {
    const link = this.pickLink();
    if (!link) return Promise.reject(new NotSentError('no host link is ready'));
    return this.sendOn(link, message, signal);
  }

  pay(req: PayRequest): Promise<ChannelResult> {
    return this.call('pay', req.account, req.outTradeNo, req.amountFen, req.authCode);
  }

  precreate(req: PrecreateRequest): Promise<ChannelResult> {
    return this.call('precreate', req.account, req.outTradeNo, req.amountFen);
  }

  query(req: QueryRequest): Promise<ChannelResult> {
    return this.call('query', req.account, req.outTradeNo);
  }

  cancel(req: CancelRequest): Promise<ChannelResult> {
    return this.call('cancel', req.account, req.outTradeNo);
  }

  close(req: CloseRequest): Promise<ChannelResult> {
    return this.call('close', req.account, req.outTradeNo);
  }

  refund(req: RefundRequest): Promise<ChannelResult> {
    return this.call('refund', req.account, req.outTradeNo, req.refundFen, undefined, req.outRefundNo);
  }

  async destroy(): Promise<void> {
    this.untrack();
    for (const link of this.links) link.close();
    for (const p of this.pending.values()) p.reject(new Error('connector destroyed'));
  }

  /**
   * The operation's optional values as arguments, not an object spread into the request: one shape.
   * The attempt is not an async function: its frame, suspended on the host's reply, lived through
   * every scavenge of the wait; what waits now is the reply's reaction and a closure over `op`. The
   * guard calls it inside a promise executor, so a throw here is still the attempt's rejection.
   */
  private call(
    op: ChannelOperation,
    account: PayRequest['account'],
    outTradeNo: string,
    amountFen?: number,
    authCode?: string,
    outRefundNo?: string,
  ): Promise<ChannelResult> {
    return this.guard.run(op, (deadline) => {
      const message = buildHostRequest({
        op,
        // The host knows the merchant by its MID (42) and the terminal it was issued (appId → 41).
        tid: account.appId,
        mid: account.merchantId,
        stan: this.nextStan(),
        batch: this.options.batch ?? '000001',
        outTradeNo,
        amountFen,
        authCode,
        outRefundNo,
      });
      const link = this.pickLink();
      if (!link) return Promise.reject(new NotSentError('no host link is ready'));
      return this.sendOn(link, message, deadline).then((reply) => interpretHostReply(op, reply));
    });
  }

  private nextStan(): string {
    this.stan = (this.stan % 999_999) + 1;
    return String(this.stan).padStart(6, '0');
  }

  /** The ready link with the fewest requests in flight; ties go round-robin. */
  private pickLink(): Link | undefined {
    let best: Link | undefined;
    const n = this.links.length;
    for (let i = 0; i < n; i++) {
      const link = this.links[(this.next + i) % n]!;
      if (link.ready && (!best || link.inFlight < best.inFlight)) best = link;
    }
    this.next = (this.next + 1) % n;
    return best;
  }

  private onReply(m: IsoMessage): void {
    const p = this.pending.get(matchKey(m));
    const isResponse = m.mti[2] === '1' || m.mti[2] === '3';
    if (!p || !isResponse) {
      this.unmatched++;
      channelUnmatchedReplies.inc({ wallet: 'UP' });
      return;
    }
    p.resolve(m);
  }

  /** A dropped link loses its in-flight requests: their outcome is unknown to us. */
  private failLink(link: Link): void {
    for (const p of this.pending.values()) if (p.link === link) p.reject(new Error(`host link ${link.id} went down`));
  }

  /** Writes `message` on `link` and resolves with its reply; `cancel` abandons it (the reply is then unmatched). */
  private sendOn(link: Link, message: IsoMessage, cancel?: AbortSignal | AttemptDeadline): Promise<IsoMessage> {
    const key = matchKey(message);
    if (this.pending.has(key)) {
      channelRejected.inc({ wallet: 'UP', reason: 'duplicate-key' });
      return Promise.reject(new DuplicateKeyError(`request ${key} is already in flight`));
    }
    if (cancel instanceof AbortSignal ? cancel.aborted : cancel?.expired) {
      return Promise.reject(cancel instanceof AbortSignal ? cancel.reason : new Error('deadline passed'));
    }
    return new Promise<IsoMessage>((resolve, reject) => {
      const pending = new Pending(key, link, this.pending, resolve, reject);
      if (cancel instanceof AbortSignal) {
        const onAbort = () => pending.reject(cancel.reason ?? new Error('aborted'));
        cancel.addEventListener('abort', onAbort, { once: true });
        pending.detach = () => cancel.removeEventListener('abort', onAbort);
      } else {
        // The guard's deadline: one hook, no EventTarget (the guard itself reports the timeout).
        cancel?.onExpire((reason) => pending.reject(reason));
      }
      if (!link.write(message)) pending.reject(new NotSentError(`host link ${link.id} is down`));
    });
  }

  /** One echo (0820, 60.3 = 301) on this link; true when answered 00 in time. */
  private echo(link: Link): Promise<boolean> {
    const message: IsoMessage = {
      mti: '0820',
      fields: {
        11: this.nextStan(),
        41: this.options.fepTid ?? 'BOXFEP01',
        42: this.options.fepMid ?? '000000000000000',
        60: `00${this.options.batch ?? '000001'}301`,
      },
    };
    const timeout = AbortSignal.timeout(this.options.heartbeatTimeoutMs ?? 5_000);
    return this.sendOn(link, message, timeout).then(
      (reply) => reply.fields[39] === '00',
      () => false,
    );
  }
}
