// What happens to one complete frame from a box (box-protocol.md §1, §4, §5):
//   frame split (TPDU, header) → decode (CodecError → `30` if MTI, 11 and 41 can be read, else close)
//   → terminal lookup (`97` unknown, `58` disabled, `03` MID mismatch)
//   → MACed messages: `22` not signed on, MAC verified (`A0`; 5 in a row → sign on again)
//   → `77` batch mismatch → dispatch by (MTI, F3, 60.1, 60.3) → `40` when nothing is registered
//   → response: 3, 4, 11, 41, 42, 60 echoed, 12/13 set, MAC only when 39 = `00`, TPDU swapped,
//     header echoed with the processing requirement (3 = sign on again).
// Any unexpected failure (store down, crypto queue full) answers `96`; nothing here can take the
// server down.
import { performance } from 'node:perf_hooks';
import { type ImmediateMacs, immediateMacsOf } from '../crypto/engine.js';
import type { CryptoService, MacAlgorithm, MacKeyRef } from '../crypto/service.js';
import { RC } from '../flows/response-codes.js';
import {
  CodecError,
  codecFor,
  type Field60,
  FrameError,
  field59Item,
  fieldNumberOf,
  HEADER_BYTES,
  type IsoMessage,
  macBlock,
  macOf,
  messageOffset,
  parseField60,
  peekIdentity,
  TPDU_BYTES,
} from '../iso8583/index.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { maskPan, maskPaymentCode } from '../log/mask.js';
import * as m from '../metrics/server.js';
import type { TerminalContext, TerminalContextStore } from '../store/store.js';
import { keysExpired, macAlgorithmFor, macKeyRef } from '../terminals/keys.js';
import type { SessionKeys, TerminalRecord } from '../terminals/types.js';
import type { FrameHandler } from './box-server.js';
import { localTimeFields } from './clock.js';
import type { BoxConnection, CloseReason } from './connection.js';
import type { Dispatcher, Route, TransactionResult } from './dispatcher.js';
import { MessageWriter } from './message-writer.js';
import type { PushRegistry } from './push-registry.js';

const codec = codecFor('cups-pos');
const MAX_FIELD = codec.spec.maxField;

export interface PipelineOptions {
  store: TerminalContextStore;
  crypto: CryptoService;
  dispatcher: Dispatcher;
  pushes: PushRegistry;
  keyLifetimeMs: number;
  /** Consecutive bad MACs after which the box must sign on again (box-protocol.md §5: 5). */
  macFailureLimit?: number;
  /** Store calls in flight above which the server stops reading (global backpressure). */
  maxStoreInFlight?: number;
  logger?: Logger;
}

/** MTIs whose 60.2 must be the terminal's current batch (financial messages and settlement). */
const BATCH_CHECKED = new Set(['0200', '0220', '0400', '0500']);

interface Outcome {
  type: string;
  result: TransactionResult;
  route?: Route;
  terminal?: TerminalRecord;
  session?: SessionKeys;
  ksn?: string;
  /** The terminal was identified (and its MAC verified where required): bind it for pushes. */
  identified?: boolean;
}

export class RequestPipeline implements FrameHandler {
  private readonly writer: MessageWriter;
  private readonly immediate: ImmediateMacs | undefined;
  private readonly log: Logger;
  private readonly macFailureLimit: number;
  private readonly maxStoreInFlight: number;
  private storeInFlight = 0;
  /**
   * The fields of the response being built, reused: respond() fills it, the writer encodes it before
   * send() returns, and respond() empties it again, all on one stack. A fresh object per response
   * was the largest allocation of the pipeline (an element store of 65+ slots, ~650 bytes).
   */
  private readonly responseFields: Record<number, string | undefined> = emptyFields();
  /** The slots respond() may have filled, for the codec (read on the same stack, like responseFields). */
  private readonly responseMask = { w0: 0, w1: 0 };

  constructor(private readonly opts: PipelineOptions) {
    this.writer = new MessageWriter(opts.crypto);
    this.immediate = immediateMacsOf(opts.crypto);
    this.log = opts.logger ?? silentLogger;
    this.macFailureLimit = opts.macFailureLimit ?? 5;
    this.maxStoreInFlight = opts.maxStoreInFlight ?? 2048;
    opts.pushes.attachSender((conn, message) => this.sendPush(conn, message));
  }

