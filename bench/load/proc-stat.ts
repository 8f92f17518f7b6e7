// CPU time and resident memory of another process, from /proc/<pid>/stat (Linux): user + system time
// of all its threads (the crypto workers included) and its RSS — summed over its live child processes
// too, so `serve --workers N` counts the primary and every worker. The main thread's own CPU time
// (/proc/<pid>/task/<pid>/stat: the event loop) is sampled beside it, so a report can tell the event
// loop's cost from its helpers' (V8's GC threads, the crypto pool, libuv's threads).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  /** User + system CPU time, µs. */
  cpuUs: number;
  /** The system (kernel) part of cpuUs, µs: socket reads and writes, page faults. */
  sysUs?: number;
  /** The part of cpuUs spent on the main thread (the event loop), µs; summed over the processes. */
  mainThreadUs?: number;
  rssBytes: number;
  /**
   * Time the process's main thread (its event loop) was ready to run but waited for a core, µs, from
   * /proc/<pid>/schedstat; summed over the live child processes like the rest. Undefined where the
   * kernel keeps no scheduler statistics. On a machine shared with the load generators, this is the
   * part of a latency stall the process could not have avoided.
   */
  runQueueUs?: number;
  /** performance.now() when sampled. */
  at: number;
}

/** Clock ticks per second of /proc's time fields: 100 on every Linux this runs on (USER_HZ). */
const CLK_TCK = 100;
const PAGE_BYTES = 4096;

/** Fields of /proc/<pid>/stat after the command name: rest[0] is field 3 (state). */
export function statFields(pid: number, file = `/proc/${pid}/stat`): string[] {
  const stat = readFileSync(file, 'latin1');
  // The command name (field 2) may hold spaces and parentheses: split after its closing parenthesis.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** One process (all its threads): utime is field 14, stime 15, rss (pages) 24. */
export function sampleProcess(pid: number): ProcSample {
  const rest = statFields(pid);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const rssPages = Number(rest[21]);
  return {
    cpuUs: ((utime + stime) * 1_000_000) / CLK_TCK,
    sysUs: (stime * 1_000_000) / CLK_TCK,
    mainThreadUs: mainThreadUs(pid),
    rssBytes: rssPages * PAGE_BYTES,
    runQueueUs: runQueueUs(pid),
    at: performance.now(),
  };
}

/** The main thread's user + system time: its task's stat has the same fields as the process's. */
function mainThreadUs(pid: number): number | undefined {
  try {
    const rest = statFields(pid, `/proc/${pid}/task/${pid}/stat`);
    return ((Number(rest[11]) + Number(rest[12])) * 1_000_000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** The main thread's run-queue wait: /proc/<pid>/schedstat is "<on-cpu ns> <waiting ns> <timeslices>". */
function runQueueUs(pid: number): number | undefined {
  try {
    const waitingNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'latin1').split(' ')[1]);
    return Number.isFinite(waitingNs) ? waitingNs / 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Live descendants of `pid` (children, their children…), from the ppid field (4) of every /proc/N/stat. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const child = Number(name);
    if (!Number.isInteger(child) || child <= 0) continue;
    try {
      const ppid = Number(statFields(child)[1]);
      const list = parentOf.get(ppid);
      if (list) list.push(child);
      else parentOf.set(ppid, [child]);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    for (const c of parentOf.get(queue[i]) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** A process and its live descendants, summed (CPU time of children that already exited is not in it). */
export function sampleTree(pid: number): ProcSample {
  const total = sampleProcess(pid);
  for (const child of descendants(pid)) {
    try {
      const s = sampleProcess(child);
      total.cpuUs += s.cpuUs;
      total.sysUs = sumOfKnown(total.sysUs, s.sysUs);
      total.mainThreadUs = sumOfKnown(total.mainThreadUs, s.mainThreadUs);
      total.rssBytes += s.rssBytes;
      total.runQueueUs = sumOfKnown(total.runQueueUs, s.runQueueUs);
    } catch {
      // exited while we looked
    }
  }
  total.at = performance.now();
  return total;
}

/** A figure summed over processes: unknown as soon as one process lacks it. */
function sumOfKnown(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a + b;
}

export function trySample(pid: number | undefined): ProcSample | undefined {
  if (pid === undefined) return undefined;
  try {
    return sampleTree(pid);
  } catch {
    return undefined;
  }
}

/** Whole-machine CPU time from the first line of /proc/stat, µs summed over every core. */
export interface MachineSample {
  /** user + nice + system + irq + softirq: time some process or the kernel ran. */
  busyUs: number;
  /** busy + idle + iowait + steal. */
  totalUs: number;
  /** Time the hypervisor gave to other guests while this one wanted to run. */
  stealUs: number;
  at: number;
}

export function sampleMachine(): MachineSample {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const us = (ticks: number) => (ticks * 1_000_000) / CLK_TCK;
  const busy = user + nice + system + irq + softirq;
  return { busyUs: us(busy), totalUs: us(busy + idle + iowait + steal), stealUs: us(steal), at: performance.now() };
}

export function trySampleMachine(): MachineSample | undefined {
  try {
    return sampleMachine();
  } catch {
    return undefined;
  }
}
