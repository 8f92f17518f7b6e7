// The process under test for bench/server: either boxfep's box server (memory store, inline
// crypto, a MACed stub route) or the baseline, a bare node:net server that splits frames and sends
// each payload straight back — the cost of framed TCP round trips with no protocol work at all.
import { createServer } from 'node:net';
import { DEFAULTS } from '../../src/config/serve-config.js';
import { createCryptoService, DEFAULT_CRYPTO_OPTIONS } from '../../src/crypto/service.js';
import { RC } from '../../src/flows/response-codes.js';
import { BOX_LAYOUT, buildFrame, FrameSplitter, parseFrame } from '../../src/iso8583/index.js';
import { Fep } from '../../src/server/fep.js';
import { createStore } from '../../src/store/store.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import { LMK, MID, TMK, tidOf } from './ids.js';

async function baseline(): Promise<number> {
  const server = createServer({ noDelay: true }, (s) => {
    const sp = new FrameSplitter(BOX_LAYOUT);
    s.on('data', (c: Buffer) => {
      for (const p of sp.push(c)) s.write(buildFrame(parseFrame(p, BOX_LAYOUT), BOX_LAYOUT));
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

async function boxfep(connections: number, crypto: 'inline' | 'pool'): Promise<number> {
  const store = createStore('memory');
  const cs = createCryptoService({ ...DEFAULT_CRYPTO_OPTIONS, mode: crypto, lmk: LMK, threads: 1 });
  await provisionTerminals(
    store,
    cs,
    Array.from({ length: connections }, (_, i) => ({ tid: tidOf(i), mid: MID, tmk: TMK })),
  );
  const fep = await Fep.start({
    config: { ...DEFAULTS, host: '127.0.0.1', boxPort: 0, crypto },
    store,
    crypto: cs,
    admin: false,
    routes: ({ dispatcher }) =>
      dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', async () => ({
        rc: RC.APPROVED,
        fields: { 37: '000000000001' },
      })),
  });
  return fep.boxPorts[0];
}

const [kind, connections, crypto] = process.argv.slice(2);
const start = kind === 'baseline' ? baseline() : boxfep(Number(connections), crypto === 'pool' ? 'pool' : 'inline');
start.then(
  (port) => process.send!({ port }),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