  /** True while the store or the crypto queue is saturated: the server parks readers. */
  saturated(): boolean {
    return this.storeInFlight >= this.maxStoreInFlight || this.opts.crypto.stats().saturated;
  }

  connectionClosed(conn: BoxConnection, _reason: CloseReason): void {
    this.opts.pushes.unbind(conn);
  }

  /** Nothing may escape to the socket layer: log, count, and drop this connection only. */
  private frameFailed(conn: BoxConnection, err: unknown): void {
    m.decodeErrors.inc({ kind: 'internal' });
    this.log.error({ err, conn: conn.id, tid: conn.tid }, 'frame handling failed: closing the connection');
    conn.close('error');
  }

  /**
   * One frame, start to end. Nothing may escape to the socket layer: the catch is this function's own
   * (a `.catch` on its promise was a second promise and a closure per frame).
   */
  async handleFrame(conn: BoxConnection, payload: Buffer): Promise<void> {
    try {
      const receivedAt = performance.now();
      let tpdu: Buffer | undefined;
      let header: Buffer | undefined;
      let message: Buffer;
      try {
        const layout = conn.listener.layout;
        const at = messageOffset(payload, layout);
        // Copies: the payload is a view of a socket chunk that must not stay pinned. A box sends the
        // same TPDU and header every time, so the connection's last copies are reused when equal
        // (compared in place: no views of the parts, no frame object).
        if (layout.tpdu) tpdu = sameOrCopy(conn.lastTpdu, payload, 0, TPDU_BYTES);
        if (layout.header) header = sameOrCopy(conn.lastHeader, payload, at - HEADER_BYTES, HEADER_BYTES);
        message = payload.subarray(at);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        m.decodeErrors.inc({ kind: err.reason });
        this.log.warn({ conn: conn.id, remote: conn.remoteAddress, reason: err.message }, 'unusable frame: closing');
        conn.close('undecodable');
        return;
      }
      let request: IsoMessage;
      let f60: Field60 | undefined;
      try {
        request = codec.decode(message);
        if (request.fields[60] !== undefined) f60 = parseField60(request.fields[60]);
      } catch (err) {
        if (!(err instanceof CodecError)) throw err;
        await this.formatError(conn, message, err, tpdu, header);
        return;
      }
      if (tpdu) conn.lastTpdu = tpdu;
      if (header) conn.lastHeader = header;
      if (!isRequestMti(request.mti) && request.mti !== '0630') {
        m.decodeErrors.inc({ kind: 'unexpected-mti' });
        this.log.warn({ conn: conn.id, mti: request.mti, tid: request.fields[41] }, 'not a request: ignored');
        return;
      }

      let outcome: Outcome;
      try {
        // The terminal's context is awaited in this frame; the rest is decided on this stack and only
        // what must wait (a MAC from the pool, a bad MAC's count, a handler's promise) is a promise: an
        // async `process` per request was a second suspended frame, promise and microtask hop.
        const tid = request.fields[41];
        let context: TerminalContext | undefined;
        if (tid !== undefined) {
          // The terminal, its working keys and its MAC-failure count in one store call (one round trip
          // on Redis), counted in flight inline rather than through `track`.
          this.storeInFlight++;
          try {
            context = await this.opts.store.getTerminalContext(tid);
          } finally {
            this.storeInFlight--;
          }
        }
        const decided = this.decide(conn, request, message, f60, receivedAt, tid, context);
        outcome = decided instanceof Promise ? await decided : decided;
      } catch (err) {
        this.log.error({ err, conn: conn.id, mti: request.mti, tid: request.fields[41] }, 'request failed');
        outcome = { type: 'error', result: { rc: RC.SYSTEM_MALFUNCTION } };
      }
      if (request.mti === '0630') return;
      if (outcome.identified && outcome.terminal)
        this.opts.pushes.bind(outcome.terminal.tid, conn, outcome.terminal.merchant.mid);
      const responding = this.respond(conn, request, outcome, tpdu, header, receivedAt);
      if (responding !== undefined) await responding;
    } catch (err) {
      this.frameFailed(conn, err);
    }
  }

