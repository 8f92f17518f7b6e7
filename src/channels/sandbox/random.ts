// Seedable randomness for the sandboxes, so fault injection and latency are reproducible in tests.

/** mulberry32: a tiny, fast 32-bit PRNG; plenty for simulation (not for keys). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Latency =
  | { kind: 'none' }
  | { kind: 'fixed'; ms: number }
  /** Lognormal with the given median and 99th percentile, the usual shape of service latency. */
  | { kind: 'lognormal'; medianMs: number; p99Ms: number };

const Z99 = 2.326347874;

/** A sampler of response delays, ms. */
export function latencySampler(latency: Latency, random: () => number): () => number {
  switch (latency.kind) {
    case 'none':
      return () => 0;
    case 'fixed':
      return () => latency.ms;
    case 'lognormal': {
      const mu = Math.log(latency.medianMs);
      const sigma = Math.max(0, Math.log(latency.p99Ms / latency.medianMs) / Z99);
      return () => {
        // Box–Muller: one standard normal from two uniforms.
        const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        return Math.exp(mu + sigma * z);
      };
    }
  }
}

/** Parses `none`, `fixed:MS` or `lognormal:MEDIAN:P99` (CLI flags). */
export function parseLatency(text: string): Latency {
  const [kind, a, b] = text.split(':');
  if (kind === 'none' && a === undefined) return { kind: 'none' };
  if (kind === 'fixed' && Number(a) >= 0 && b === undefined) return { kind: 'fixed', ms: Number(a) };
  if (kind === 'lognormal' && Number(a) > 0 && Number(b) >= Number(a)) {
    return { kind: 'lognormal', medianMs: Number(a), p99Ms: Number(b) };
  }
  throw new RangeError(`bad latency '${text}': use none, fixed:MS or lognormal:MEDIAN:P99`);
}
