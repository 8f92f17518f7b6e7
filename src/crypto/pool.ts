// The piscina-backed CryptoService. DUKPT derivations, sign-on key generation, RSA signing and key
// ceremonies run in workers; session-key MACs run on the event loop unless `sessionMacs: 'pool'`
// (bench/crypto: inline wins at every load on 2 vCPUs). A thread hop costs ~75 µs of latency and 14–30 µs of
// main-thread CPU, more than a MAC itself, so jobs are never sent one per task: every job submitted
// in one event-loop turn waits for setImmediate, then the turn's jobs go out as a few batch tasks
// (at most one per thread unless a batch would exceed maxBatch). The queue is bounded: past
// maxQueue unfinished jobs, calls reject at once with 'queue-full' and stats().saturated is true.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import {
  countCryptoJobs,
  cryptoBatchSize,
  cryptoQueueDepth,
  cryptoTaskRun,
  cryptoTaskWait,
} from '../metrics/crypto.js';
import type { KeyBlob } from '../terminals/types.js';
import { asBuffer, CryptoEngine, type ImmediateMacs, type Job, type JobOutcome, type JobValue } from './engine.js';
import { CryptoError } from './errors.js';
import type { KeyAlgorithm } from './key.js';
import type { KeyCacheStats } from './lmk.js';
import type {
  CryptoService,
  CryptoServiceOptions,
  CryptoStats,
  DukptRequest,
  MacAlgorithm,
  MacKeyRef,
  SignOnKeys,
  SignOnOptions,
} from './service.js';
import { decode, encode } from './transport.js';
import type { BatchResult, BatchTask, WorkerConfig } from './worker.js';

interface Pending {
  job: Job;
  resolve(value: JobValue): void;
  reject(err: Error): void;
}

/** Below this many jobs per thread, splitting a flush costs more main-thread CPU than it saves. */
const MIN_JOBS_PER_TASK = 8;

export class PoolCryptoService implements CryptoService, ImmediateMacs {
  readonly mode = 'pool' as const;
  readonly threads: number;
  private readonly piscina: Piscina<BatchTask, Uint8Array>;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  /** Runs session-key MACs on the event loop when `sessionMacs` is 'inline' (the default). */
  private readonly local: CryptoEngine | undefined;
  private pending: Pending[] = [];
  private flushScheduled = false;
  private depth = 0;
  private inFlight = 0;
  private readonly tasks = new Set<Promise<void>>();
  private closed = false;

