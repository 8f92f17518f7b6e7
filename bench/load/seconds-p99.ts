// The measured seconds' own p99s, summarised: what a typical second looked like and how many seconds
// went bad. The window's p99 alone cannot tell one run with a few very bad seconds from one that is
// a little worse in every second, and the two have different causes (a stall such as a mark-compact,
// against a cost paid on every request). Measured example: a heap setting that cut the window's p99
// of a 30 s run by half made a 240 s run worse in the typical second (docs/performance.md, the
// fourteenth round).
import type { SecondSummary } from './results.js';

/** Per-second p99 thresholds counted in `over`, ms. */
export const SECOND_P99_THRESHOLDS_MS = [10, 50, 100] as const;

export interface SecondsP99 {
  /** Measured seconds summarised. */
  seconds: number;
  /** Of the seconds' p99s, ms. */
  median: number;
  p90: number;
  max: number;
  /** Seconds whose p99 was above each threshold (ms), keyed by the threshold. */
  over: Record<string, number>;
}

/** The value at quantile `q` of an ascending array (nearest rank, never past the end). */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The p99s of the measured seconds (t ≥ warmupS), or undefined when there are none. */
export function secondsP99(timeline: readonly SecondSummary[], warmupS: number): SecondsP99 | undefined {
  const p99s = timeline
    .filter((s) => s.t >= warmupS && s.done > 0)
    .map((s) => s.p99)
    .sort((a, b) => a - b);
  if (p99s.length === 0) return undefined;
  const over: Record<string, number> = {};
  for (const ms of SECOND_P99_THRESHOLDS_MS) over[ms] = p99s.filter((p) => p > ms).length;
  return {
    seconds: p99s.length,
    median: quantileOfSorted(p99s, 0.5),
    p90: quantileOfSorted(p99s, 0.9),
    max: p99s[p99s.length - 1]!,
    over,
  };
}
