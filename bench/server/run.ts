// bench/server: request round trips per second and latency through boxfep's box server, against a
// bare framed-echo TCP server in the same run (the floor: socket I/O and framing, no protocol work).
// The server runs in a child process, the closed-loop clients here; 2 shared cores, so the clients'
// own CPU is part of every number alike. Usage: node dist/bench/server/run.js [seconds] [connections]
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { Box } from '../../src/box/box.js';
import { echoRequest, queryRequest } from '../../src/box/messages.js';
import { BOX_LAYOUT, FrameSplitter } from '../../src/iso8583/index.js';
import { MID, TMK, tidOf } from './ids.js';

const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 32);
const here = dirname(fileURLToPath(import.meta.url));

async function startTarget(args: string[]) {
  const child = fork(join(here, 'target.js'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (c) => reject(new Error(`target exited ${c}`)));
  });
  return { port, stop: () => child.kill() };
}

/** Closed loop: each connection sends its frame again as soon as the previous reply is complete. */
async function drive(port: number, frames: Buffer[]) {
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let done = 0;
  let running = true;
  const sockets: Socket[] = [];
  await Promise.all(
    frames.map(
      (frame) =>
        new Promise<void>((resolve) => {
          const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
            const sp = new FrameSplitter(BOX_LAYOUT);
            let t0 = performance.now();
            s.on('data', (c: Buffer) => {
              for (const _ of sp.push(c)) {
                const now = performance.now();
                hist.recordValue(Math.round((now - t0) * 1000));
                done++;
                if (!running) continue;
                t0 = now;
                s.write(frame);
              }
            });
            s.write(frame);
            resolve();
          });
          s.on('error', () => {});
          sockets.push(s);
        }),
    ),
  );
  const warm = 1000;
  await new Promise((r) => setTimeout(r, warm));
  hist.reset();
  const startCount = done;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const count = done - startCount;
  running = false;
  const result = {
    perSecond: count / elapsed,
    p50: hist.getValueAtPercentile(50) / 1000,
    p99: hist.getValueAtPercentile(99) / 1000,
  };
  for (const s of sockets) s.destroy();
  hist.destroy();
  return result;
}

async function boxFrames(port: number, maced: boolean): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for (let i = 0; i < connections; i++) {
    const box = await Box.connect({ port, tid: tidOf(i), mid: MID, tmk: TMK });
    await box.signOn();
    const id = { tid: box.tid, mid: MID, batch: box.batch };
    frames.push(
      maced
        ? box.encodeRequest(queryRequest(id, '000100', { batch: box.batch, stan: '000001' }))
        : box.encodeRequest(echoRequest(id, '000100'), { mac: false }),
    );
    box.close();
  }
  return frames;
}

function row(name: string, r: { perSecond: number; p50: number; p99: number }, base?: number) {
  const ratio = base ? ` ${(r.perSecond / base).toFixed(2)}× baseline` : '';
  console.log(
    `${name.padEnd(44)} ${Math.round(r.perSecond).toString().padStart(8)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${ratio}`,
  );
}

async function main() {
  console.log(`bench/server: ${connections} connections, closed loop, ${seconds} s per case (node ${process.version})`);
  const base = await startTarget(['baseline']);
  // The baseline answers any frame; it gets the same bytes boxfep gets for an echo.
  const probe = await startTarget(['boxfep', String(connections), 'inline']);
  const echoFrames = await boxFrames(probe.port, false);
  const macFrames = await boxFrames(probe.port, true);
  const b = await drive(base.port, echoFrames);
  row('baseline: bare framed echo server', b);
  base.stop();
  row('boxfep echo 0820/301 (decode, lookup, encode)', await drive(probe.port, echoFrames), b.perSecond);
  row('boxfep MACed 0200 + MACed 0210, inline crypto', await drive(probe.port, macFrames), b.perSecond);
  probe.stop();
  const pool = await startTarget(['boxfep', String(connections), 'pool']);
  const poolFrames = await boxFrames(pool.port, true);
  row('boxfep MACed 0200 + MACed 0210, crypto pool', await drive(pool.port, poolFrames), b.perSecond);
  pool.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
