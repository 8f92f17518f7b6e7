// Crypto benchmark: MAC verifications (200-byte message) inline, pooled one job per task, and
// pooled micro-batched, at 1 and 2 worker threads, under light (1 outstanding call) and heavy
// (128 outstanding) load; then DUKPT derivations inline, pooled, and with the npm `dukpt` package
// as the TDES baseline. Latency percentiles via hdr-histogram-js; main-thread CPU per operation
// from event-loop utilisation; then the UnionPay ECB MAC itself per call, JS key schedule vs OpenSSL;
// then what a fresh pool thread's first DUKPT MACs cost before V8 has optimised them (`cold`).
// Run: npm run build && npm run bench:crypto [-- mac|dukpt|transport|cups|cold ...]
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { pack, unpack } from 'msgpackr';
import { EcbCipher } from '../../src/crypto/des.js';
import { countOneBits, deriveTdesDukpt } from '../../src/crypto/dukpt/tdes.js';
import { Key } from '../../src/crypto/key.js';
import { cupsEcbMac } from '../../src/crypto/mac/cups-ecb.js';
import {
  type CryptoService,
  type CryptoServiceOptions,
  createCryptoService,
  DEFAULT_CRYPTO_OPTIONS,
} from '../../src/crypto/service.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const lmk = randomBytes(32);
const data = randomBytes(200);

interface Result {
  name: string;
  ops: number;
  perSec: number;
  p50: number;
  p99: number;
  mainUs: number;
}

/** Keep `concurrency` calls outstanding for SECONDS; latency per call in µs. */
async function closedLoop(name: string, call: (i: number) => Promise<unknown>, concurrency: number): Promise<Result> {
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let ops = 0;
  const start = performance.now();
  const deadline = start + SECONDS * 1000;
  const elu0 = performance.eventLoopUtilization();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await call(ops);
        hist.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        ops++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  return {
    name,
    ops,
    perSec: ops / elapsed,
    p50: hist.getValueAtPercentile(50),
    p99: hist.getValueAtPercentile(99),
    mainUs: (elu.active * 1000) / ops,
  };
}

function print(rows: Result[], baseline?: Result): void {
  for (const r of rows) {
    const ratio = baseline ? `  ×${(r.perSec / baseline.perSec).toFixed(2)}` : '';
    console.log(
      `${r.name.padEnd(44)} ${Math.round(r.perSec).toString().padStart(8)}/s  p50 ${String(r.p50).padStart(6)} µs  p99 ${String(r.p99).padStart(6)} µs  main ${r.mainUs.toFixed(1).padStart(6)} µs/op${ratio}`,
    );
  }
}

