// The shared store: Redis through ioredis, standalone or Cluster. Each hot-path step is one Lua script
// (one round trip) over keys that share the merchant's hash tag. Redis down → every call rejects with
// StoreUnavailableError within the command timeout: no offline queue, at most one retry, no hanging.
// Auto-pipelining stays off (it raised open-loop p99 several-fold on this class of machine); the
// commands of one event-loop turn leave in one writev instead (turn-writes.ts). The terminal contexts
// a node reads are kept in its TerminalCache while their invalidations arrive.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { type Logger, silentLogger } from '../log/logger.js';
import { storeCommandCells, storeErrorsTotal, terminalCacheInvalidations } from '../metrics/store.js';
import type { SessionKeys, TerminalRecord } from '../terminals/types.js';
import { decode, encode } from './codec.js';
import { StoreError, StoreInputError, StoreUnavailableError } from './errors.js';
import { businessDay, checkAmount, checkId, checkRequestKey, parseOutTradeNo } from './ids.js';
import { InFlightLimit } from './inflight.js';
import { hasLimits, newOrder } from './logic.js';
import { LuaScript, type ScriptArg, type ScriptReply } from './redis-eval.js';
import { RedisKeys } from './redis-keys.js';
import * as lua from './redis-scripts.js';
import { RrnBlocks } from './rrn.js';
import type { Store, TerminalContext } from './store.js';
import { TerminalCache } from './terminal-cache.js';
import { TurnWrites } from './turn-writes.js';
import {
  type BatchTotals,
  type BeginPaymentInput,
  type BeginPaymentResult,
  type BeginRefundInput,
  type BeginRefundResult,
  type BeginReversalInput,
  type BeginReversalResult,
  type ClaimResult,
  type DailyCounters,
  DEFAULT_TTLS,
  type DuplicateResult,
  FINAL_STATES,
  ORDER_EVENT_CAP,
  type Order,
  type PendingPush,
  type RequestKey,
  type StoreTtls,
  type TransitionInput,
  type TransitionResult,
  type TransitionStatus,
} from './types.js';

export interface RedisStoreOptions {
  /** Prepended to every key, e.g. `bf:` (no braces). Default `bf:`. */
  keyPrefix?: string;
  ttls?: Partial<StoreTtls>;
  /** A new order is looked at by recovery this long after creation unless finished first. Default 60 s. */
  recoveryDelayMs?: number;
  /** Bound on each call, including waiting for the first connection. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Commands in flight at once; more wait briefly, then are refused. Default 1024. */
  maxInFlight?: number;
  /** RRN numbers reserved per round trip to the shared day counter. Default 100. */
  rrnBlockSize?: number;
  /** Passed through to ioredis (merged over the store's fail-fast defaults). */
  redisOptions?: RedisOptions;
  /**
   * The longest a node keeps a terminal context it read (terminal-cache.ts); 0 reads Redis on every
   * request. Default 300,000 ms (5 minutes).
   */
  terminalCacheMs?: number;
  /** Terminal contexts a node keeps at most (~1.4 KB of heap each). Default 20,000; `serve` passes --max-connections. */
  terminalCacheSize?: number;
  /** For the terminal cache's state changes; silent by default. */
  logger?: Logger;
}

type Client = Redis | Cluster;
type Reply = ScriptReply;

const SCRIPTS = {
  bfBeginPayment: new LuaScript(lua.BEGIN_PAYMENT),
  bfBeginRefund: new LuaScript(lua.BEGIN_REFUND),
  bfBeginReversal: new LuaScript(lua.BEGIN_REVERSAL),
  bfTransition: new LuaScript(lua.TRANSITION),
  bfClaimRequest: new LuaScript(lua.CLAIM_REQUEST),
  bfTerminalContext: new LuaScript(lua.TERMINAL_CONTEXT),
  bfTerminalKeys: new LuaScript(lua.TERMINAL_KEYS),
  bfPutTerminal: new LuaScript(lua.PUT_TERMINAL),
  bfPutSessionKeys: new LuaScript(lua.PUT_SESSION_KEYS),
  bfDeleteTerminalKey: new LuaScript(lua.DELETE_TERMINAL_KEY),
  bfIncrMacFailures: new LuaScript(lua.INCR_MAC_FAILURES),
  bfOrderByRequest: new LuaScript(lua.ORDER_BY_REQUEST),
  bfCompleteRequest: new LuaScript(lua.COMPLETE_REQUEST),
  bfMarkPushSent: new LuaScript(lua.MARK_PUSH_SENT),
  bfAckPush: new LuaScript(lua.ACK_PUSH),
  bfRenewLease: new LuaScript(lua.RENEW_LEASE),
  bfReleaseLease: new LuaScript(lua.RELEASE_LEASE),
} as const;
type ScriptName = keyof typeof SCRIPTS;

interface PushMeta {
  mid: string;
  tid: string;
  rrn: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  expiresAt: number;
}

