// HdrHistogram helpers: latencies are recorded in microseconds (1 µs .. 10 min, 3 significant
// digits), shipped between processes in the standard compressed base64 form, and reported in ms.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export const HIGHEST_US = 600_000_000;

export function newHistogram(digits: 2 | 3 = 3): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: digits,
    autoResize: false,
  });
}

export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(Math.min(Math.max(us, 1), HIGHEST_US));
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(base64: string): Histogram {
  return hdr.decodeFromCompressedBase64(base64);
}

/** Adds every encoded histogram into a fresh one. */
export function mergeEncoded(parts: readonly string[], digits: 2 | 3 = 3): Histogram {
  const out = newHistogram(digits);
  for (const p of parts) out.add(decode(p));
  return out;
}

export interface LatencySummaryMs {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const ms = (us: number) => Math.round(us) / 1000;

export function summarize(h: Histogram): LatencySummaryMs {
  if (h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    mean: Math.round(h.mean) / 1000,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

/** The percentile curve (for the HTML chart): [percentile, ms] at log-spaced points up to the max. */
export function percentileCurve(h: Histogram): Array<[number, number]> {
  if (h.totalCount === 0) return [];
  const out: Array<[number, number]> = [];
  // 0, 50, 75, 87.5, ... : each point halves the remaining tail, like the HdrHistogram plotter.
  for (let i = 0; i <= 24; i++) {
    const p = 100 * (1 - 0.5 ** i);
    out.push([p, ms(h.getValueAtPercentile(p))]);
    if (h.totalCount * 0.5 ** i < 1) break;
  }
  out.push([100, ms(h.maxValue)]);
  return out;
}

/** The `.hgrm` text the HdrHistogram plotter reads, in milliseconds. */
export function hgrm(h: Histogram): string {
  return h.outputPercentileDistribution(5, 1000);
}
