// The shape of a V8 .cpuprofile (what `node --cpu-prof` and the inspector's Profiler.stop write), as
// far as the profile readers here use it: summarize.ts (self time) and parts.ts (inclusive shares).

export interface CallFrame {
  functionName: string;
  /** file:///…, node:…, or empty for natives and V8's own entries ((idle), (garbage collector)…). */
  url: string;
  lineNumber: number;
}

export interface CpuNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  /** µs since the previous sample (the first: since the profile's start). */
  timeDeltas: number[];
}

/** Each sample's time from the profile's start, in seconds. */
export function sampleSeconds(profile: CpuProfile): number[] {
  let t = 0;
  return profile.timeDeltas.map((d) => {
    t += d;
    return t / 1e6;
  });
}