export class RedisStore implements Store {
  readonly backend: 'redis' | 'redis-cluster';
  readonly ttls: StoreTtls;
  readonly keys: RedisKeys;
  readonly #client: Client;
  readonly #cluster: boolean;
  readonly #timeoutMs: number;
  readonly #recoveryDelayMs: number;
  readonly #limit: InFlightLimit;
  readonly #rrn: RrnBlocks;
  #closed = false;
  /** Set by a connection error or close, cleared by `ready`: while set, calls fail at once. */
  #down = false;
  #firstReady: Promise<void> | undefined;
  /** Undefined when turned off (`terminalCacheMs: 0`). */
  readonly #contexts: TerminalCache | undefined;
  /** Commands of one loop turn leave together (turn-writes.ts). */
  readonly #writes: TurnWrites;
  /** The invalidations' subscription, made by the first context read; its close. */
  #invalidations: (() => Promise<void>) | undefined;
  readonly #log: Logger;

  constructor(
    target: { url: string } | { clusterNodes: { host: string; port: number }[] },
    opts: RedisStoreOptions = {},
  ) {
    const prefix = opts.keyPrefix ?? 'bf:';
    if (/[{}]/.test(prefix)) throw new StoreInputError(`key prefix must not contain braces: ${prefix}`);
    this.keys = new RedisKeys(prefix);
    this.ttls = { ...DEFAULT_TTLS, ...opts.ttls };
    this.#timeoutMs = opts.commandTimeoutMs ?? 1000;
    this.#recoveryDelayMs = opts.recoveryDelayMs ?? 60_000;
    this.#limit = new InFlightLimit(opts.maxInFlight ?? 1024);
    this.#log = opts.logger ?? silentLogger;
    const cacheMs = opts.terminalCacheMs ?? 300_000;
    if (!Number.isSafeInteger(cacheMs) || cacheMs < 0)
      throw new StoreInputError(`terminal cache time must be a whole number of ms ≥ 0: ${cacheMs}`);
    this.#contexts =
      cacheMs > 0 ? new TerminalCache({ capacity: opts.terminalCacheSize ?? 20_000, maxAgeMs: cacheMs }) : undefined;
    const base: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: this.#timeoutMs,
      connectTimeout: Math.max(this.#timeoutMs, 1000),
      enableAutoPipelining: false,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      ...opts.redisOptions,
    };
    if ('url' in target) {
      this.#cluster = false;
      this.backend = 'redis';
      this.#client = new Redis(target.url, base);
    } else {
      this.#cluster = true;
      this.backend = 'redis-cluster';
      this.#client = new Cluster(target.clusterNodes, {
        redisOptions: base,
        enableOfflineQueue: false,
        enableAutoPipelining: false,
        maxRedirections: 4,
        retryDelayOnFailover: 50,
        slotsRefreshTimeout: this.#timeoutMs,
        clusterRetryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      });
    }
    const client = this.#client;
    this.#writes = new TurnWrites(
      client instanceof Cluster ? () => client.nodes().map((n) => n.stream) : () => [client.stream],
    );
    this.#client.on('ready', () => {
      this.#down = false;
    });
    this.#client.on('error', () => {
      this.#down = true;
    });
    this.#client.on('close', () => {
      this.#down = true;
    });
    this.#rrn = new RrnBlocks(
      (day, n) =>
        this.#run('rrnReserve', () =>
          this.#client.incrby(this.keys.rrnSequence(day), n).then(async (last) => {
            if (last === n) await this.#client.pexpire(this.keys.rrnSequence(day), 48 * 3600_000);
            return last;
          }),
        ),
      opts.rrnBlockSize ?? 100,
    );
  }

  get healthy(): boolean {
    return !this.#closed && !this.#down && this.#client.status === 'ready';
  }

  async ping(): Promise<void> {
    await this.#run('ping', () => this.#client.ping());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#contexts?.setLive(false);
    await this.#invalidations?.();
    await quit(this.#client);
  }

  // ── node bus (pub/sub between boxfep nodes; see bus.ts) ────────────────────────────────────

  /** Publishes on `<prefix>bus:<channel>` (on a Cluster, PUBLISH reaches every node). Bounded like any call. */
  async publish(channel: string, message: string): Promise<number> {
    return this.#run('publish', () => this.#client.publish(`${this.keys.prefix}bus:${channel}`, message));
  }

  /**
   * Subscribes on a dedicated connection (a subscribed connection can run nothing else). ioredis
   * reconnects it and subscribes again by itself after an outage; `onReady` fires each time, so the
   * caller can catch up on what it missed while the bus was down. Resolves with an unsubscribe.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onReady?: () => void): () => Promise<void> {
    const full = `${this.keys.prefix}bus:${channel}`;
    // Its own connection, which may queue until connected: a subscription is worth waiting for.
    const sub: Client =
      this.#client instanceof Cluster
        ? this.#client.duplicate(undefined, { enableOfflineQueue: true })
        : this.#client.duplicate({ enableOfflineQueue: true, autoResubscribe: false });
    listen(sub, { channel: full, onMessage, onReady });
    return () => quit(sub);
  }

  /** Where every write to a terminal's context publishes its TID. */
  get #invalidationChannel(): string {
    return `${this.keys.prefix}inv:terminal`;
  }

  /**
   * The cache's subscription: its own connection, named for CLIENT LIST. On a Cluster it is a plain
   * connection to one node (PUBLISH reaches every node), not the Cluster client's subscriber: that
   * one moves to another node after a failure without an event, and the invalidations sent
   * meanwhile would be lost unseen. Here every loss is an `onLost`; a node that stays unreachable is
   * given up after three reconnects and another is tried.
   */
  #cacheSubscription(subscription: Subscription): () => Promise<void> {
    const connectionName = `${this.keys.prefix}terminal-cache`;
    const client = this.#client;
    if (!(client instanceof Cluster)) {
      const sub = client.duplicate({ enableOfflineQueue: true, autoResubscribe: false, connectionName });
      listen(sub, subscription);
      return () => quit(sub);
    }
    let sub: Redis | undefined;
    let retry: NodeJS.Timeout | undefined;
    let stopped = false;
    const open = (): void => {
      retry = undefined;
      if (stopped) return;
      const nodes = client.nodes('master');
      const node = nodes[Math.floor(Math.random() * nodes.length)];
      if (node === undefined) {
        retry = setTimeout(open, 200);
        return;
      }
      sub = new Redis({
        ...client.options.redisOptions,
        host: node.options.host,
        port: node.options.port,
        connectionName,
        enableOfflineQueue: true,
        autoResubscribe: false,
        retryStrategy: (times) => (times > 3 ? null : 100 * times),
      });
      listen(sub, subscription);
      sub.on('end', () => {
        if (!stopped) retry = setTimeout(open, 100);
      });
    };
    open();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      if (sub) await quit(sub);
    };
  }

  /** The first context read subscribes for the invalidations (later ones return at once); live once in place. */
  #startInvalidations(cache: TerminalCache): void {
    if (this.#invalidations !== undefined || this.#closed) return;
    this.#invalidations = this.#cacheSubscription({
      channel: this.#invalidationChannel,
      onMessage: (tid) => {
        terminalCacheInvalidations.inc();
        cache.invalidate(tid);
      },
      onReady: () => {
        if (this.#closed) return;
        cache.setLive(true);
        this.#log.info({ store: this.backend }, 'terminal cache live: invalidations arriving');
      },
      onLost: () => {
        if (!cache.live) return;
        cache.setLive(false);
        this.#log.warn(
          { store: this.backend },
          'terminal cache off: its invalidations stopped (Redis connection lost)',
        );
      },
    });
  }

  /** True while this node's terminal cache serves contexts (on, subscribed, its invalidations arriving). */
  get terminalCacheLive(): boolean {
    return this.#contexts?.live ?? false;
  }

  // ── terminals ────────────────────────────────────────────────────────────────────────────────

  async getTerminal(tid: string): Promise<TerminalRecord | undefined> {
    const b = await this.#run('getTerminal', () => this.#client.hgetBuffer(this.keys.terminals(), tid));
    return b ? decode<TerminalRecord>(b) : undefined;
  }

  async getTerminalContext(tid: string, opts?: { fresh?: boolean }): Promise<TerminalContext | undefined> {
    // A TID that cannot name a key has no working keys or failure count (as in getSessionKeys).
    if (!safeId(tid)) {
      const terminal = await this.getTerminal(tid);
      return terminal && { terminal, session: undefined, macFailures: 0 };
    }
    const cache = this.#contexts;
    if (cache !== undefined) {
      if (opts?.fresh !== true) {
        const kept = cache.get(tid);
        if (kept !== undefined) return kept;
      }
      this.#startInvalidations(cache);
    }
    const generation = cache?.generation() ?? 0;
    const [rec, sk, mf, skTtl, mfTtl] = await this.#run('getTerminalContext', () => this.#terminalContext(tid));
    if (!Buffer.isBuffer(rec)) return undefined;
    const terminal = decode<TerminalRecord>(rec);
    const session = terminal.keyMode === 'session' && Buffer.isBuffer(sk) ? decode<SessionKeys>(sk) : undefined;
    const context = { terminal, session, macFailures: Buffer.isBuffer(mf) ? Number(mf.toString('latin1')) : 0 };
    // What this read returns is not marked cached: a refusal decided on it needs no second read.
    cache?.keep(tid, context, shortestLife(skTtl, mfTtl), generation);
    return context;
  }

  /** [terminal record, session keys, MAC-failure count, their PTTLs], each null when absent. */
  async #terminalContext(tid: string): Promise<(Buffer | number | null)[]> {
    const k = this.keys;
    if (!this.#cluster) {
      return asReplies(
        await this.#script('bfTerminalContext', [k.terminals(), k.sessionKeys(tid), k.macFailures(tid)], [tid]),
      );
    }
    // The registry ({g}) and the terminal's keys ({t:TID}) live in different slots: two calls sent in
    // the same tick, so still one round trip's wait.
    const [rec, keys] = await Promise.all([
      this.#client.hgetBuffer(k.terminals(), tid),
      this.#script('bfTerminalKeys', [k.sessionKeys(tid), k.macFailures(tid)], []),
    ]);
    return [rec, ...asReplies(keys)];
  }

  async putTerminal(rec: TerminalRecord): Promise<void> {
    checkId('TID', rec.tid);
    await this.#changeTerminal('putTerminal', rec.tid, 'bfPutTerminal', this.keys.terminals(), [encode(rec)]);
  }

  async listTerminals(): Promise<TerminalRecord[]> {
    const all = await this.#run('listTerminals', () => this.#client.hgetallBuffer(this.keys.terminals()));
    return Object.values(all)
      .map((b) => decode<TerminalRecord>(b))
      .sort((a, b) => (a.tid < b.tid ? -1 : a.tid > b.tid ? 1 : 0));
  }

  async getSessionKeys(tid: string): Promise<SessionKeys | undefined> {
    if (!safeId(tid)) return undefined;
    const b = await this.#run('getSessionKeys', () => this.#client.getBuffer(this.keys.sessionKeys(tid)));
    return b ? decode<SessionKeys>(b) : undefined;
  }

  async putSessionKeys(tid: string, keys: SessionKeys, ttlMs: number): Promise<void> {
    checkId('TID', tid);
    checkTtl(ttlMs);
    await this.#changeTerminal('putSessionKeys', tid, 'bfPutSessionKeys', this.keys.sessionKeys(tid), [
      encode(keys),
      ttlMs,
    ]);
  }

  async deleteSessionKeys(tid: string): Promise<void> {
    if (!safeId(tid)) return;
    await this.#changeTerminal('deleteSessionKeys', tid, 'bfDeleteTerminalKey', this.keys.sessionKeys(tid), []);
  }

  async incrMacFailures(tid: string): Promise<number> {
    checkId('TID', tid);
    const n = await this.#changeTerminal('incrMacFailures', tid, 'bfIncrMacFailures', this.keys.macFailures(tid), [
      this.ttls.macFailureMs,
    ]);
    if (typeof n !== 'number') throw new StoreError(`incrMacFailures: unexpected reply ${String(n)}`);
    return n;
  }

  async resetMacFailures(tid: string): Promise<void> {
    if (!safeId(tid)) return;
    await this.#changeTerminal('resetMacFailures', tid, 'bfDeleteTerminalKey', this.keys.macFailures(tid), []);
  }

  /**
   * A write to one terminal's context: its script publishes the TID for every node's cache, and this
   * node's own copy is dropped before the write is sent (so no read already in flight is kept) and
   * again once it is done (a read sent meanwhile may have seen the old value on a Cluster).
   */
  async #changeTerminal(op: string, tid: string, script: ScriptName, key: string, args: ScriptArg[]): Promise<Reply> {
    this.#contexts?.invalidate(tid);
    try {
      return await this.#run(op, () => this.#script(script, [key], [this.#invalidationChannel, tid, ...args]));
    } finally {
      this.#contexts?.invalidate(tid);
    }
  }

  // ── requests and orders ─────────────────────────────────────────────────────────────────────

  async beginPayment(input: BeginPaymentInput): Promise<BeginPaymentResult> {
    const r = input.request;
    checkRequestKey(r);
    checkAmount(input.amountFen);
    const now = input.now ?? Date.now();
    const rrn = await this.#rrn.next(now);
    const limited = hasLimits(input.limits);
    const day = businessDay(now);
    const state = input.initialState ?? (input.kind === 'sale' ? 'paying' : 'created');
    const order = newOrder(r, {
      rrn,
      kind: input.kind,
      amountFen: input.amountFen,
      state,
      now,
      wallet: input.wallet,
      paymentCodeMasked: input.paymentCodeMasked,
      limitDay: limited ? day : undefined,
    });
    const k = this.keys;
    const keys = [
      k.request(r),
      k.tombstone(r.mid, r.tid, r.batch, r.stan),
      k.daily(r.mid, day),
      k.order(r.mid, rrn),
      k.orderIndex(r.mid, r.tid, r.batch, r.stan),
    ];
    const recoverAt = now + this.#recoveryDelayMs;
    const member = `${r.mid}|${rrn}`;
    const l = input.limits;
    const args = [
      input.fingerprint,
      rrn,
      encode(order),
      input.amountFen,
      limited ? '1' : '0',
      l?.perTransactionMaxFen ?? '',
      l?.dailyAmountMaxFen ?? '',
      l?.dailyCountMax ?? '',
      this.ttls.requestMs,
      this.ttls.orderMs,
      this.ttls.dailyMs,
      recoverAt,
      member,
    ];
    const reply = await this.#run('beginPayment', () =>
      this.#script('bfBeginPayment', keys, args, [k.recovery()], () =>
        // On a Cluster the global index is written alongside (same tick); an entry for a refused
        // request points at no order and is dropped by listRecoverable.
        this.#client.zadd(k.recovery(), recoverAt, member),
      ),
    );
    const [status, a] = asArray(reply);
    switch (str(status)) {
      case 'started':
        return { status: 'started', order };
      case 'limit':
        return { status: 'limit', limit: str(a) as 'per-transaction' | 'daily-amount' | 'daily-count' };
      default:
        return duplicateReply(reply);
    }
  }

  async beginRefund(input: BeginRefundInput): Promise<BeginRefundResult> {
    const r = input.request;
    checkRequestKey(r);
    checkAmount(input.amountFen);
    checkId('RRN', input.originalRrn, 12);
    const now = input.now ?? Date.now();
    const rrn = await this.#rrn.next(now);
    const order = newOrder(r, {
      rrn,
      kind: input.kind,
      amountFen: input.amountFen,
      state: 'paying',
      now,
      parentRrn: input.originalRrn,
    });
    const k = this.keys;
    const keys = [
      k.request(r),
      k.tombstone(r.mid, r.tid, r.batch, r.stan),
      k.order(r.mid, input.originalRrn),
      k.order(r.mid, rrn),
      k.orderIndex(r.mid, r.tid, r.batch, r.stan),
    ];
    const recoverAt = now + this.#recoveryDelayMs;
    const member = `${r.mid}|${rrn}`;
    const args = [
      input.fingerprint,
      rrn,
      encode(order),
      input.kind,
      input.amountFen,
      r.batch,
      this.ttls.requestMs,
      this.ttls.orderMs,
      recoverAt,
      member,
      now,
    ];
    const reply = await this.#run('beginRefund', () =>
      this.#script('bfBeginRefund', keys, args, [k.recovery()], () =>
        this.#client.zadd(k.recovery(), recoverAt, member),
      ),
    );
    const [status, a, b] = asArray(reply);
    switch (str(status)) {
      case 'started':
        return { status: 'started', original: decodeOrder(a), order: decodeOrder(b) };
      case 'original-not-found':
        return { status: 'original-not-found' };
      case 'not-allowed':
        return {
          status: 'not-allowed',
          reason: str(a) as 'state' | 'batch' | 'amount' | 'kind',
          original: decodeOrder(b),
        };
      case 'exceeds':
        return { status: 'exceeds', remainingFen: Number(str(a)), original: decodeOrder(b) };
      default:
        return duplicateReply(reply);
    }
  }

  async beginReversal(input: BeginReversalInput): Promise<BeginReversalResult> {
    const r = input.request;
    checkRequestKey(r);
    const k = this.keys;
    const keys = [
      k.request(r),
      k.tombstone(r.mid, r.tid, r.batch, r.stan),
      k.orderIndex(r.mid, r.tid, r.batch, r.stan),
    ];
    const args = [input.fingerprint, this.ttls.requestMs, this.ttls.tombstoneMs, k.orderPrefix(r.mid)];
    const reply = await this.#run('beginReversal', () => this.#script('bfBeginReversal', keys, args));
    const [status, , original] = asArray(reply);
    if (str(status) !== 'started') return duplicateReply(reply) as Exclude<DuplicateResult, { status: 'reversed' }>;
    // The script read the original with the claim: no second round trip for it.
    return original ? { status: 'started', original: decodeOrder(original) } : { status: 'started' };
  }

  transition(current: Order, change: TransitionInput & { statusOnly: true }): Promise<TransitionStatus>;
  transition(current: Order, change: TransitionInput): Promise<TransitionResult>;
  async transition(current: Order, change: TransitionInput): Promise<TransitionResult | TransitionStatus> {
    checkId('MID', current.mid, 15);
    checkId('RRN', current.rrn, 12);
    if (change.response && change.response.request.mid !== current.mid) {
      throw new StoreInputError('a transition can only complete a request of the same merchant');
    }
    const now = change.now ?? Date.now();
    const k = this.keys;
    const { mid, rrn } = current;
    const orderKey = k.order(mid, rrn);
    const keys = [
      orderKey,
      current.parentRrn ? k.order(mid, current.parentRrn) : orderKey,
      k.batch(mid, current.tid, current.batch),
      current.limitDay ? k.daily(mid, current.limitDay) : orderKey,
      change.response ? k.request(change.response.request) : orderKey,
      k.pushes(mid, current.tid),
    ];
    const final = FINAL_STATES.includes(change.to);
    const recoverOp = final ? 'rem' : change.nextCheckAt !== undefined ? 'add' : '';
    const recoverMember = `${mid}|${rrn}`;
    const pushMember = `${mid}|${current.tid}|${rrn}`;
    const pushAt = change.push?.nextAttemptAt ?? now;
    const pushMeta: PushMeta | undefined = change.push && {
      mid,
      tid: current.tid,
      rrn,
      attempts: change.push.sending ? 1 : 0,
      nextAttemptAt: pushAt,
      createdAt: now,
      expiresAt: now + this.ttls.pushMs,
    };
    const args = [
      change.from.join(','),
      change.to,
      now,
      change.note ?? '',
      change.patch?.wallet ?? '',
      change.patch?.channelOrderId ?? '',
      ORDER_EVENT_CAP,
      this.ttls.batchMs,
      change.response ? Buffer.from(change.response.bytes) : '',
      change.response ? '1' : '0',
      pushMeta ? encode(pushMeta) : '',
      change.push ? Buffer.from(change.push.payload) : '',
      this.ttls.pushMs,
      pushAt,
      pushMember,
      recoverOp,
      change.nextCheckAt ?? 0,
      recoverMember,
    ];
    const reply = await this.#run('transition', () =>
      this.#script('bfTransition', keys, args, [k.recovery(), k.pushDue()]),
    );
    const [status, blob] = asArray(reply);
    if (str(status) === 'not-found') return { status: 'not-found' };
    if (str(status) === 'conflict') return { status: 'conflict', order: decodeOrder(blob) };
    if (this.#cluster) {
      // Global indexes live in their own slot: updated once the transition is known to have happened.
      await this.#run('transitionIndex', async () => {
        const ops: Promise<unknown>[] = [];
        if (recoverOp === 'rem') ops.push(this.#client.zrem(k.recovery(), recoverMember));
        if (recoverOp === 'add') ops.push(this.#client.zadd(k.recovery(), change.nextCheckAt ?? 0, recoverMember));
        if (change.push) ops.push(this.#client.zadd(k.pushDue(), pushAt, pushMember));
        await Promise.all(ops);
      });
    }
    // The script returns the order either way (it wrote it); decoding it is the caller's choice.
    return change.statusOnly ? { status: 'ok' } : { status: 'ok', order: decodeOrder(blob) };
  }

  async claimRequest(request: RequestKey, fingerprint: string): Promise<ClaimResult> {
    checkRequestKey(request);
    const k = this.keys;
    const keys = [k.request(request), k.tombstone(request.mid, request.tid, request.batch, request.stan)];
    const reply = await this.#run('claimRequest', () =>
      this.#script('bfClaimRequest', keys, [fingerprint, this.ttls.requestMs]),
    );
    const [status] = asArray(reply);
    return str(status) === 'claimed' ? { status: 'claimed' } : duplicateReply(reply);
  }

  async completeRequest(request: RequestKey, response: Uint8Array): Promise<void> {
    checkRequestKey(request);
    await this.#run('completeRequest', () =>
      this.#script('bfCompleteRequest', [this.keys.request(request)], [Buffer.from(response)]),
    );
  }

  async getOrder(mid: string, rrn: string): Promise<Order | undefined> {
    if (!safeId(mid) || !safeId(rrn)) return undefined;
    const b = await this.#run('getOrder', () => this.#client.getBuffer(this.keys.order(mid, rrn)));
    return b ? decodeOrder(b) : undefined;
  }

  async getOrderByRequest(tid: string, mid: string, batch: string, stan: string): Promise<Order | undefined> {
    if (![tid, mid, batch, stan].every(safeId)) return undefined;
    const k = this.keys;
    const b = await this.#run('getOrderByRequest', () =>
      this.#script('bfOrderByRequest', [k.orderIndex(mid, tid, batch, stan)], [k.orderPrefix(mid)]),
    );
    return b ? decodeOrder(b as Buffer) : undefined;
  }

  async getOrderByOutTradeNo(outTradeNo: string): Promise<Order | undefined> {
    const ref = parseOutTradeNo(outTradeNo);
    if (!ref) return undefined;
    const o = await this.getOrder(ref.mid, ref.rrn);
    return o?.outTradeNo === outTradeNo ? o : undefined;
  }

  async getBatchTotals(mid: string, tid: string, batch: string): Promise<BatchTotals> {
    checkId('MID', mid, 15);
    checkId('TID', tid, 8);
    const v = await this.#run('getBatchTotals', () =>
      this.#client.hmget(this.keys.batch(mid, tid, batch), 'da', 'dc', 'ca', 'cc'),
    );
    return { debitFen: num(v[0]), debitCount: num(v[1]), creditFen: num(v[2]), creditCount: num(v[3]) };
  }

  async getDailyCounters(mid: string, day = businessDay(Date.now())): Promise<DailyCounters> {
    checkId('MID', mid, 15);
    const v = await this.#run('getDailyCounters', () => this.#client.hmget(this.keys.daily(mid, day), 'a', 'c'));
    return { amountFen: num(v[0]), count: num(v[1]) };
  }

  // ── recovery and leases ─────────────────────────────────────────────────────────────────────

  async listRecoverable(now: number, limit: number): Promise<Order[]> {
    const k = this.keys;
    const members = await this.#run('listRecoverable', () =>
      this.#client.zrangebyscore(k.recovery(), '-inf', now, 'LIMIT', 0, limit),
    );
    const orders = await Promise.all(
      members.map((m) => {
        const [mid, rrn] = m.split('|');
        return this.getOrder(mid ?? '', rrn ?? '');
      }),
    );
    const stale = members.filter((_, i) => {
      const o = orders[i];
      return !o || FINAL_STATES.includes(o.state);
    });
    if (stale.length > 0) await this.#run('listRecoverable', () => this.#client.zrem(k.recovery(), ...stale));
    return orders.filter((o): o is Order => o !== undefined && !FINAL_STATES.includes(o.state));
  }

  async scheduleCheck(order: Order, at: number): Promise<void> {
    await this.#run('scheduleCheck', () => this.#client.zadd(this.keys.recovery(), at, `${order.mid}|${order.rrn}`));
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const ok = await this.#run('acquireLease', () =>
      this.#client.set(this.keys.lease(leaseName(name)), owner, 'PX', ttlMs, 'NX'),
    );
    return ok === 'OK';
  }

  async renewLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    const n = await this.#run('renewLease', () =>
      this.#script('bfRenewLease', [this.keys.lease(leaseName(name))], [owner, ttlMs]),
    );
    return n === 1;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    const n = await this.#run('releaseLease', () =>
      this.#script('bfReleaseLease', [this.keys.lease(leaseName(name))], [owner]),
    );
    return n === 1;
  }

  // ── pushes ──────────────────────────────────────────────────────────────────────────────────

  async putPush(push: Omit<PendingPush, 'attempts' | 'createdAt' | 'expiresAt'> & { now?: number }): Promise<void> {
    checkId('MID', push.mid, 15);
    checkId('TID', push.tid, 8);
    checkId('RRN', push.rrn, 12);
    const now = push.now ?? Date.now();
    const meta: PushMeta = {
      mid: push.mid,
      tid: push.tid,
      rrn: push.rrn,
      attempts: 0,
      nextAttemptAt: push.nextAttemptAt,
      createdAt: now,
      expiresAt: now + this.ttls.pushMs,
    };
    const key = this.keys.pushes(push.mid, push.tid);
    await this.#run('putPush', () =>
      Promise.all([
        this.#client.hset(key, push.rrn, encode(meta), `${push.rrn}:b`, Buffer.from(push.payload)),
        this.#client.pexpire(key, this.ttls.pushMs),
        this.#client.zadd(this.keys.pushDue(), push.nextAttemptAt, `${push.mid}|${push.tid}|${push.rrn}`),
      ]),
    );
  }

  async listPushesForTerminal(mid: string, tid: string): Promise<PendingPush[]> {
    if (!safeId(mid) || !safeId(tid)) return [];
    const key = this.keys.pushes(mid, tid);
    const all = await this.#run('listPushes', () => this.#client.hgetallBuffer(key));
    const now = Date.now();
    const out: PendingPush[] = [];
    const expired: string[] = [];
    for (const [field, value] of Object.entries(all)) {
      if (field.endsWith(':b')) continue;
      const meta = decode<PushMeta>(value);
      const payload = all[`${field}:b`];
      if (meta.expiresAt <= now || !payload) expired.push(field, `${field}:b`);
      else out.push({ ...meta, payload: new Uint8Array(payload) });
    }
    if (expired.length > 0) await this.#run('listPushes', () => this.#client.hdel(key, ...expired));
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  async listDuePushes(now: number, limit: number): Promise<PendingPush[]> {
    const due = this.keys.pushDue();
    const members = await this.#run('listDuePushes', () =>
      this.#client.zrangebyscore(due, '-inf', now, 'LIMIT', 0, limit),
    );
    const found = await Promise.all(
      members.map(async (m): Promise<PendingPush | undefined> => {
        const [mid = '', tid = '', rrn = ''] = m.split('|');
        const [mb, pb] = await this.#run('listDuePushes', () =>
          this.#client.hmgetBuffer(this.keys.pushes(mid, tid), rrn, `${rrn}:b`),
        );
        if (!mb || !pb) return undefined;
        const meta = decode<PushMeta>(mb);
        return meta.expiresAt > now ? { ...meta, payload: new Uint8Array(pb) } : undefined;
      }),
    );
    const stale = members.filter((_, i) => found[i] === undefined);
    if (stale.length > 0) await this.#run('listDuePushes', () => this.#client.zrem(due, ...stale));
    return found
      .filter((p): p is PendingPush => p !== undefined && p.nextAttemptAt <= now)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  }

  async markPushSent(mid: string, tid: string, rrn: string, nextAttemptAt: number): Promise<boolean> {
    if (![mid, tid, rrn].every(safeId)) return false;
    const k = this.keys;
    const member = `${mid}|${tid}|${rrn}`;
    // One script on a standalone server (the due index updated inside it); on a Cluster the index,
    // in its own slot, gets a ZADD in the same tick.
    const n = await this.#run('markPushSent', () =>
      this.#script('bfMarkPushSent', [k.pushes(mid, tid)], [rrn, nextAttemptAt, member], [k.pushDue()], () =>
        this.#client.zadd(k.pushDue(), nextAttemptAt, member),
      ),
    );
    return n === 1;
  }

  async ackPush(mid: string, tid: string, rrn: string): Promise<boolean> {
    if (![mid, tid, rrn].every(safeId)) return false;
    const k = this.keys;
    const member = `${mid}|${tid}|${rrn}`;
    const n = await this.#run('ackPush', () =>
      this.#script('bfAckPush', [k.pushes(mid, tid)], [rrn, member], [k.pushDue()], () =>
        this.#client.zrem(k.pushDue(), member),
      ),
    );
    return typeof n === 'number' && n > 0;
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a script. On a standalone server the global index keys (`hints`) are appended to KEYS and
   * maintained inside the script; on a Cluster they are left out (other slot) and `alongside` runs
   * in the same tick instead.
   */
  async #script(
    name: ScriptName,
    keys: string[],
    args: ScriptArg[],
    hints: string[] = [],
    alongside?: () => Promise<unknown>,
  ): Promise<Reply> {
    const script = SCRIPTS[name];
    if (!this.#cluster) return script.run(this.#client, hints.length === 0 ? keys : [...keys, ...hints], args);
    if (hints.length === 0) return script.run(this.#client, keys, args);
    const [reply] = await Promise.all([script.run(this.#client, keys, args), alongside?.()]);
    return reply;
  }

  async #run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError('store is closed', 'closed');
    const wait = this.#limit.acquire();
    if (wait) await wait;
    const start = performance.now();
    try {
      await this.#connected();
      this.#writes.hold();
      const value = await fn();
      storeCommandCells.of2(op, this.backend).observe((performance.now() - start) / 1000);
      return value;
    } catch (err) {
      const e = classify(op, err);
      // ioredis updates its status only when the socket's close event is processed; a failed write
      // knows sooner.
      if (e instanceof StoreUnavailableError && e.kind === 'connection') this.#down = true;
      storeErrorsTotal.inc({ op, kind: e instanceof StoreUnavailableError ? e.kind : 'reply' });
      throw e;
    } finally {
      this.#limit.release();
    }
  }

  /** Ready → go. Known down → fail now. Still making the first connection → wait, bounded. */
  #connected(): Promise<void> | undefined {
    const status = this.#client.status;
    if (status === 'ready') return undefined;
    if (this.#down || status === 'end' || status === 'close') {
      throw new StoreUnavailableError(`redis not reachable (${status})`, 'connection');
    }
    this.#firstReady ??= new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.#client.off('ready', onReady);
        this.#client.off('error', onError);
        this.#firstReady = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => done();
      const onError = (e: Error) => done(new StoreUnavailableError(`redis not reachable: ${e.message}`, 'connection'));
      const timer = setTimeout(
        () => done(new StoreUnavailableError(`redis not ready within ${this.#timeoutMs} ms`, 'timeout')),
        this.#timeoutMs,
      );
      this.#client.once('ready', onReady);
      this.#client.once('error', onError);
    });
    return this.#firstReady;
  }
}