async function withService<T>(
  opts: Omit<CryptoServiceOptions, 'lmk'>,
  fn: (s: CryptoService) => Promise<T>,
): Promise<T> {
  const s = createCryptoService({ ...opts, lmk });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function macBench(): Promise<void> {
  console.log(`\nMAC verification, cups-ecb, ${data.length}-byte message, ${SECONDS}s per row`);
  const configs: [string, Omit<CryptoServiceOptions, 'lmk'>][] = [
    ['inline', { mode: 'inline' }],
    ['pool 1 thread, one job per task', { mode: 'pool', threads: 1, maxBatch: 1, sessionMacs: 'pool' }],
    ['pool 2 threads, one job per task', { mode: 'pool', threads: 2, maxBatch: 1, sessionMacs: 'pool' }],
    ['pool 1 thread, micro-batched', { mode: 'pool', threads: 1, sessionMacs: 'pool' }],
    ['pool 2 threads, micro-batched', { mode: 'pool', threads: 2, sessionMacs: 'pool' }],
    ['default (pool, session MACs inline)', { ...DEFAULT_CRYPTO_OPTIONS, threads: 2 }],
  ];
  for (const concurrency of [1, 128]) {
    console.log(`-- ${concurrency} call(s) outstanding`);
    const rows: Result[] = [];
    for (const [name, opts] of configs) {
      rows.push(
        await withService(opts, async (s) => {
          const mak = await s.importKey('0123456789ABCDEF');
          const ref = { kind: 'session', mak } as const;
          const mac = await s.generateMac('cups-ecb', ref, data);
          for (let i = 0; i < 2000; i++) await s.verifyMac('cups-ecb', ref, data, mac); // warm up
          return closedLoop(name, () => s.verifyMac('cups-ecb', ref, data, mac), concurrency);
        }),
      );
    }
    print(rows, rows[0]);
  }
}

const TDES_BDK = '0123456789ABCDEFFEDCBA9876543210';
/** Counters with 1..10 one-bits, as a box produces them. */
const counters = Array.from({ length: 8192 }, (_, i) => (i * 97 + 1) & 0xfffff).filter(
  (c) => c > 0 && countOneBits(c) <= 10,
);
/** A box's own sequence: every valid counter in order, as consecutive transactions send them. */
const sequential = Array.from({ length: 1 << 16 }, (_, i) => i + 1).filter((c) => countOneBits(c) <= 10);
const seqKsnFor = (i: number) =>
  `FFFF9876543210${(0xe00000 | sequential[i % sequential.length]).toString(16).toUpperCase()}`;
const ksnFor = (i: number) => `FFFF9876543210${(0xe00000 | counters[i % counters.length]).toString(16).toUpperCase()}`;

async function dukptBench(): Promise<void> {
  console.log(`\nTDES DUKPT MAC-request key from BDK + KSN, ${SECONDS}s per row`);
  const require = createRequire(import.meta.url);
  const Dukpt = require('dukpt') as new (bdk: string, ksn: string, mode: string) => { _sessionKey: string };
  const sample = new Dukpt(TDES_BDK, ksnFor(5), 'mackey')._sessionKey.replace(/\s/g, '').toUpperCase();
  const ours = deriveTdesDukpt(Buffer.from(TDES_BDK, 'hex'), ksnFor(5), 'mac-request').toString('hex').toUpperCase();
  if (sample !== ours) console.log(`note: npm dukpt 'mackey' = ${sample}, ours = ${ours}`);
  const bdk = Buffer.from(TDES_BDK, 'hex');
  const rows: Result[] = [];
  rows.push(
    await closedLoop(
      'npm dukpt (baseline), IPEK + key per call',
      async (i) => new Dukpt(TDES_BDK, ksnFor(i), 'mackey'),
      1,
    ),
  );
  rows.push(
    await closedLoop(
      'inline pure, IPEK + key per call',
      async (i) => deriveTdesDukpt(bdk, ksnFor(i), 'mac-request'),
      1,
    ),
  );
  for (const [name, opts, concurrency, ksnOf] of [
    ['inline service, scattered counters', { mode: 'inline' }, 1, ksnFor],
    ['pool 2 threads batched, scattered counters', { mode: 'pool', threads: 2 }, 128, ksnFor],
    ['inline service, sequential counters', { mode: 'inline' }, 1, seqKsnFor],
    ['pool 2 threads batched, sequential counters', { mode: 'pool', threads: 2 }, 128, seqKsnFor],
  ] as const) {
    rows.push(
      await withService(opts, async (s) => {
        const blob = await s.importKey(TDES_BDK);
        return closedLoop(
          name,
          (i) => s.deriveDukptKey({ scheme: 'tdes', bdk: blob, ksn: ksnOf(i), usage: 'mac-request' }),
          concurrency,
        );
      }),
    );
  }
  print(rows, rows[0]);
}

function transportBench(): void {
  console.log('\nBatch transport, 256 verify jobs, MABs sliced from a 64 KiB read buffer: encode+decode on one thread');
  // As the server has them: each MAB a slice of a 64 KiB socket read buffer.
  const socketRead = randomBytes(65536);
  const jobs = Array.from({ length: 256 }, (_, i) => ({
    op: 'verify',
    alg: 'x9.19',
    key: { kind: 'dukpt-tdes', bdk: 'X'.repeat(94), ksn: 'FFFF9876543210E00001', direction: 'request' },
    data: socketRead.subarray(i * 200, i * 200 + 200),
    mac: socketRead.subarray(60000 + i * 8, 60000 + i * 8 + 8),
  }));
  const time = (fn: () => void) => {
    for (let i = 0; i < 200; i++) fn();
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) fn();
    return ((performance.now() - t0) * 1000) / 2000;
  };
  const clone = time(() => structuredClone(jobs));
  const msgpack = time(() => unpack(new Uint8Array(pack(jobs))));
  console.log(
    `structuredClone ${clone.toFixed(1)} µs/batch   msgpackr pack+copy+unpack ${msgpack.toFixed(1)} µs/batch`,
  );
}

/**
 * The CUPS ECB MAC as it was computed before the cached JS schedule (the old cups-ecb.ts, same
 * scratch buffers): two single-block `update`s on a long-lived OpenSSL des-ede3 context.
 */
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
const xorScratch = Buffer.alloc(8);
const hexScratch = Buffer.alloc(16);
const hexFirstHalf = hexScratch.subarray(0, 8);
function expandInto(block: Uint8Array, bytes: number, out: Buffer): Buffer {
  for (let i = 0; i < bytes; i++) {
    out[2 * i] = HEX[block[i] >> 4];
    out[2 * i + 1] = HEX[block[i] & 0x0f];
  }
  return out;
}
function cupsEcbMacOpenssl(ecb: EcbCipher, data: Uint8Array): Buffer {
  xorScratch.fill(0);
  for (let i = 0; i < data.length; i++) xorScratch[i & 7] ^= data[i];
  expandInto(xorScratch, 8, hexScratch);
  const enc1 = ecb.encrypt(hexFirstHalf);
  for (let i = 0; i < 8; i++) enc1[i] ^= hexScratch[8 + i];
  return expandInto(ecb.encrypt(enc1), 4, Buffer.allocUnsafe(8));
}

