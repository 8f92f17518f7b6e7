// Codec benchmark: encode and decode of a B2C sale 0200 and its 0210 with boxfep's cups-pos and
// iso87ascii specs, and, in the same run on the equivalent all-ASCII message, the npm package
// iso_8583 as the baseline; also the reference decode path (composed field codecs) to show what the
// decode plan gains in the same run. Usage: npm run build && node dist/bench/codec/run.js [--quick]
import { createRequire } from 'node:module';
import { codecFor, type IsoMessage } from '../../src/iso8583/index.js';
import { type Case, keepAlive, measureAll } from './measure.js';
import { sale0200, sale0210 } from './messages.js';

interface Iso8583Package {
  new (
    data?: Record<string, string>,
  ): {
    getBufferMessage(): Buffer | { error: string };
    getIsoJSON(buf: Buffer, config: object): Record<string, string> | { error: string };
  };
}
const Iso8583 = createRequire(import.meta.url)('iso_8583') as Iso8583Package;

const quick = process.argv.includes('--quick');
const rounds = quick ? 2 : 5;
const seconds = quick ? 0.2 : 0.5;
const samples = quick ? 20_000 : 100_000;

/** iso_8583 takes the MTI as field 0 and the MAC as 8 hex characters it writes as 4 raw bytes. */
function baselineData(msg: IsoMessage): Record<string, string> {
  const data: Record<string, string> = { 0: msg.mti };
  for (const [k, v] of Object.entries(msg.fields)) data[k] = k === '64' ? Buffer.from(v, 'hex').toString('latin1') : v;
  return data;
}

function checkBaseline(msg: IsoMessage): Buffer {
  const buf = new Iso8583(baselineData(msg)).getBufferMessage();
  if (!Buffer.isBuffer(buf)) throw new Error(`iso_8583 cannot encode ${msg.mti}: ${buf.error}`);
  const back = new Iso8583().getIsoJSON(buf, {});
  if ('error' in back || back[11] !== msg.fields[11] || back[59] !== msg.fields[59]) {
    throw new Error(`iso_8583 does not round-trip ${msg.mti}`);
  }
  return buf;
}

const cases: Case[] = [];
const cups = codecFor('cups-pos');
const ascii = codecFor('iso87ascii');

for (const msg of [sale0200, sale0210]) {
  const cupsBytes = cups.encode(msg);
  const asciiBytes = ascii.encode(msg);
  if (JSON.stringify(cups.decode(cupsBytes)) !== JSON.stringify(msg)) throw new Error('cups-pos round trip failed');
  if (JSON.stringify(ascii.decode(asciiBytes)) !== JSON.stringify(msg)) throw new Error('iso87ascii round trip failed');
  const baseBytes = checkBaseline(msg);
  const baseData = baselineData(msg);
  const m = msg.mti;
  cases.push(
    { name: `decode ${m} boxfep cups-pos (${cupsBytes.length} B)`, fn: () => cups.decode(cupsBytes) },
    { name: `decode ${m} boxfep iso87ascii (${asciiBytes.length} B)`, fn: () => ascii.decode(asciiBytes) },
    {
      name: `decode ${m} iso_8583 baseline (${baseBytes.length} B)`,
      fn: () => new Iso8583().getIsoJSON(baseBytes, {}),
    },
    { name: `encode ${m} boxfep cups-pos`, fn: () => cups.encode(msg) },
    { name: `encode ${m} boxfep iso87ascii`, fn: () => ascii.encode(msg) },
    { name: `encode ${m} iso_8583 baseline`, fn: () => new Iso8583(baseData).getBufferMessage() },
  );
}
// The reference decode path (composed field codecs, as before the decode plan), for the gain in this run.
const sale0200Bytes = cups.encode(sale0200);
cases.push({
  name: 'decode 0200 cups-pos reference path',
  fn: () => cups.decodeReference(sale0200Bytes),
});
const results = measureAll(cases, rounds, seconds, samples);
keepAlive();

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `node ${process.version}; msg/s = best of ${rounds} interleaved ${seconds}s windows; ${samples} latency samples\n`,
);
console.log(
  `${'case'.padEnd(46)} ${'msg/s'.padStart(12)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'p99.9 µs'.padStart(9)}`,
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(46)} ${fmt(r.opsPerSec).padStart(12)} ${r.p50us.toFixed(2).padStart(8)} ${r.p99us.toFixed(2).padStart(8)} ${r.p999us.toFixed(2).padStart(9)}`,
  );
}
console.log('\nratio to the iso_8583 baseline (same message, same run):');
for (let i = 0; i + 2 < results.length; i += 3) {
  const base = results[i + 2].opsPerSec;
  const op = results[i].name.split(' (')[0].replace(' boxfep cups-pos', '');
  console.log(
    `  ${op.padEnd(12)} cups-pos ${(results[i].opsPerSec / base).toFixed(1)}×   iso87ascii ${(results[i + 1].opsPerSec / base).toFixed(1)}×`,
  );
}
const reference = results[results.length - 1].opsPerSec;
console.log(
  `\ndecode 0200 cups-pos: decode plan ${(results[0].opsPerSec / reference).toFixed(2)}× the reference path ` +
    `(${(results[0].opsPerSec / results[2].opsPerSec).toFixed(1)}× vs ${(reference / results[2].opsPerSec).toFixed(1)}× the baseline)`,
);