  constructor(opts: CryptoServiceOptions) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.maxQueue = opts.maxQueue ?? 8192;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 256);
    const workerData: WorkerConfig = {
      lmk: new Uint8Array(opts.lmk),
      keyCacheSize: opts.keyCacheSize,
      dukptCacheSize: opts.dukptCacheSize,
    };
    this.piscina = new Piscina({
      filename: opts.workerFilename ?? new URL('./worker.js', import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      workerData,
    });
    if ((opts.sessionMacs ?? 'inline') === 'inline') this.local = new CryptoEngine(opts);
  }

  private submit(job: Job): Promise<JobValue> {
    if (this.closed) {
      countCryptoJobs(job.op, 'closed');
      return Promise.reject(new CryptoError('closed', 'the crypto service is closed'));
    }
    if (this.local && CryptoEngine.isCheap(job)) {
      // A session-key MAC costs ~3 µs here and 2–8 µs of main-thread time even batched (docs/crypto.md).
      try {
        return Promise.resolve(this.runLocal(job));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.depth >= this.maxQueue) {
      countCryptoJobs(job.op, 'queue-full');
      return Promise.reject(new CryptoError('queue-full', `crypto queue full (${this.maxQueue} jobs pending)`));
    }
    this.depth++;
    return new Promise<JobValue>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    cryptoQueueDepth.set(this.depth);
    const tasks = Math.min(Math.max(1, Math.floor(batch.length / MIN_JOBS_PER_TASK)), this.threads);
    const size = Math.min(this.maxBatch, Math.ceil(batch.length / tasks));
    for (let i = 0; i < batch.length; i += size) this.dispatch(batch.slice(i, i + size));
  }

  private dispatch(chunk: Pending[]): void {
    this.inFlight += chunk.length;
    cryptoBatchSize.observe(chunk.length);
    const sentAt = performance.timeOrigin + performance.now();
    const jobs = encode(chunk.map((p) => p.job));
    const task = this.piscina.run({ jobs }, { transferList: [jobs.buffer as ArrayBuffer] }).then(
      (packed) => {
        const result = decode<BatchResult>(packed);
        this.inFlight -= chunk.length;
        cryptoTaskWait.observe(Math.max(0, result.startedAt - sentAt) / 1000);
        cryptoTaskRun.observe(result.runMs / 1000);
        this.settle(chunk, result.outcomes);
      },
      (err: unknown) => {
        this.inFlight -= chunk.length;
        const code = this.closed ? 'closed' : 'worker-crashed';
        const why = err instanceof Error ? err.message : String(err);
        const error = new CryptoError(
          code,
          code === 'closed'
            ? 'the crypto service closed before the job ran'
            : `the crypto worker running this job died: ${why}`,
        );
        this.depth -= chunk.length;
        cryptoQueueDepth.set(this.depth);
        for (const p of chunk) {
          countCryptoJobs(p.job.op, code);
          p.reject(error);
        }
      },
    );
    this.tasks.add(task);
    task.finally(() => this.tasks.delete(task));
  }

  private settle(chunk: Pending[], outcomes: JobOutcome[]): void {
    this.depth -= chunk.length;
    cryptoQueueDepth.set(this.depth);
    for (let i = 0; i < chunk.length; i++) {
      const p = chunk[i];
      const o = outcomes[i];
      if (o.ok) {
        countCryptoJobs(p.job.op, 'ok');
        p.resolve(o.value);
      } else {
        countCryptoJobs(p.job.op, 'error');
        p.reject(new CryptoError(o.code, o.message));
      }
    }
  }

  /** Session-key MACs when they run on the event loop (`sessionMacs: 'inline'`); else undefined. */
  generateMacNow(alg: MacAlgorithm, key: MacKeyRef, data: Buffer): Buffer | undefined {
    if (this.local === undefined || key.kind !== 'session' || this.closed) return undefined;
    return asBuffer(this.runLocal({ op: 'mac', alg, key, data }) as Uint8Array);
  }

  verifyMacNow(alg: MacAlgorithm, key: MacKeyRef, data: Buffer, mac: Buffer): boolean | undefined {
    if (this.local === undefined || key.kind !== 'session' || this.closed) return undefined;
    return this.runLocal({ op: 'verify', alg, key, data, mac }) as boolean;
  }

  /** A cheap job on the event loop, counted and failing exactly as `submit` would settle it. */
  private runLocal(job: Job): JobValue {
    const outcome = (this.local as CryptoEngine).run(job);
    countCryptoJobs(job.op, outcome.ok ? 'ok' : 'error');
    if (!outcome.ok) throw new CryptoError(outcome.code, outcome.message);
    return outcome.value;
  }

  async generateMac(alg: MacAlgorithm, key: MacKeyRef, data: Buffer): Promise<Buffer> {
    return asBuffer((await this.submit({ op: 'mac', alg, key, data })) as Uint8Array);
  }

  async verifyMac(alg: MacAlgorithm, key: MacKeyRef, data: Buffer, mac: Buffer): Promise<boolean> {
    return (await this.submit({ op: 'verify', alg, key, data, mac })) as boolean;
  }

  async importKey(clearHex: string, algorithm?: KeyAlgorithm): Promise<KeyBlob> {
    return (await this.submit({ op: 'import', clearHex, algorithm })) as string;
  }

  async keyCheckValue(blob: KeyBlob, length: 3 | 4 = 3): Promise<string> {
    return (await this.submit({ op: 'kcv', blob, length })) as string;
  }

  async generateSignOnKeys(tmk: KeyBlob, opts: SignOnOptions): Promise<SignOnKeys> {
    const keys = (await this.submit({ op: 'signon', tmk, opts })) as SignOnKeys;
    return { ...keys, field62: asBuffer(keys.field62) };
  }

  async wrap(kek: KeyBlob, key: KeyBlob): Promise<Buffer> {
    return asBuffer((await this.submit({ op: 'wrap', kek, key })) as Uint8Array);
  }

  async unwrap(kek: KeyBlob, wrapped: Buffer, algorithm?: KeyAlgorithm): Promise<KeyBlob> {
    return (await this.submit({ op: 'unwrap', kek, wrapped, algorithm })) as string;
  }

  async deriveDukptKey(req: DukptRequest): Promise<KeyBlob> {
    return (await this.submit({ op: 'dukpt', req })) as string;
  }

  async rsaSign(privateKeyPem: string, data: Buffer): Promise<Buffer> {
    return asBuffer((await this.submit({ op: 'rsa-sign', pem: privateKeyPem, data })) as Uint8Array);
  }

  stats(): CryptoStats {
    return {
      queueDepth: this.depth,
      inFlight: this.inFlight,
      saturated: this.depth >= this.maxQueue,
      threads: this.threads,
    };
  }

  keyCacheStats(): KeyCacheStats | undefined {
    return this.local?.keyCacheStats();
  }

  /** On the event loop's engine only (not a job: the crypto job metrics count requests' work). */
  warmMacKey(alg: MacAlgorithm, key: MacKeyRef): void {
    if (this.local === undefined || key.kind !== 'session' || this.closed) return;
    this.local.warmMacKey(alg, key);
  }

  /** Finishes every accepted job, then stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    await Promise.allSettled([...this.tasks]);
    await this.piscina.destroy();
  }
}