interface Subscription {
  channel: string;
  onMessage: (message: string) => void;
  /** Each time the subscription is in place (first, and after every reconnect). */
  onReady?: () => void;
  /** Each time its connection closes: what is published until `onReady` again is not received. */
  onLost?: () => void;
}

/**
 * Subscribes `sub` on every `ready` (a no-op when still subscribed), so the subscription survives any
 * outage without ioredis's auto-resubscribe, and reports it ready and lost.
 */
function listen(sub: Client, { channel, onMessage, onReady, onLost }: Subscription): void {
  sub.on('error', () => undefined);
  sub.on('message', (ch: string, msg: string) => {
    if (ch === channel) onMessage(msg);
  });
  sub.on('ready', () => {
    sub.subscribe(channel).then(
      () => onReady?.(),
      () => undefined,
    );
  });
  if (onLost) sub.on('close', onLost);
}

async function quit(client: Client): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

function classify(op: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ReplyError' && !/^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY)/.test(e.message)) {
    return new StoreError(`redis ${op}: ${e.message}`, { cause: e });
  }
  const kind = /timed? ?out/i.test(e.message) ? 'timeout' : 'connection';
  return new StoreUnavailableError(`redis ${op}: ${e.message}`, kind, { cause: e });
}

function asArray(reply: Reply): Buffer[] {
  if (!Array.isArray(reply)) throw new StoreError(`unexpected script reply: ${String(reply)}`);
  return reply;
}

