// The piscina worker: one engine per thread (LMK from workerData), one batch of jobs per task.
// Per-job errors come back as outcomes, so a task only rejects when the worker itself dies.
import { performance } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';
import { CryptoEngine, type Job, type JobOutcome } from './engine.js';

export interface WorkerConfig {
  lmk: Uint8Array;
  keyCacheSize?: number;
  dukptCacheSize?: number;
}

export interface BatchTask {
  jobs: Job[];
}

export interface BatchResult {
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

export default function runBatch(task: BatchTask): BatchResult {
  const t0 = performance.now();
  const outcomes = new Array<JobOutcome>(task.jobs.length);
  for (let i = 0; i < task.jobs.length; i++) outcomes[i] = engine.run(task.jobs[i]);
  return { outcomes, startedAt: performance.timeOrigin + t0, runMs: performance.now() - t0 };
}
