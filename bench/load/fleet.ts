// The simulated fleet: N terminals with their own TID, MID and TMK, written as the terminals file that
// `boxfep serve --terminals` provisions, and opened as N persistent box connections at a bounded ramp.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Box } from '../../src/box/box.js';
import { buildField62 } from '../../src/crypto/signon.js';
import type { IsoMessage } from '../../src/iso8583/index.js';

export interface FleetTerminal {
  tid: string;
  mid: string;
  /** Clear TMK, 32 hex digits: the harness is the key ceremony for its own boxes. */
  tmk: string;
}

/** Boxes per merchant: a shop has a few boxes, a chain many; 10 keeps merchants numerous. */
export const BOXES_PER_MERCHANT = 10;
const TAG = /^[A-Z0-9]{2}$/;

/** A two-character run tag that keeps one run's TIDs and MIDs apart from another's in a shared store. */
export function randomRunTag(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const b = randomBytes(2);
  return alphabet[b[0] % alphabet.length] + alphabet[b[1] % alphabet.length];
}

/** TID `L<tag><5 digits>`, MID `BENCH<tag><8 digits>`; the TMK is derived from the run tag and TID. */
export function makeFleet(count: number, tag: string): FleetTerminal[] {
  if (!TAG.test(tag)) throw new RangeError(`run tag must be two of A-Z0-9, got '${tag}'`);
  if (!Number.isInteger(count) || count < 1 || count > 99_999) {
    throw new RangeError(`box count must be 1..99999, got ${count}`);
  }
  const out: FleetTerminal[] = [];
  for (let i = 0; i < count; i++) {
    const tid = `L${tag}${String(i).padStart(5, '0')}`;
    const mid = `BENCH${tag}${String(Math.floor(i / BOXES_PER_MERCHANT)).padStart(8, '0')}`;
    const tmk = createHash('sha256').update(`boxfep-bench:${tag}:${tid}`).digest('hex').slice(0, 32).toUpperCase();
    out.push({ tid, mid, tmk });
  }
  return out;
}

/** The JSON array `boxfep serve --terminals FILE` reads (clear TMKs: owner-readable only). */
export function writeFleetTerminalsFile(path: string, fleet: readonly FleetTerminal[]): void {
  const items = fleet.map((t) => ({
    tid: t.tid,
    mid: t.mid,
    tmk: t.tmk,
    keyMode: 'session',
    mac: 'cups-ecb',
    merchantName: `bench merchant ${t.mid.slice(-8)}`,
  }));
  writeFileSync(path, `${JSON.stringify(items)}\n`, { mode: 0o600 });
}

/** One simulated box and what the harness remembers about it between transactions. */
export interface LoadBox {
  box: Box;
  terminal: FleetTerminal;
  /** The last sale answered 00 and not yet reversed: the original for queries and reversals. */
  lastSale: IsoMessage | undefined;
  /** STAN of an answered precreate → when its reply came (ms on the run clock) and whether it is measured. */
  awaitingPush: Map<string, { at: number; measured: boolean }>;
  /**
   * Pushes that arrived before their precreate's reply was counted (both in one read): STAN → arrival
   * time on the run clock, MAC valid and approved. Matched when the reply is.
   */
  earlyPushes: Map<string, { at: number; good: boolean }>;
}

export interface ConnectSpec {
  host: string;
  port: number;
  terminals: FleetTerminal[];
  /** New connections per second (this process's share). */
  rampPerSec: number;
  /** Sign on over the wire (boxfep); false installs random working keys locally (the echo baseline). */
  signOn: boolean;
  replyTimeoutMs: number;
  /** First STAN of every box: distinct per run, so a shared store never sees a duplicate. */
  stanStart: number;
}

export interface ConnectResult {
  boxes: LoadBox[];
  connectFailures: number;
  signOnFailures: number;
  /** First few failure messages, for the report. */
  failureSamples: string[];
  elapsedMs: number;
}

const RAMP_TICK_MS = 50;
const MAX_SAMPLES = 5;

/** Opens every box at `rampPerSec`, signing each on; failures are counted, never thrown. */
export async function connectFleet(spec: ConnectSpec): Promise<ConnectResult> {
  const started = performance.now();
  const boxes: LoadBox[] = [];
  const samples: string[] = [];
  let connectFailures = 0;
  let signOnFailures = 0;
  const perTick = Math.max(1, Math.round((spec.rampPerSec * RAMP_TICK_MS) / 1000));
  const opening: Promise<void>[] = [];
  const note = (msg: string) => {
    if (samples.length < MAX_SAMPLES) samples.push(msg);
  };

  const open = async (terminal: FleetTerminal): Promise<void> => {
    let box: Box;
    try {
      box = await Box.connect({
        host: spec.host,
        port: spec.port,
        tid: terminal.tid,
        mid: terminal.mid,
        tmk: terminal.tmk,
        stan: spec.stanStart,
        replyTimeoutMs: spec.replyTimeoutMs,
      });
    } catch (err) {
      connectFailures++;
      note(`connect ${terminal.tid}: ${(err as Error).message}`);
      return;
    }
    try {
      if (spec.signOn) {
        const reply = await box.signOn();
        if (reply.rc !== '00' || !box.keys.signedOn) throw new Error(`sign-on answered ${reply.rc}`);
      } else {
        installLocalKeys(box, terminal);
      }
    } catch (err) {
      signOnFailures++;
      note(`sign-on ${terminal.tid}: ${(err as Error).message}`);
      box.close();
      return;
    }
    boxes.push({ box, terminal, lastSale: undefined, awaitingPush: new Map(), earlyPushes: new Map() });
  };

  for (let i = 0; i < spec.terminals.length; i += perTick) {
    const due = started + (i / perTick) * RAMP_TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (const t of spec.terminals.slice(i, i + perTick)) opening.push(open(t));
  }
  await Promise.all(opening);
  return {
    boxes,
    connectFailures,
    signOnFailures,
    failureSamples: samples,
    elapsedMs: performance.now() - started,
  };
}

/** The echo baseline does not sign on: the box gets random working keys as if field 62 had carried them. */
function installLocalKeys(box: Box, terminal: FleetTerminal): void {
  const tmk = Buffer.from(terminal.tmk, 'hex');
  const f62 = buildField62(tmk, { pik: randomBytes(16), mak: randomBytes(8) });
  box.keys.acceptField62(f62.toString('hex'));
}

export function closeFleet(boxes: readonly LoadBox[]): void {
  for (const b of boxes) b.box.close();
}
