// The server sampled once a second through a run, on the generators' clock (second i of the
// timeline is [startAt + i s, startAt + (i + 1) s)), so each second's latency can be read next to
// the CPU the server used and the time its event loop waited for a core in that second.
import { type ProcSample, trySample } from './proc-stat.js';

export interface SecondSampler {
  /** samples[i] was taken at startAt + i s (undefined where the process could not be read). */
  readonly samples: (ProcSample | undefined)[];
  stop(): void;
}

/** Samples `pid` at startAt, startAt + 1 s, … for `seconds` seconds; nothing when pid is undefined. */
export function sampleEverySecond(pid: number | undefined, startAt: number, seconds: number): SecondSampler {
  const samples: (ProcSample | undefined)[] = [];
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    // Re-aimed at the next whole second each time, so a late tick does not shift the rest.
    const i = samples.length;
    if (pid === undefined || i > seconds) return;
    timer = setTimeout(
      () => {
        samples.push(trySample(pid));
        next();
      },
      Math.max(0, startAt + i * 1000 - Date.now()),
    );
  };
  next();
  return {
    samples,
    stop: () => clearTimeout(timer),
  };
}