  /** Ends the count of one store call in flight (bound once: no closure per call). */
  private readonly storeCallDone = (): void => {
    this.storeInFlight--;
  };

  /** Counts a store call in flight until it settles (global backpressure, `saturated`). */
  private async track<T>(p: Promise<T>): Promise<T> {
    this.storeInFlight++;
    try {
      return await p;
    } finally {
      this.storeInFlight--;
    }
  }

  /**
   * What to answer, given the terminal's context (undefined: not registered). An Outcome when it is
   * known on this stack; a promise when it waits for a MAC made elsewhere, a bad MAC's count or the
   * handler.
   */
  private decide(
    conn: BoxConnection,
    request: IsoMessage,
    encoded: Buffer,
    f60: Field60 | undefined,
    receivedAt: number,
    tid: string | undefined,
    context: TerminalContext | undefined,
  ): Outcome | Promise<Outcome> {
    const route = request.mti === '0630' ? undefined : this.opts.dispatcher.resolve(request, f60);
    const type = request.mti === '0630' ? 'push-reply' : (route?.name ?? 'unsupported');
    if (tid === undefined) return { type, result: { rc: RC.FORMAT_ERROR } };
    if (context === undefined) return { type, result: { rc: RC.TERMINAL_NOT_REGISTERED } };
    const terminal = context.terminal;
    // Each refusal below made on a cached context is first decided again on a fresh read (recheck).
    const cached = context.cached === true;
    if (terminal.status !== 'active') {
      if (cached) return this.recheck(conn, request, encoded, f60, receivedAt, tid);
      return { type, terminal, result: { rc: RC.NOT_PERMITTED } };
    }
    if (request.fields[42] !== undefined && request.fields[42] !== terminal.mid) {
      if (cached) return this.recheck(conn, request, encoded, f60, receivedAt, tid);
      return { type, terminal, result: { rc: RC.INVALID_MERCHANT } };
    }
    // The batch is compared after the MAC (answer); a mismatch on a cached context may be a batch
    // closed on another node.
    if (cached && f60 !== undefined && BATCH_CHECKED.has(request.mti) && f60.batch !== terminal.batch) {
      return this.recheck(conn, request, encoded, f60, receivedAt, tid);
    }

    const maced = route
      ? route.mac
      : request.mti === '0630' || !(request.mti.startsWith('08') || request.mti.startsWith('05'));
    const session = context.session;
    let ksn: string | undefined;
    if (terminal.keyMode !== 'session' && request.fields[59] !== undefined) {
      ksn = field59Item(request.fields[59], 'A5');
    }
    if (!maced) return this.answer(conn, request, f60, receivedAt, route, type, context, ksn);
    // Outcomes are written out as literals of one shape: object spreads cost ~10× the allocation.
    const ref = macKeyRef(terminal, session, ksn, 'request');
    if (typeof ref === 'string' && cached) return this.recheck(conn, request, encoded, f60, receivedAt, tid);
    if (ref === 'not-signed-on') {
      const result = { rc: RC.SIGN_ON_AGAIN, requireSignOn: true };
      return { type, route, terminal, session, ksn, identified: undefined, result };
    }
    if (typeof ref === 'string' || request.fields[64] === undefined)
      return this.badMac(type, route, terminal, session, ksn);
    const verified = this.verify(terminal, ref, encoded);
    if (typeof verified === 'boolean') {
      if (!verified && cached) return this.recheck(conn, request, encoded, f60, receivedAt, tid);
      return this.afterVerify(verified, conn, request, f60, receivedAt, route, type, context, ksn);
    }
    // Verified elsewhere (the crypto pool): the same tail once the answer is in.
    return verified.then((ok) =>
      !ok && cached
        ? this.recheck(conn, request, encoded, f60, receivedAt, tid)
        : this.afterVerify(ok, conn, request, f60, receivedAt, route, type, context, ksn),
    );
  }

