// The V8 young generation's limit a process was started with, for the `boxfep serving` log line.
// V8 reads it once, when the isolate is made, so it is a node flag (`node --max-semi-space-size=MB
// dist/src/cli/main.js serve`, or NODE_OPTIONS), not a serve setting. The trade-off it sets is in
// docs/operations.md ("The young generation").

const SEMI_SPACE = /^--max[-_]semi[-_]space[-_]size(?:=(\d+))?$/;

/**
 * The semi-space size in MB from a process's node flags or NODE_OPTIONS (the last setting wins, as
 * in V8; the flags come after NODE_OPTIONS); undefined when neither sets it (node's default).
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

/** This process's semi-space size for the `boxfep serving` line: MB, or `node default`. */
export function semiSpaceMbInForce(): number | 'node default' {
  return semiSpaceMbOf(process.execArgv, process.env.NODE_OPTIONS) ?? 'node default';
}
