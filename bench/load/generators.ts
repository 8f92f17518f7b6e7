// A generator is one process's share of the fleet: in this process (small fleets, tests) or in a
// forked child (`worker.ts`) talking over IPC, so a large fleet spreads its descriptors and CPU over
// several processes. Both expose the same three steps: connect, run (repeatable), close.

import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConnectResult, type ConnectSpec, closeFleet, connectFleet, type LoadBox } from './fleet.js';
import { type Progress, type RunResult, type RunSpec, runLoad } from './generator.js';
import { type Placement, placedCommand } from './placement.js';

export type ConnectSummary = Omit<ConnectResult, 'boxes'> & { connected: number };

export interface Generator {
  connect(spec: ConnectSpec): Promise<ConnectSummary>;
  run(spec: RunSpec, onProgress?: (p: Progress) => void): Promise<RunResult>;
  close(): Promise<void>;
}

export class LocalGenerator implements Generator {
  private boxes: LoadBox[] = [];

  async connect(spec: ConnectSpec): Promise<ConnectSummary> {
    const { boxes, ...rest } = await connectFleet(spec);
    this.boxes = boxes;
    return { ...rest, connected: boxes.length };
  }

  run(spec: RunSpec, onProgress?: (p: Progress) => void): Promise<RunResult> {
    return runLoad(this.boxes, spec, onProgress);
  }

  async close(): Promise<void> {
    closeFleet(this.boxes);
    this.boxes = [];
  }
}

const WORKER = join(fileURLToPath(new URL('.', import.meta.url)), 'worker.js');

type WorkerMessage =
  | { connected: ConnectSummary }
  | { progress: Progress }
  | { result: RunResult }
  | { closed: true }
  | { error: string };

export class ChildGenerator implements Generator {
  private readonly child: ChildProcess;
  private exitError: Error | undefined;

  get pid(): number | undefined {
    return this.child.pid;
  }

  constructor(nodeArgs: string[] = [], place: Placement = {}) {
    // fork runs `execPath ...execArgv WORKER`: through taskset / nice when placed (each execs node, same pid).
    const run = placedCommand(place, process.execPath, nodeArgs);
    this.child = fork(WORKER, [], {
      execPath: run.command,
      execArgv: run.args,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.once('exit', (code, signal) => {
      this.exitError = new Error(`load generator process exited (${code ?? signal})`);
    });
  }

  /** Sends one command and resolves with the reply that has `key`; progress messages go to `onProgress`. */
  private request<K extends string>(
    cmd: object,
    key: K,
    onProgress?: (p: Progress) => void,
  ): Promise<Extract<WorkerMessage, Record<K, unknown>>> {
    return new Promise((resolve, reject) => {
      if (this.exitError) {
        reject(this.exitError);
        return;
      }
      const onMessage = (m: WorkerMessage) => {
        if ('progress' in m) {
          onProgress?.(m.progress);
          return;
        }
        cleanup();
        if ('error' in m) reject(new Error(m.error));
        else if (key in m) resolve(m as Extract<WorkerMessage, Record<K, unknown>>);
        else reject(new Error(`unexpected message from the load generator: ${Object.keys(m).join(',')}`));
      };
      const onExit = () => {
        cleanup();
        reject(this.exitError ?? new Error('load generator process exited'));
      };
      const cleanup = () => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(cmd);
    });
  }

  async connect(spec: ConnectSpec): Promise<ConnectSummary> {
    return (await this.request({ cmd: 'connect', spec }, 'connected')).connected;
  }

  async run(spec: RunSpec, onProgress?: (p: Progress) => void): Promise<RunResult> {
    return (await this.request({ cmd: 'run', spec }, 'result', onProgress)).result;
  }

  async close(): Promise<void> {
    if (this.exitError) return;
    try {
      await this.request({ cmd: 'close' }, 'closed');
    } finally {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await new Promise<void>((r) => (this.exitError ? r() : this.child.once('exit', () => r())));
      clearTimeout(timer);
    }
  }
}