  /**
   * decide once more, on a context read past the node's cache. The cache may lag a change made on
   * another node (a sign-on's new keys, a batch closed, a terminal enabled) by the time its
   * invalidation takes to arrive; a refusal is rare, so it pays for the round trip the cache saved.
   */
  private recheck(
    conn: BoxConnection,
    request: IsoMessage,
    encoded: Buffer,
    f60: Field60 | undefined,
    receivedAt: number,
    tid: string,
  ): Promise<Outcome> {
    m.contextRechecks.inc();
    return this.track(this.opts.store.getTerminalContext(tid, { fresh: true })).then((fresh) =>
      this.decide(conn, request, encoded, f60, receivedAt, tid, fresh),
    );
  }

  /** decide's tail once the request's MAC was checked: a bad one is counted, a good one admitted. */
  private afterVerify(
    verified: boolean,
    conn: BoxConnection,
    request: IsoMessage,
    f60: Field60 | undefined,
    receivedAt: number,
    route: Route | undefined,
    type: string,
    context: TerminalContext,
    ksn: string | undefined,
  ): Outcome | Promise<Outcome> {
    if (!verified) return this.badMac(type, route, context.terminal, context.session, ksn);
    this.macAccepted(conn, context, ksn);
    return this.answer(conn, request, f60, receivedAt, route, type, context, ksn);
  }

  /** A good MAC: the box's KSN is kept for pushes, and a run of bad MACs ends. */
  private macAccepted(conn: BoxConnection, context: TerminalContext, ksn: string | undefined): void {
    if (ksn !== undefined) conn.lastKsn = ksn;
    // There rarely is a run (no store call otherwise). Not awaited: it is bookkeeping off the
    // response path.
    if (context.macFailures > 0) {
      const tid = context.terminal.tid;
      this.storeInFlight++;
      this.opts.store.resetMacFailures(tid).then(this.storeCallDone, (err: unknown) => {
        this.storeCallDone();
        this.log.warn({ err, tid }, 'MAC failure reset failed');
      });
    }
  }

  private async badMac(
    type: string,
    route: Route | undefined,
    terminal: TerminalRecord,
    session: SessionKeys | undefined,
    ksn: string | undefined,
  ): Promise<Outcome> {
    const result = await this.macFailed(terminal);
    return { type, route, terminal, session, ksn, identified: undefined, result };
  }

  /** The request is admitted (its MAC good where one is required): settle a 0630 or run the handler. */
  private answer(
    conn: BoxConnection,
    request: IsoMessage,
    f60: Field60 | undefined,
    receivedAt: number,
    route: Route | undefined,
    type: string,
    context: TerminalContext,
    ksn: string | undefined,
  ): Outcome | Promise<Outcome> {
    const { terminal, session } = context;
    const tid = terminal.tid;
    if (request.mti === '0630') {
      if (!this.opts.pushes.settle(tid, request)) this.log.info({ tid, stan: request.fields[11] }, 'unmatched 0630');
      return { type, route, terminal, session, ksn, identified: true, result: { rc: RC.APPROVED } };
    }
    const requireSignOn = keysExpired(session, this.opts.keyLifetimeMs);
    if (BATCH_CHECKED.has(request.mti) && f60 !== undefined && f60.batch !== terminal.batch) {
      const result = { rc: RC.BATCH_MISMATCH, requireSignOn: true };
      return { type, route, terminal, session, ksn, identified: true, result };
    }
    if (route === undefined) {
      const result = { rc: RC.FUNCTION_NOT_SUPPORTED, requireSignOn };
      return { type, route, terminal, session, ksn, identified: true, result };
    }
    const answer = route.handler({
      request,
      f60,
      terminal,
      session,
      ksn,
      connection: conn,
      receivedAt,
      log: this.log,
    });
    // A result given at once costs no microtask; a promise is followed by a closure of what the
    // outcome needs (not a suspended frame holding the whole request).
    if (!(answer instanceof Promise)) return answered(answer, requireSignOn, type, route, terminal, session, ksn);
    return answer.then((result) => answered(result, requireSignOn, type, route, terminal, session, ksn));
  }

  /** A boolean when the MAC was checked on this stack (no promise hop), else its promise. */
  private verify(terminal: TerminalRecord, ref: MacKeyRef, encoded: Buffer): boolean | Promise<boolean> {
    const alg = macAlgorithmFor(terminal);
    const block = macBlock(encoded);
    const mac = macOf(encoded);
    try {
      const now = this.immediate?.verifyMacNow(alg, ref, block, mac);
      if (now !== undefined) return now;
    } catch (err) {
      return this.unusableKey(terminal, err);
    }
    return this.opts.crypto.verifyMac(alg, ref, block, mac).catch((err: unknown) => this.unusableKey(terminal, err));
  }

