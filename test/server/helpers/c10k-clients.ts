// Child process for the 10,000-connection test: opens `count` box connections (TIDs from `first`)
// to the server, then on request sends one echo 0820/301 on every connection and reports how many
// 0830/00 came back and how fast. Raw sockets, not the Box class, to keep 5,000 clients light.
import { connect, type Socket } from 'node:net';
import { BOX_LAYOUT, buildFrame, codecFor, FrameSplitter, parseFrame } from '../../../src/iso8583/index.js';

// Only meaningful as a child of c10k.test.ts (IPC); run any other way (e.g. `tap dist/test/server`
// picking up every file), it leaves at once.
if (process.env.BOXFEP_C10K_CHILD !== '1' || process.send === undefined) process.exit(0);

const [port, first, count] = process.argv.slice(2).map(Number);
const codec = codecFor('cups-pos');
const TPDU = Buffer.from('6000030000', 'hex');
const HEADER = Buffer.from('603100000000', 'hex');

interface Client {
  socket: Socket;
  tid: string;
  splitter: FrameSplitter;
  onReply?: (rc: string | undefined) => void;
}

function echoFrame(tid: string, stan: number): Buffer {
  const message = codec.encode({
    mti: '0820',
    fields: { 11: String(stan).padStart(6, '0'), 41: tid, 42: '123456789012345', 60: '00000001301' },
  });
  return buildFrame({ tpdu: TPDU, header: HEADER, message: Buffer.from(message) }, BOX_LAYOUT);
}

function open(tid: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const c: Client = { socket, tid, splitter: new FrameSplitter(BOX_LAYOUT) };
    socket.once('connect', () => resolve(c));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      for (const f of c.splitter.push(chunk)) {
        const reply = codec.decode(parseFrame(f, BOX_LAYOUT).message);
        c.onReply?.(reply.fields[39]);
      }
    });
  });
}

const clients: Client[] = [];

async function connectAll() {
  const batch = 250;
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const opened = await Promise.all(Array.from({ length: n }, (_, j) => open(String(first + i + j))));
    clients.push(...opened);
  }
}

async function echoAll(round: number) {
  const latencies: number[] = [];
  let approved = 0;
  let other = 0;
  const window = 500;
  for (let i = 0; i < clients.length; i += window) {
    await Promise.all(
      clients.slice(i, i + window).map(
        (c) =>
          new Promise<void>((resolve) => {
            const t0 = performance.now();
            const timer = setTimeout(() => {
              other++;
              c.onReply = undefined;
              resolve();
            }, 10_000);
            c.onReply = (rc) => {
              clearTimeout(timer);
              latencies.push(performance.now() - t0);
              if (rc === '00') approved++;
              else other++;
              c.onReply = undefined;
              resolve();
            };
            c.socket.write(echoFrame(c.tid, round));
          }),
      ),
    );
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { approved, other, p50: pct(0.5), p99: pct(0.99) };
}

process.on('message', async (msg: { cmd: string; round?: number }) => {
  if (msg.cmd === 'echo') process.send!({ echo: await echoAll(msg.round ?? 1) });
  else if (msg.cmd === 'close') {
    for (const c of clients) c.socket.destroy();
    process.send!({ closed: true });
    process.disconnect();
  }
});

connectAll().then(
  () => process.send!({ connected: clients.length, open: clients.filter((c) => !c.socket.destroyed).length }),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
