// CPU time and resident memory of another process, from /proc/<pid>/stat (Linux): user + system time
// of all its threads (the crypto workers included) and its RSS.
import { readFileSync } from 'node:fs';

export interface ProcSample {
  /** User + system CPU time, µs. */
  cpuUs: number;
  rssBytes: number;
  /** performance.now() when sampled. */
  at: number;
}

/** Clock ticks per second of /proc's time fields: 100 on every Linux this runs on (USER_HZ). */
const CLK_TCK = 100;
const PAGE_BYTES = 4096;

export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime 15, rss (pages) 24.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const rssPages = Number(rest[21]);
  return { cpuUs: ((utime + stime) * 1_000_000) / CLK_TCK, rssBytes: rssPages * PAGE_BYTES, at: performance.now() };
}

export function trySample(pid: number | undefined): ProcSample | undefined {
  if (pid === undefined) return undefined;
  try {
    return sampleProcess(pid);
  } catch {
    return undefined;
  }
}