  /** A KSN that does not parse or is exhausted is the box's fault: a MAC failure, not a 96. */
  private unusableKey(terminal: TerminalRecord, err: unknown): false {
    if (
      err instanceof Error &&
      'code' in err &&
      ['bad-input', 'dukpt-counter', 'dukpt-exhausted'].includes(String(err.code))
    ) {
      this.log.warn({ tid: terminal.tid, reason: err.message }, 'MAC key unusable');
      return false;
    }
    throw err;
  }

  private async macFailed(terminal: TerminalRecord): Promise<TransactionResult> {
    m.macFailures.inc();
    const count = await this.track(this.opts.store.incrMacFailures(terminal.tid));
    this.log.warn({ tid: terminal.tid, consecutive: count }, 'bad MAC');
    if (count < this.macFailureLimit) return { rc: RC.MAC_ERROR };
    if (terminal.keyMode === 'session') await this.track(this.opts.store.deleteSessionKeys(terminal.tid));
    return { rc: RC.MAC_ERROR, requireSignOn: true };
  }

  private responseMac(outcome: Outcome): { alg: MacAlgorithm; key: MacKeyRef } | undefined {
    const { route, terminal, result } = outcome;
    if (!route?.mac || result.rc !== RC.APPROVED || terminal === undefined) return undefined;
    const key = macKeyRef(terminal, outcome.session, outcome.ksn, 'response');
    if (typeof key === 'string') return undefined;
    return { alg: macAlgorithmFor(terminal), key };
  }

  /**
   * Builds, sends and records the response. Synchronous when nothing had to be awaited (no MAC, or
   * one made on this stack): the common case takes no promise hop; a promise otherwise.
   */
  private respond(
    conn: BoxConnection,
    request: IsoMessage,
    outcome: Outcome,
    tpdu: Buffer | undefined,
    header: Buffer | undefined,
    receivedAt: number,
  ): undefined | Promise<void> {
    const { result } = outcome;
    const now = Date.now();
    const { time, date } = localTimeFields(now);
    // Keyed by field numbers only unless a handler's field says otherwise (then the codec checks
    // every key, and refuses that one).
    const extra = result.fields as Record<string, string> | undefined;
    const extraKeys = extra === undefined ? undefined : Object.keys(extra);
    let numbered = true;
    // The slots this response may fill, as bitmap words: the codec reads only those.
    const mask = this.responseMask;
    mask.w0 = ECHOED_W0;
    mask.w1 = ECHOED_W1;
    if (extraKeys !== undefined) {
      for (let i = 0; i < extraKeys.length; i++) {
        const no = fieldNumberOf(extraKeys[i]);
        if (no < 1 || no > MAX_FIELD) numbered = false;
        else if (no <= 32) mask.w0 |= bitOf(no);
        else if (no <= 64) mask.w1 |= bitOf(no);
      }
    }
    // The pipeline's one response-fields object (see responseFields) when the keys are all field
    // numbers; a fresh object for anything else (the codec then refuses the odd key: a 96).
    const fields: Record<number, string | undefined> = numbered ? this.responseFields : {};
    // The echoed fields are 3, 4, 11, 41, 42 and 60 (§4); one the request lacks stays undefined, and
    // the codec leaves undefined out.
    const rf = request.fields;
    fields[3] = rf[3];
    fields[4] = rf[4];
    fields[11] = rf[11];
    fields[12] = time;
    fields[13] = date;
    fields[41] = rf[41];
    fields[42] = rf[42];
    fields[60] = rf[60];
    // The same object indexed by the keys' string form.
    const slots = fields as Record<string, string | undefined>;
    if (result.omit !== undefined) for (const f of result.omit) if (f !== 12 && f !== 13) slots[f] = undefined;
    if (extra !== undefined && extraKeys !== undefined) {
      for (let i = 0; i < extraKeys.length; i++) slots[extraKeys[i]] = extra[extraKeys[i]];
    }
    fields[39] = result.rc;
    const rrn = fields[37];
    const response: IsoMessage = { mti: responseMti(request.mti), fields: fields as Record<number, string> };
    const requirement = result.requireSignOn ? 3 : 0;
    let sent: Buffer | Promise<Buffer>;
    try {
      const mac = this.responseMac(outcome);
      sent = this.writer.send(conn, response, {
        tpdu,
        header,
        requirement,
        mac,
        fieldsHandedOver: true,
        fieldsNumbered: numbered,
        fieldsMask: mask,
      });
    } catch (err) {
      if (numbered) clearFields(fields);
      return this.respondFailed(conn, request, response.mti, outcome, rrn, tpdu, header, receivedAt, err);
    }
    // The writer encoded the message before send returned (only a MAC made elsewhere is awaited),
    // so the object is free for the next response.
    if (numbered) clearFields(fields);
    if (sent instanceof Promise) {
      return sent.then(
        () => this.record(outcome, request, rrn, receivedAt),
        (err: unknown) => this.respondFailed(conn, request, response.mti, outcome, rrn, tpdu, header, receivedAt, err),
      );
    }
    this.record(outcome, request, rrn, receivedAt);
    return undefined;
  }

