// The load generator of one process: drives its share of the fleet through one run, open loop (a fixed
// arrival schedule; latency from each request's intended send time) or closed loop (C requests always
// outstanding; latency from the actual send, for raw capacity only). Records HdrHistograms overall,
// per type, per second of the run, and for C2B pushes; counts replies by type and response code.
// Beside the latency it records the service time, from each request's actual send to its reply: on a
// machine the generator shares, the difference is the generator's own delay in sending (its lag).
import type { PushEvent } from '../../src/box/box.js';
import type { LoadBox } from './fleet.js';
import { encode, type Histogram, newHistogram, recordMs } from './histograms.js';
import { parseMix, TX_TYPES, type TxType } from './mix.js';
import { seededRng } from './random.js';
import { type ArrivalKind, createSchedule } from './schedule.js';
import { performTx, type TxOutcome, type Wallet } from './transactions.js';

export interface RunSpec {
  mode: 'open' | 'closed';
  /** Open loop: this process's share of the total rate, per second. */
  ratePerSec: number;
  arrivals: ArrivalKind;
  /** Closed loop: this process's share of the outstanding requests. */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  mix: string;
  wallets: Wallet[];
  seed: number;
  /** Wall-clock ms (Date.now()) at which the run starts: the processes of one run start together. */
  startAt: number;
  /** After the last arrival, how long to wait for outstanding replies. */
  drainMs: number;
  /** After the drain, how long to wait for C2B pushes still expected. */
  pushGraceMs: number;
  /** false for the echo baseline: replies only have to arrive. */
  check: boolean;
}

export interface TypeResult {
  count: number;
  errors: number;
  rc: Record<string, number>;
  histogram: string;
  /** Service times (actual send → reply) of this type. */
  service: string;
}

export interface SecondResult {
  second: number;
  sent: number;
  done: number;
  errors: number;
  histogram: string;
}

export interface RunResult {
  /** Requests sent in the measured window (by intended time). */
  sent: number;
  /** Replies to measured requests (checked or not). */
  completed: number;
  /** Replies received during the measured window (any request): the throughput. */
  completedInWindow: number;
  errors: number;
  warmupRequests: number;
  warmupErrors: number;
  errorReasons: Record<string, number>;
  overall: string;
  byType: Partial<Record<TxType, TypeResult>>;
  timeline: SecondResult[];
  /** How late the generator itself sent requests (send time − intended time). */
  lag: string;
  /** From each measured request's actual send to its reply (the latency less the send lag). */
  service: string;
  push: { expected: number; received: number; missing: number; bad: number; histogram: string };
  /** Requests still unanswered when the drain ended (also counted as errors). */
  abandoned: number;
  windowMs: number;
  /** This generator process's own CPU time over the measured window, µs. */
  generatorCpuUs: number;
}

export interface Progress {
  second: number;
  sent: number;
  done: number;
  errors: number;
  inFlight: number;
  /** p99 of the replies received in the last second, ms. */
  p99Ms: number;
}

