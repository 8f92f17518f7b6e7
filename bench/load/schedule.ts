// Open-loop arrival schedules: the intended send time of every request, fixed in advance and
// independent of how fast replies come back. Latency is measured from these times, so a server stall
// delays every request scheduled behind it and shows up in the percentiles (no coordinated omission).
import type { Rng } from './random.js';

export type ArrivalKind = 'constant' | 'poisson';

export interface Schedule {
  readonly kind: ArrivalKind;
  readonly ratePerSec: number;
  /** The intended time of the next arrival, in ms after the start; strictly increasing for constant. */
  next(): number;
}

/** Evenly spaced arrivals: request i is due at i / rate. */
export function constantSchedule(ratePerSec: number, offsetMs = 0): Schedule {
  checkRate(ratePerSec);
  const gap = 1000 / ratePerSec;
  let i = 0;
  return {
    kind: 'constant',
    ratePerSec,
    next: () => offsetMs + gap * i++,
  };
}

/** Poisson arrivals: exponentially distributed gaps with mean 1 / rate (memoryless, bursty). */
export function poissonSchedule(ratePerSec: number, rng: Rng, offsetMs = 0): Schedule {
  checkRate(ratePerSec);
  const mean = 1000 / ratePerSec;
  let t = offsetMs;
  return {
    kind: 'poisson',
    ratePerSec,
    next: () => {
      // 1 - u is in (0, 1], so the log is finite.
      t += -Math.log(1 - rng()) * mean;
      return t;
    },
  };
}

export function createSchedule(kind: ArrivalKind, ratePerSec: number, rng: Rng, offsetMs = 0): Schedule {
  return kind === 'poisson' ? poissonSchedule(ratePerSec, rng, offsetMs) : constantSchedule(ratePerSec, offsetMs);
}

function checkRate(rate: number): void {
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new RangeError(`arrival rate must be a positive number, got ${rate}`);
}