function cupsBench(): void {
  const mak = Key.of(randomBytes(16));
  const ecb = EcbCipher.des(mak.bytes);
  const message = randomBytes(120); // about a 0200's MAC block
  if (!cupsEcbMac(mak, message).equals(cupsEcbMacOpenssl(ecb, message))) throw new Error('the two MACs differ');
  const N = 200_000;
  const run = (fn: () => unknown) => {
    for (let i = 0; i < 20_000; i++) fn();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    return Number(process.hrtime.bigint() - t0) / N;
  };
  console.log(`\nCUPS ECB MAC, 16-byte MAK, ${message.length}-byte block, ns per MAC (${N} calls a run, interleaved)`);
  // The cipher step alone too: one TDES block through OpenSSL's update vs the kept JS schedule.
  const jsBlock = mak.desSchedule();
  const b = Buffer.alloc(8);
  for (let pair = 1; pair <= 3; pair++) {
    const openssl = run(() => cupsEcbMacOpenssl(ecb, message));
    const js = run(() => cupsEcbMac(mak, message));
    const update = run(() => ecb.encrypt(b));
    const block = run(() => jsBlock.encryptBlock(b, 0, b, 0));
    console.log(
      `pair ${pair}: MAC OpenSSL ${openssl.toFixed(0)} → JS schedule ${js.toFixed(0)} ns; ` +
        `one TDES block: OpenSSL update ${update.toFixed(0)}, JS ${block.toFixed(0)} ns`,
    );
  }
}

/**
 * A pool thread starts cold: its DUKPT derivations run unoptimised until V8 has seen enough of them.
 * The warm-up (src/runtime/warm-up.ts) runs in a scratch copy's own pool, so the real pool's threads
 * meet their first DUKPT boxes cold. What that costs: one DUKPT MAC at a time on a fresh one-thread
 * pool, each with a new KSN (a derivation per call, as a box's consecutive requests), the first calls
 * against the same thread's calls 500–550; several fresh pools, medians.
 */
async function coldBench(): Promise<void> {
  const POOLS = 5;
  const CALLS = 550;
  console.log(`\nA fresh pool thread's first DUKPT MACs (one outstanding, a new KSN each), ${POOLS} fresh pools`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  for (const scheme of ['tdes', 'aes'] as const) {
    const first: number[] = [];
    const first50: number[] = [];
    const warm50: number[] = [];
    for (let p = 0; p < POOLS; p++) {
      await withService({ mode: 'pool', threads: 1 }, async (s) => {
        const bdk = await s.importKey(randomBytes(16).toString('hex'), scheme === 'aes' ? 'aes' : undefined);
        // importKey runs in the thread too: the thread exists and has loaded the engine before the first MAC.
        const mac = randomBytes(8);
        const ms: number[] = [];
        for (let i = 1; i <= CALLS; i++) {
          const ksn =
            scheme === 'aes' ? `0123456789ABCDEF${sequential[i]!.toString(16).padStart(8, '0')}` : seqKsnFor(i);
          const key = { kind: `dukpt-${scheme}`, bdk, ksn, direction: 'request' } as const;
          const t0 = performance.now();
          await s.verifyMac(scheme === 'aes' ? 'aes-cmac' : 'x9.19', key, data, mac);
          ms.push(performance.now() - t0);
        }
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        first.push(ms[0]!);
        first50.push(sum(ms.slice(0, 50)));
        warm50.push(sum(ms.slice(CALLS - 50)));
      });
    }
    console.log(
      `${scheme.toUpperCase()}: first MAC ${median(first).toFixed(2)} ms; first 50 ${median(first50).toFixed(1)} ms ` +
        `against 50 warm ones ${median(warm50).toFixed(1)} ms (×${(median(first50) / median(warm50)).toFixed(1)})`,
    );
  }
}

// Sections to run: all by default, or those named on the command line (mac, dukpt, transport, cups, cold).
const only = new Set(process.argv.slice(2));
const wanted = (name: string) => only.size === 0 || only.has(name);
console.log(`node ${process.version}, ${SECONDS}s per row`);
if (wanted('mac')) await macBench();
if (wanted('dukpt')) await dukptBench();
if (wanted('transport')) transportBench();
if (wanted('cups')) cupsBench();
if (wanted('cold')) await coldBench();