export async function runLoad(
  boxes: readonly LoadBox[],
  spec: RunSpec,
  onProgress?: (p: Progress) => void,
): Promise<RunResult> {
  if (boxes.length === 0) throw new Error('no connected boxes to drive');
  const mix = parseMix(spec.mix);
  const rng = seededRng(spec.seed);
  const txCtx = { rng, wallets: spec.wallets, check: spec.check };
  const windowStart = spec.warmupMs;
  const windowEnd = spec.warmupMs + spec.durationMs;

  const overall = newHistogram();
  const lag = newHistogram();
  const service = newHistogram();
  const pushHist = newHistogram();
  const types = new Map<
    TxType,
    { count: number; errors: number; rc: Record<string, number>; h: Histogram; service: Histogram }
  >();
  for (const t of TX_TYPES) types.set(t, { count: 0, errors: 0, rc: {}, h: newHistogram(), service: newHistogram() });
  const seconds: Array<{ sent: number; done: number; errors: number; h: Histogram }> = [];
  const reasons: Record<string, number> = {};
  let interval = newHistogram(2);
  let sent = 0;
  let completed = 0;
  let completedInWindow = 0;
  let errors = 0;
  let warmupRequests = 0;
  let warmupErrors = 0;
  let inFlight = 0;
  let doneAll = 0;
  const push = { expected: 0, received: 0, missing: 0, bad: 0 };
  let lastProgress = { sent: 0, done: 0, errors: 0 };

  const second = (ms: number) => {
    const i = Math.max(0, Math.floor(ms / 1000));
    while (seconds.length <= i) seconds.push({ sent: 0, done: 0, errors: 0, h: newHistogram(2) });
    return seconds[i];
  };

  // Wait for the common start, then run on the monotonic clock.
  const startDelay = spec.startAt - Date.now();
  if (startDelay > 0) await sleep(startDelay);
  const t0 = performance.now();
  const now = () => performance.now() - t0;

  const finish = (lb: LoadBox, intended: number, sentAt: number, measured: boolean, o: TxOutcome) => {
    const at = now();
    inFlight--;
    doneAll++;
    const latency = at - intended;
    recordMs(interval, latency);
    if (at >= windowStart && at < windowEnd) completedInWindow++;
    const s = second(intended);
    s.done++;
    recordMs(s.h, latency);
    if (o.error !== undefined) s.errors++;
    if (o.pushStan !== undefined) {
      if (measured) push.expected++;
      const early = lb.earlyPushes.get(o.pushStan);
      if (early !== undefined) {
        lb.earlyPushes.delete(o.pushStan);
        if (measured) pushMatched(early.good, early.at - at);
      } else {
        lb.awaitingPush.set(o.pushStan, { at, measured });
        waitingPushes++;
      }
    }
    if (!measured) {
      if (o.error !== undefined) warmupErrors++;
      return;
    }
    completed++;
    const took = at - sentAt;
    recordMs(overall, latency);
    recordMs(service, took);
    const t = types.get(o.type)!;
    t.count++;
    t.rc[o.rc] = (t.rc[o.rc] ?? 0) + 1;
    recordMs(t.h, latency);
    recordMs(t.service, took);
    if (o.error !== undefined) {
      errors++;
      t.errors++;
      const key = `${o.type}: ${o.error}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
  };

  const fire = (lb: LoadBox, intended: number): Promise<void> => {
    const measured = intended >= windowStart && intended < windowEnd;
    if (measured) sent++;
    else warmupRequests++;
    second(intended).sent++;
    const sentAt = now();
    if (measured) recordMs(lag, sentAt - intended);
    inFlight++;
    const type = mix.pick(rng);
    return performTx(lb, type, txCtx).then((o) => finish(lb, intended, sentAt, measured, o));
  };

  // C2B pushes: the box emulator acks each and hands it over as it arrives; it is matched to its
  // precreate by STAN and its delay measured from the precreate's reply. (Polling every box's queue
  // was a tenth of the generator's CPU with thousands of UnionPay C2B orders waiting 15 s for a poll.)
  let waitingPushes = 0;
  const pushMatched = (good: boolean, delayMs: number) => {
    push.received++;
    if (good) recordMs(pushHist, delayMs);
    else push.bad++;
  };
  const pushArrived = (lb: LoadBox, ev: PushEvent) => {
    const at = now();
    const stan = ev.message.fields[11] ?? '';
    const good = ev.macValid === true && ev.message.fields[39] === '00';
    const waiting = lb.awaitingPush.get(stan);
    if (waiting === undefined) {
      // Before its reply was counted (same read), or a resend of one already counted.
      if (!lb.earlyPushes.has(stan)) lb.earlyPushes.set(stan, { at, good });
      return;
    }
    lb.awaitingPush.delete(stan);
    waitingPushes--;
    if (waiting.measured) pushMatched(good, at - waiting.at);
  };
  for (const lb of boxes) {
    lb.box.pushes.length = 0; // pushes that came between runs (a sweep's steps share the fleet)
    lb.box.pushListener = (ev) => pushArrived(lb, ev);
  }
  // The generator's own CPU over the measured window: is it a bottleneck on a shared machine?
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let generatorCpuUs: number | undefined;
  const readCpu = () => {
    const d = process.cpuUsage(cpuAtStart);
    generatorCpuUs = d.user + d.system;
  };
  const cpuStart = setTimeout(() => (cpuAtStart = process.cpuUsage()), windowStart);
  const cpuEnd = setTimeout(readCpu, windowEnd);

  const progressTimer = setInterval(() => {
    const p = {
      second: Math.round(now() / 1000),
      sent: sent + warmupRequests - lastProgress.sent,
      done: doneAll - lastProgress.done,
      errors: errors + warmupErrors - lastProgress.errors,
      inFlight,
      p99Ms: interval.totalCount ? interval.getValueAtPercentile(99) / 1000 : 0,
    };
    lastProgress = { sent: sent + warmupRequests, done: doneAll, errors: errors + warmupErrors };
    interval = newHistogram(2);
    onProgress?.(p);
  }, 1000);

  try {
    if (spec.mode === 'open') await openLoop(boxes, spec, now, fire, windowEnd, rng);
    else await closedLoop(boxes, spec, now, fire, windowEnd);
    // Drain: wait for outstanding replies (the emulator times each out at its reply timeout).
    const drainUntil = now() + spec.drainMs;
    while (inFlight > 0 && now() < drainUntil) await sleep(10);
    const pushUntil = now() + spec.pushGraceMs;
    while (waitingPushes > 0 && now() < pushUntil) await sleep(20);
  } finally {
    for (const lb of boxes) lb.box.pushListener = undefined;
    clearInterval(progressTimer);
    clearTimeout(cpuStart);
    clearTimeout(cpuEnd);
    // A run with nothing left to drain can end before the window's end timer has had its turn.
    if (cpuAtStart !== undefined && generatorCpuUs === undefined) readCpu();
  }
  for (const lb of boxes) {
    for (const w of lb.awaitingPush.values()) if (w.measured) push.missing++;
    lb.awaitingPush.clear();
    lb.earlyPushes.clear();
  }
  if (push.missing + push.bad > 0) {
    errors += push.missing + push.bad;
    if (push.missing) reasons['precreate: push missing'] = push.missing;
    if (push.bad) reasons['precreate: push bad (MAC or 39)'] = push.bad;
  }
  const abandoned = inFlight;
  if (abandoned > 0) {
    errors += abandoned;
    reasons['unanswered at end of drain'] = abandoned;
  }

  const byType: Partial<Record<TxType, TypeResult>> = {};
  for (const [t, v] of types) {
    if (v.count === 0 && mix.weights[t] === 0) continue;
    byType[t] = { count: v.count, errors: v.errors, rc: v.rc, histogram: encode(v.h), service: encode(v.service) };
  }
  return {
    sent,
    completed,
    completedInWindow,
    errors,
    warmupRequests,
    warmupErrors,
    errorReasons: reasons,
    overall: encode(overall),
    byType,
    timeline: seconds.map((s, i) => ({
      second: i,
      sent: s.sent,
      done: s.done,
      errors: s.errors,
      histogram: encode(s.h),
    })),
    lag: encode(lag),
    service: encode(service),
    push: { ...push, histogram: encode(pushHist) },
    abandoned,
    windowMs: spec.durationMs,
    generatorCpuUs: generatorCpuUs ?? 0,
  };
}

type Fire = (lb: LoadBox, intended: number) => Promise<void>;

/** Sends every arrival whose intended time has come; a late timer sends the backlog at once. */
function openLoop(
  boxes: readonly LoadBox[],
  spec: RunSpec,
  now: () => number,
  fire: Fire,
  endMs: number,
  rng: () => number,
): Promise<void> {
  const schedule = createSchedule(spec.arrivals, spec.ratePerSec, rng);
  let next = schedule.next();
  let rr = Math.floor(rng() * boxes.length);
  return new Promise((resolve) => {
    const tick = () => {
      const t = now();
      while (next <= t && next < endMs) {
        const lb = boxes[rr];
        rr = rr + 1 === boxes.length ? 0 : rr + 1;
        void fire(lb, next);
        next = schedule.next();
      }
      if (next >= endMs) resolve();
      else setTimeout(tick, Math.max(0, next - now()));
    };
    tick();
  });
}

/** `concurrency` workers, each sending its next request as soon as the previous reply arrives. */
async function closedLoop(
  boxes: readonly LoadBox[],
  spec: RunSpec,
  now: () => number,
  fire: Fire,
  endMs: number,
): Promise<void> {
  let rr = 0;
  const worker = async () => {
    while (now() < endMs) {
      const lb = boxes[rr];
      rr = rr + 1 === boxes.length ? 0 : rr + 1;
      await fire(lb, now());
      // A closed connection fails at once: yield so the loop cannot starve the timers.
      if (lb.box.closed) await sleep(1);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, spec.concurrency) }, worker));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
