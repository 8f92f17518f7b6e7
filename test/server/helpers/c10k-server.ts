// Child process for the 10,000-connection test: one boxfep box server (memory store, inline crypto)
// with `count` terminals, driven over IPC: it reports its port, then its memory on request.
import { DEFAULTS } from '../../../src/config/serve-config.js';
import { createCryptoService } from '../../../src/crypto/service.js';
import { Fep } from '../../../src/server/fep.js';
import { createStore } from '../../../src/store/store.js';
import { TEST_LMK, TMK } from './harness.js';

// Only meaningful as a child of c10k.test.ts (IPC); run any other way (e.g. `tap dist/test/server`
// picking up every file), it leaves at once.
if (process.env.BOXFEP_C10K_CHILD !== '1' || process.send === undefined) process.exit(0);

const count = Number(process.argv[2] ?? 10_000);
const firstTid = 30_000_000;

function memory() {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
}

async function main() {
  const store = createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: TEST_LMK });
  const tmk = await crypto.importKey(TMK);
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const tid = String(firstTid + i);
    await store.putTerminal({
      tid,
      mid: '123456789012345',
      status: 'active',
      keyMode: 'session',
      mac: 'cups-ecb',
      tmk,
      batch: '000001',
      merchant: { mid: '123456789012345', name: 'load', limits: {}, wallets: {} },
      createdAt: now,
      updatedAt: now,
    });
  }
  const fep = await Fep.start({
    config: {
      ...DEFAULTS,
      host: '127.0.0.1',
      boxPort: 0,
      maxConnections: count + 1000,
      maxConnectionsPerAddress: count + 1000,
      idleTimeoutMs: 600_000,
    },
    store,
    crypto,
    admin: false,
  });
  process.on('message', async (msg: { cmd: string; expect?: number }) => {
    if (msg.cmd === 'memory') {
      // A client sees 'connect' when the kernel completes the handshake, before this process has
      // accepted the socket: wait (bounded) until the expected number is accepted.
      const deadline = Date.now() + 20_000;
      while ((msg.expect ?? 0) > fep.server.connections.size && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      process.send!({ memory: memory(), connections: fep.server.connections.size, bound: fep.pushes.size });
    } else if (msg.cmd === 'stop') {
      await fep.stop();
      process.send!({ stopped: true });
      process.disconnect();
    }
  });
  process.send!({ port: fep.boxPorts[0], memory: memory() });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
