// Test-only fault hook: BOXFEP_CRASH_AT=<point>[:<n>] makes the process SIGKILL itself the n-th time
// (default the first) a flow reaches <point>, so crash tests hit each dangerous moment exactly rather
// than by racing a timer. Unset (the default, and always in production) it costs one comparison.
//   after-order-written    the order is in the store, the wallet has not been called
//   after-wallet-accepted  the wallet answered (paid / created), boxfep has not recorded it
//   before-reply           the result is stored, the answer has not been written to the box

export const CRASH_POINTS = ['after-order-written', 'after-wallet-accepted', 'before-reply'] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

/** Parses `point[:n]`; undefined when unset or malformed (a typo must never crash production). */
export function parseCrashAt(value: string | undefined): { point: CrashPoint; nth: number } | undefined {
  if (!value) return undefined;
  const [point, n] = value.split(':');
  if (!CRASH_POINTS.includes(point as CrashPoint)) return undefined;
  const nth = n === undefined ? 1 : Number(n);
  return Number.isSafeInteger(nth) && nth >= 1 ? { point: point as CrashPoint, nth } : undefined;
}

const armed = parseCrashAt(process.env.BOXFEP_CRASH_AT);
let hits = 0;

/** Is a crash point armed in this process? (The start-up warm-up must not reach it first.) */
export function crashPointArmed(): boolean {
  return armed !== undefined;
}

/** Dies here (SIGKILL, no cleanup, no flush) when BOXFEP_CRASH_AT names this point and its count is reached. */
export function crashPoint(point: CrashPoint): void {
  if (armed === undefined || armed.point !== point) return;
  if (++hits >= armed.nth) process.kill(process.pid, 'SIGKILL');
}