  /** A handler produced a field the codec refuses, or the MAC could not be made: answer 96 bare. */
  private async respondFailed(
    conn: BoxConnection,
    request: IsoMessage,
    responseMti: string,
    outcome: Outcome,
    rrn: string | undefined,
    tpdu: Buffer | undefined,
    header: Buffer | undefined,
    receivedAt: number,
    err: unknown,
  ): Promise<void> {
    this.log.error({ err, tid: request.fields[41], type: outcome.type }, 'response could not be built');
    const bare: IsoMessage = { mti: responseMti, fields: { 39: RC.SYSTEM_MALFUNCTION } };
    for (const f of [11, 41, 42]) if (request.fields[f] !== undefined) bare.fields[f] = request.fields[f];
    await this.writer.write(conn, bare, { tpdu, header }).catch(() => conn.close('undecodable'));
    const failed: Outcome = {
      type: outcome.type,
      route: outcome.route,
      terminal: outcome.terminal,
      session: outcome.session,
      ksn: outcome.ksn,
      identified: outcome.identified,
      result: { rc: RC.SYSTEM_MALFUNCTION },
    };
    this.record(failed, request, rrn, receivedAt);
  }

  private record(outcome: Outcome, request: IsoMessage, rrn: string | undefined, receivedAt: number): void {
    const seconds = (performance.now() - receivedAt) / 1000;
    const type = outcome.result.type ?? outcome.type;
    m.transactionCells.of2(type, outcome.result.rc).inc();
    m.latencyCells.of(type).observe(seconds);
    // Heartbeats from thousands of boxes would drown the log: they go to debug, and their line is not
    // even built while debug is off (the usual case).
    const heartbeat = type === 'echo';
    if (heartbeat && !this.log.isLevelEnabled('debug')) return;
    // The flow's own fields first, then ours, in this order (as `{...log, type, ...}` would, without
    // the spread's ~3 KB of dictionary-mode allocation per line).
    const line: Record<string, unknown> = {};
    const extra = outcome.result.log;
    if (extra !== undefined) for (const key of Object.keys(extra)) line[key] = extra[key];
    line.type = type;
    line.mti = request.mti;
    line.rc = outcome.result.rc;
    line.tid = request.fields[41];
    line.stan = request.fields[11];
    line.rrn = rrn;
    line.amount = request.fields[4];
    line.ms = Math.round(seconds * 10_000) / 10;
    if (heartbeat) this.log.debug(line, 'transaction');
    else this.log.info(line, 'transaction');
  }

