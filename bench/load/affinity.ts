// CPU pinning for a run on one machine: boxfep (or the echo server) on some cores, the load (the
// generators, the wallet sandbox, this parent) on the others, so the server under test does not wait
// for a core the load generator holds. Linux's taskset (util-linux, on every Debian) does the pinning:
// a spawned process is started through it (taskset execs node, so the pid stays node's), this
// process pins itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

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

/** The command and arguments that run `command args` on `cpus` (unchanged when cpus is undefined). */
export function pinnedCommand(
  cpus: string | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return cpus === undefined
    ? { command, args: [...args] }
    : { command: 'taskset', args: ['-c', cpus, command, ...args] };
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
