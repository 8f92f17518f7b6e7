// Where the processes of a run on one machine run: boxfep (or the echo server) on some cores and the
// load (the generators, the wallet sandbox, this parent) on the others, and the load at a lower
// priority, so that the server under test waits less for a core the load generator holds. Linux's
// taskset and nice (util-linux and coreutils, on every Debian) do it: a spawned process is started
// through them (each execs the next, so the pid stays node's and every thread inherits the setting);
// this process pins itself (it keeps its priority: the servers it starts must not inherit the load's).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { statFields } from './proc-stat.js';

/** A CPU list as taskset takes it: "1", "0,2", "2-3". */
const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

export class CpuListError extends Error {}

/** The CPU numbers of a list, checked against the CPUs this machine has. */
export function parseCpuList(list: string, cpus = availableParallelism()): number[] {
  if (!CPU_LIST.test(list)) throw new CpuListError(`'${list}' is not a CPU list (e.g. 1 or 0,2-3)`);
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    if (b < a) throw new CpuListError(`'${part}' runs backwards`);
    for (let c = a; c <= b; c++) {
      if (c >= cpus) throw new CpuListError(`CPU ${c} does not exist here (CPUs 0-${cpus - 1})`);
      out.add(c);
    }
  }
  return [...out].sort((x, y) => x - y);
}

/** Where and at what priority a process runs; both unset: anywhere, at the default priority. */
export interface Placement {
  /** A CPU list for taskset. */
  cpus?: string;
  /** Niceness, 0 (default) to 19 (lowest priority). */
  nice?: number;
}

/** The command and arguments that run `command args` with that placement (unchanged when none). */
export function placedCommand(
  place: Placement,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  let run = { command, args: [...args] };
  if (place.cpus !== undefined) run = { command: 'taskset', args: ['-c', place.cpus, run.command, ...run.args] };
  if (place.nice !== undefined && place.nice !== 0)
    run = { command: 'nice', args: ['-n', String(place.nice), run.command, ...run.args] };
  return run;
}

/** A process's niceness, from field 19 of /proc/<pid>/stat (undefined when it cannot be read). */
export function niceOf(pid: number): number | undefined {
  try {
    const nice = Number(statFields(pid)[16]);
    return Number.isInteger(nice) ? nice : undefined;
  } catch {
    return undefined;
  }
}

/** Pins a running process and all of its threads to `cpus` (threads it starts later inherit it). */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/** The CPUs a process may run on, as the kernel reports it (Cpus_allowed_list in /proc/<pid>/status). */
export function allowedCpus(pid: number): string | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The node flags a running node process was started with: the arguments of /proc/<pid>/cmdline
 * between the executable and `script` (undefined when it cannot be read or `script` is not there).
 */
export function nodeFlagsOf(pid: number, script: string): string[] | undefined {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    const at = argv.indexOf(script);
    return at > 0 ? argv.slice(1, at) : undefined;
  } catch {
    return undefined;
  }
}
