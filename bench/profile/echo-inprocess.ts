// The per-request floor: boxfep (the flows rig, memory store) answering 0820/301 echoes from raw
// loopback sockets in one process. The client sends one prebuilt frame per connection and counts
// replies by their length prefix, so nearly everything measured is boxfep's: socket read, framing,
// decode, terminal context, dispatch, response, write, metrics, log line, idle wheel, promise hops.
// It loads boxfep from any built checkout (`ROOT/dist`), so an old and a new build can be compared.
//
//   node --expose-gc --max-semi-space-size=512 --min-semi-space-size=512 \
//     dist/bench/profile/echo-inprocess.js [ROOT] [none|cpu|heap|callgrind] [echoes] [rounds]
//
// Prints per round: µs of process CPU and bytes of heap allocated per echo (heap used after the
// window minus before it, no GC in between with semi-spaces that large: warn otherwise). `cpu` and
// `heap` write echo.cpuprofile / echo.heapprofile in the current directory; `callgrind` switches valgrind's
// instrumentation on and off around the last round (`valgrind --tool=callgrind --instr-atstart=no`).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CONNECTIONS = 20;

interface Client {
  socket: Socket;
  pending: Buffer | null;
}

async function main(): Promise<void> {
  const here = resolve(fileURLToPath(import.meta.url), '../../..');
  const root = resolve(process.argv[2] ?? resolve(here, '..'));
  const mode = process.argv[3] ?? 'none';
  const count = Number(process.argv[4] ?? 20_000);
  const rounds = Number(process.argv[5] ?? 3);
  const dist = (p: string) => pathToFileURL(resolve(root, 'dist', p)).href;
  const rigMod = await import(dist('test/flows/rig.js'));
  const iso = await import(dist('src/iso8583/index.js'));
  const { createCryptoService } = await import(dist('src/crypto/service.js'));
  const { provisionTerminals } = await import(dist('src/terminals/provisioning.js'));

  // The push and recovery passes on their production period (the rig's 50 ms would add work per echo that
  // depends on how long the run takes, not on the build).
  const rig = await rigMod.startRig('memory', { pushTickMs: 1_000, recoveryTickMs: 1_000 });
  const crypto = createCryptoService({ mode: 'inline', lmk: rigMod.TEST_LMK });
  const codec = iso.codecFor('cups-pos');
  const layout = iso.BOX_LAYOUT;
  const clients: Client[] = [];
  const frames: Buffer[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const tid = `9${String(i).padStart(7, '0')}`;
    await provisionTerminals(rig.store, crypto, [{ tid, mid: rigMod.MID, tmk: rigMod.TMK }]);
    const context = await rig.store.getTerminalContext(tid);
    const f60 = iso.buildField60({ type: '00', batch: context.terminal.batch, netCode: '301' });
    const message = codec.encode({ mti: '0820', fields: { 11: '000001', 41: tid, 42: rigMod.MID, 60: f60 } });
    frames.push(
      iso.buildFrame(
        { tpdu: Buffer.from('6000030000', 'hex'), header: Buffer.from('603100000000', 'hex'), message },
        layout,
      ),
    );
    const socket = connect({ port: rig.port, host: '127.0.0.1', noDelay: true });
    await new Promise<void>((ok, fail) => socket.once('connect', ok).once('error', fail));
    clients.push({ socket, pending: null });
  }

  let left = 0;
  let checked = false;
  let finish: () => void = () => {};
  clients.forEach((c, i) => {
    c.socket.on('data', (chunk: Buffer) => {
      let buf = c.pending === null ? chunk : Buffer.concat([c.pending, chunk]);
      c.pending = null;
      let replies = 0;
      while (buf.length >= 2) {
        const end = 2 + buf.readUInt16BE(0);
        if (buf.length < end) break;
        if (!checked) {
          const reply = codec.decode(buf.subarray(2 + 11, end));
          if (reply.mti !== '0830' || reply.fields[39] !== '00') throw new Error(`echo answered ${reply.fields[39]}`);
          checked = true;
        }
        buf = buf.subarray(end);
        replies++;
      }
      if (buf.length > 0) c.pending = Buffer.from(buf);
      for (let r = 0; r < replies; r++) {
        left--;
        if (left >= CONNECTIONS) c.socket.write(frames[i]);
        else if (left === 0) finish();
      }
    });
  });
  const run = (n: number) =>
    new Promise<void>((done) => {
      left = n;
      finish = done;
      for (let i = 0; i < CONNECTIONS; i++) clients[i].socket.write(frames[i]);
    });

  await run(count);
  const gc = (globalThis as { gc?: () => void }).gc;
  const session = mode === 'cpu' || mode === 'heap' ? new Session() : undefined;
  for (let r = 1; r <= rounds; r++) {
    gc?.();
    const last = r === rounds;
    if (mode === 'cpu' && last) {
      session?.connect();
      await session?.post('Profiler.enable');
      await session?.post('Profiler.setSamplingInterval', { interval: 100 });
      await session?.post('Profiler.start');
    }
    if (mode === 'heap' && last) {
      session?.connect();
      await session?.post('HeapProfiler.startSampling', {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    if (mode === 'callgrind' && last) execFileSync('callgrind_control', ['-i', 'on', String(process.pid)]);
    const heap0 = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();
    await run(count);
    const cpu = process.cpuUsage(cpu0);
    const heap = process.memoryUsage().heapUsed - heap0;
    if (mode === 'callgrind' && last) execFileSync('callgrind_control', ['-i', 'off', String(process.pid)]);
    const us = (cpu.user + cpu.system) / count;
    const bytes = heap / count;
    console.log(
      `round ${r}: ${count} echoes, ${us.toFixed(2)} µs CPU and ${bytes.toFixed(0)} B heap per echo` +
        (heap < 0 ? ' (a GC ran: heap figure void)' : ''),
    );
    if (mode === 'heap' && last) {
      const { profile } = await (session as Session).post('HeapProfiler.stopSampling');
      writeFileSync('echo.heapprofile', JSON.stringify(profile));
      session?.disconnect();
    } else if (session && last) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync('echo.cpuprofile', JSON.stringify(profile));
      session.disconnect();
    }
  }
  for (const c of clients) c.socket.destroy();
  await rig.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