/** A script's array reply whose items may be integers as well as strings. */
function asReplies(reply: Reply): (Buffer | number | null)[] {
  return asArray(reply) as (Buffer | number | null)[];
}

/** The shorter of two PTTL replies that expire (> 0), or undefined when neither does. */
function shortestLife(...pttls: unknown[]): number | undefined {
  let life: number | undefined;
  for (const v of pttls) {
    if (typeof v === 'number' && v > 0 && (life === undefined || v < life)) life = v;
  }
  return life;
}

function str(b: Buffer | undefined): string {
  return b ? b.toString('latin1') : '';
}

function duplicateReply(reply: Reply): DuplicateResult {
  const [status, a] = asArray(reply);
  switch (str(status)) {
    case 'replay':
      return { status: 'replay', response: new Uint8Array(a ?? []) };
    case 'in-progress':
      return str(a) ? { status: 'in-progress', rrn: str(a) } : { status: 'in-progress' };
    case 'mismatch':
      return { status: 'mismatch' };
    case 'reversed':
      return { status: 'reversed' };
    default:
      throw new StoreError(`unexpected script reply: ${str(status)}`);
  }
}

function decodeOrder(b: Buffer | undefined): Order {
  if (!b) throw new StoreError('script returned no order');
  const o = decode<Order>(b);
  // cmsgpack writes an empty Lua table as an array; an order always has events, but be exact.
  if (!Array.isArray(o.events)) o.events = [];
  return o;
}

function num(v: string | null | undefined): number {
  return v ? Number(v) : 0;
}

/** Ids used in read paths: anything that cannot be a key simply is not found. */
function safeId(v: string): boolean {
  return typeof v === 'string' && v.length > 0 && /^[\x20-\x7a\x7e]+$/.test(v);
}

function leaseName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || /[{}]/.test(name)) {
    throw new StoreInputError(`lease name must be non-empty without braces: ${JSON.stringify(name)}`);
  }
  return name;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)
    throw new StoreInputError(`TTL must be a positive integer of ms: ${ttlMs}`);
}
