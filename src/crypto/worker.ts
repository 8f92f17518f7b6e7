// The piscina worker: one engine per thread (LMK from workerData), one batch of jobs per task.
// Per-job errors come back as outcomes, so a task only rejects when the worker itself dies.
import { performance } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';
import { move } from 'piscina';
import { CryptoEngine, type Job, type JobOutcome } from './engine.js';
import { decode, encode } from './transport.js';

export interface WorkerConfig {
  lmk: Uint8Array;
  keyCacheSize?: number;
  dukptCacheSize?: number;
}

/** `jobs`: msgpackr-encoded Job[] (see transport.ts). */
export interface BatchTask {
  jobs: Uint8Array;
}

/** What the worker sends back, msgpackr-encoded in one transferred buffer. */
export interface BatchResult {
  /** One per job, in order. */
  outcomes: JobOutcome[];
  /** When the worker started the task and how long it ran, in ms (performance.timeOrigin-relative, epoch based). */
  startedAt: number;
  runMs: number;
}

const config = workerData as WorkerConfig;
const engine = new CryptoEngine({
  lmk: Buffer.from(config.lmk),
  keyCacheSize: config.keyCacheSize,
  dukptCacheSize: config.dukptCacheSize,
});

export default function runBatch(task: BatchTask): Uint8Array {
  const t0 = performance.now();
  const jobs = decode<Job[]>(task.jobs);
  const outcomes = new Array<JobOutcome>(jobs.length);
  for (let i = 0; i < jobs.length; i++) outcomes[i] = engine.run(jobs[i]);
  const result: BatchResult = { outcomes, startedAt: performance.timeOrigin + t0, runMs: performance.now() - t0 };
  return move(encode(result)) as Uint8Array;
}
