// The node flags boxfep's server is started with: `npm start`, the Docker image's entry point and the
// bench's spawned server all pass these, so what is measured is what runs. V8 reads the young
// generation's size once, when the isolate is made, so it cannot be set from inside the process.
//
// An 8 MB semi-space (node 20's default is 16 MB): scavenges twice as often, each about half as long
// (p50 4.0–4.5 → 2.3–3.1 ms, p90 9.6–12.4 → 5.6–7.8 ms at 2,000/s) for the same total, so the
// requests that arrive during one wait less: the typical second's p99 at 2,000/s was ×4.8 the echo's
// against ×6.0 by default (medians of the sixteenth round's runs, docs/performance.md), and a sale at
// capacity costs the same CPU. 4 MB cut the pauses further but cost CPU at capacity.

/** Flags for `node` before the script, for `boxfep serve` (cluster workers inherit them). */
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

const SEMI_SPACE = /^--max[-_]semi[-_]space[-_]size(?:=(\d+))?$/;

/**
 * The semi-space size in MB this process was started with, from its node flags or NODE_OPTIONS
 * (the last setting wins, as in V8); undefined when neither sets it (node's default).
 */
export function semiSpaceMbOf(execArgv: readonly string[], nodeOptions = ''): number | undefined {
  const flags = [...nodeOptions.split(/\s+/).filter(Boolean), ...execArgv];
  let mb: number | undefined;
  for (let i = 0; i < flags.length; i++) {
    const m = SEMI_SPACE.exec(flags[i]!);
    if (!m) continue;
    const value = m[1] ?? flags[i + 1];
    if (value !== undefined && /^\d+$/.test(value)) mb = Number(value);
  }
  return mb;
}