  /** `30` when the identity can be read, else the stream is closed; both logged (masked) and counted. */
  private async formatError(
    conn: BoxConnection,
    message: Buffer,
    err: CodecError,
    tpdu: Buffer | undefined,
    header: Buffer | undefined,
  ): Promise<void> {
    const id = peekIdentity(message);
    const ctx = { conn: conn.id, remote: conn.remoteAddress, tid: id.tid, mti: id.mti, error: maskError(err.message) };
    if (id.mti === undefined || id.stan === undefined || id.tid === undefined || !isRequestMti(id.mti)) {
      m.decodeErrors.inc({ kind: 'codec-closed' });
      this.log.warn(ctx, 'undecodable message without identity: closing');
      conn.close('undecodable');
      return;
    }
    m.decodeErrors.inc({ kind: 'codec-answered' });
    this.log.warn(ctx, 'undecodable message: answering 30');
    const fields: Record<number, string> = { 11: id.stan, 39: RC.FORMAT_ERROR, 41: id.tid };
    if (id.mid !== undefined) fields[42] = id.mid;
    const { time, date } = localTimeFields();
    fields[12] = time;
    fields[13] = date;
    await this.writer.write(conn, { mti: responseMti(id.mti), fields }, { tpdu, header });
    m.transactionCells.of2('format-error', RC.FORMAT_ERROR).inc();
  }

  /** The push registry's sender: MAC the 0620 with the terminal's response-direction key. */
  private async sendPush(conn: BoxConnection, message: IsoMessage): Promise<void> {
    const tid = message.fields[41] ?? conn.tid;
    if (tid === undefined) throw new Error('push without field 41');
    const context = await this.opts.store.getTerminalContext(tid);
    if (context === undefined) throw new Error(`push to unknown terminal ${tid}`);
    const { terminal, session } = context;
    const ksn = conn.lastKsn;
    const key = macKeyRef(terminal, session, ksn, 'response');
    if (typeof key === 'string') throw new Error(`cannot MAC a push to ${tid}: ${key}`);
    await this.writer.write(conn, message, { mac: { alg: macAlgorithmFor(terminal), key } });
  }
}

/** The outcome of a handler's result; keys that expired ask the box to sign on again. */
function answered(
  result: TransactionResult,
  requireSignOn: boolean,
  type: string,
  route: Route,
  terminal: TerminalRecord,
  session: SessionKeys | undefined,
  ksn: string | undefined,
): Outcome {
  if (requireSignOn && !result.requireSignOn) result.requireSignOn = true;
  return { type, route, terminal, session, ksn, identified: true, result };
}

/** Requests and advices (x0xx, x2xx... third digit even) are answered; responses are not. */
export function isRequestMti(mti: string): boolean {
  return /^\d{4}$/.test(mti) && Number(mti[2]) % 2 === 0;
}

export function responseMti(mti: string): string {
  const cls = Number(mti[2]);
  return mti.slice(0, 2) + String(cls + 1) + mti[3];
}

/** The bit of field `no` in its bitmap word (fields 1-32 in the first, 33-64 in the second). */
function bitOf(no: number): number {
  return 0x80000000 >>> ((no - 1) & 31);
}

/** Fields 3, 4, 11, 12, 13 and 39, 41, 42, 60: what respond() sets in every response. */
const ECHOED_W0 = bitOf(3) | bitOf(4) | bitOf(11) | bitOf(12) | bitOf(13);
const ECHOED_W1 = bitOf(39) | bitOf(41) | bitOf(42) | bitOf(60);

/** Slots 1..MAX_FIELD, all undefined: the element store sized once for any response. */
function emptyFields(): Record<number, string | undefined> {
  const fields: Record<number, string | undefined> = {};
  for (let no = MAX_FIELD; no >= 1; no--) fields[no] = undefined;
  return fields;
}

function clearFields(fields: Record<number, string | undefined>): void {
  for (let no = 1; no <= MAX_FIELD; no++) fields[no] = undefined;
}

/** `copy` when it holds the same bytes as payload[at, at + n), else a fresh copy of those bytes. */
function sameOrCopy(copy: Buffer | undefined, payload: Buffer, at: number, n: number): Buffer {
  if (copy !== undefined && copy.length === n) {
    let i = 0;
    while (i < n && copy[i] === payload[at + i]) i++;
    if (i === n) return copy;
  }
  return Buffer.from(payload.subarray(at, at + n));
}

/** Codec errors can quote a field's content: mask anything that looks like a PAN or payment code. */
function maskError(text: string): string {
  return text.replace(/\d{13,19}/g, (d) => (d.length >= 16 ? maskPaymentCode(d) : maskPan(d)));
}
