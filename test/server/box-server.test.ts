// The transport layer alone, with a handler that answers each payload with itself: framing limits,
// idle timeout, caps, ordering under a bounded in-flight window, coalesced writes and graceful drain.
import t from 'tap';
import { BOX_LAYOUT, buildFrame, parseFrame } from '../../src/iso8583/framing.js';
import { BoxServer, type FrameHandler } from '../../src/server/box-server.js';
import type { BoxConnection } from '../../src/server/connection.js';
import { RawClient } from './helpers/raw-client.js';

type Delay = (payload: Buffer) => number;

function echoHandler(delay: Delay = () => 0, seen: Buffer[] = []): FrameHandler {
  return {
    async handleFrame(conn: BoxConnection, payload: Buffer) {
      seen.push(payload);
      const ms = delay(payload);
      if (ms > 0) await new Promise((r) => setTimeout(r, ms));
      conn.send(buildFrame(parseFrame(payload, conn.listener.layout), conn.listener.layout));
    },
  };
}

const frame = (text: string) =>
  buildFrame(
    { tpdu: Buffer.from('6000030000', 'hex'), header: Buffer.from('603100000000', 'hex'), message: Buffer.from(text) },
    BOX_LAYOUT,
  );

interface HasTeardown {
  teardown(fn: () => unknown): void;
}

async function startServer(t: HasTeardown, opts: Partial<ConstructorParameters<typeof BoxServer>[0]> = {}) {
  const server = new BoxServer({ listeners: [{ port: 0, host: '127.0.0.1' }], handler: echoHandler(), ...opts });
  await server.start();
  t.teardown(() => server.stop(100));
  return server;
}

t.test('answers frames split across chunks and several frames in one chunk', async (t) => {
  const server = await startServer(t);
  const c = await RawClient.connect(server.ports[0]);
  t.teardown(() => c.close());
  const a = frame('hello');
  c.write(a.subarray(0, 3));
  await new Promise((r) => setTimeout(r, 20));
  c.write(Buffer.concat([a.subarray(3), frame('one'), frame('two')]));
  const got = [await c.nextFrame(), await c.nextFrame(), await c.nextFrame()];
  t.same(
    got.map((f) => parseFrame(f, BOX_LAYOUT).message.toString()),
    ['hello', 'one', 'two'],
  );
});

t.test('several listeners with different layouts run at once', async (t) => {
  const ascii = { length: 'ascii4' as const, tpdu: false, header: false, maxFrameBytes: 4096 };
  const server = await startServer(t, {
    listeners: [
      { port: 0, host: '127.0.0.1' },
      { port: 0, host: '127.0.0.1', name: 'plain', layout: ascii },
    ],
  });
  const c = await RawClient.connect(server.ports[1], ascii);
  t.teardown(() => c.close());
  c.write(Buffer.from('0005hello'));
  const f = await c.nextFrame();
  t.equal(f.toString(), 'hello');
});

t.test('a declared length above the maximum closes the connection', async (t) => {
  const server = await startServer(t, {
    listeners: [{ port: 0, host: '127.0.0.1', layout: { maxFrameBytes: 64 } }],
  });
  const c = await RawClient.connect(server.ports[0]);
  t.teardown(() => c.close());
  c.write(frame('fine'));
  await c.nextFrame();
  c.write(Buffer.from([0x00, 0x41])); // 65 > 64: refused on the prefix alone
  await c.waitClosed();
  t.equal(server.connections.size, 0);
});

t.test('an idle connection is closed after the idle timeout, an active one is kept', async (t) => {
  const server = await startServer(t, { idleTimeoutMs: 300, idleResolutionMs: 50 });
  const idle = await RawClient.connect(server.ports[0]);
  const busy = await RawClient.connect(server.ports[0]);
  t.teardown(() => {
    idle.close();
    busy.close();
  });
  const started = Date.now();
  for (let i = 0; i < 10 && !idle.closed; i++) {
    busy.write(frame(`beat ${i}`));
    await busy.nextFrame();
    await new Promise((r) => setTimeout(r, 100));
  }
  await idle.waitClosed(2000);
  const after = Date.now() - started;
  t.ok(after >= 250, `idle closed after ${after} ms, not before the timeout`);
  t.notOk(busy.closed, 'the connection with heartbeats stays open');
});

/** Connects and reports whether the server kept the connection (a refused one is reset at once). */
async function admitted(port: number): Promise<RawClient | null> {
  let c: RawClient;
  try {
    c = await RawClient.connect(port);
  } catch {
    return null;
  }
  try {
    await c.waitClosed(150);
    return null;
  } catch {
    return c;
  }
}

t.test('the per-address cap refuses connections beyond it and frees slots on close', async (t) => {
  const server = await startServer(t, { maxConnections: 100, maxConnectionsPerAddress: 2 });
  const port = server.ports[0];
  const a = await admitted(port);
  const b = await admitted(port);
  const c = await admitted(port);
  t.teardown(() => {
    for (const x of [a, b, c]) x?.close();
  });
  t.ok(a && b, 'two connections from 127.0.0.1 admitted');
  t.equal(c, null, 'the third from the same address is refused');
  a!.write(frame('still here'));
  t.equal(parseFrame(await a!.nextFrame(), BOX_LAYOUT).message.toString(), 'still here');
  a!.close();
  await a!.waitClosed();
  await new Promise((r) => setTimeout(r, 50));
  const d = await admitted(port);
  t.teardown(() => d?.close());
  t.ok(d, 'a freed slot admits a new connection');
  d!.write(frame('slot freed'));
  t.equal(parseFrame(await d!.nextFrame(), BOX_LAYOUT).message.toString(), 'slot freed');
});

t.test('the global cap refuses connections beyond it', async (t) => {
  const server = await startServer(t, { maxConnections: 2, maxConnectionsPerAddress: 100 });
  const port = server.ports[0];
  const clients = [await admitted(port), await admitted(port), await admitted(port)];
  t.teardown(() => {
    for (const x of clients) x?.close();
  });
  t.same(
    clients.map((c) => c !== null),
    [true, true, false],
  );
  t.equal(server.connections.size, 2);
});

t.test('requests beyond the in-flight window wait and start in order', async (t) => {
  const seen: Buffer[] = [];
  let active = 0;
  let maxActive = 0;
  const handler: FrameHandler = {
    async handleFrame(conn, payload) {
      seen.push(payload);
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      conn.send(buildFrame(parseFrame(payload, BOX_LAYOUT), BOX_LAYOUT));
    },
  };
  const server = await startServer(t, { handler, maxInFlightPerConnection: 2, maxQueuedPerConnection: 4 });
  const c = await RawClient.connect(server.ports[0]);
  t.teardown(() => c.close());
  const names = Array.from({ length: 12 }, (_, i) => `req-${i}`);
  c.write(Buffer.concat(names.map(frame)));
  await c.until(() => c.frames.length === 12, 5000, '12 answers');
  t.equal(maxActive, 2, 'never more than 2 in flight');
  t.same(
    seen.map((p) => parseFrame(p, BOX_LAYOUT).message.toString()),
    names,
    'started in arrival order',
  );
});

t.test('answers completed in one turn leave in one write', async (t) => {
  const server = await startServer(t, { maxInFlightPerConnection: 8 });
  const c = await RawClient.connect(server.ports[0]);
  t.teardown(() => c.close());
  let chunks = 0;
  c.socket.on('data', () => chunks++);
  c.write(Buffer.concat(['a', 'b', 'c', 'd', 'e'].map(frame)));
  await c.until(() => c.frames.length === 5);
  t.equal(chunks, 1, 'five answers arrived as one TCP chunk');
});

t.test('global pressure parks readers and resumes them when it clears', async (t) => {
  let saturated = false;
  const seen: Buffer[] = [];
  const server = await startServer(t, { handler: echoHandler(() => 0, seen), pressure: () => saturated });
  const c = await RawClient.connect(server.ports[0]);
  t.teardown(() => c.close());
  saturated = true;
  c.write(frame('first'));
  await c.nextFrame();
  const conn = [...server.connections][0];
  t.ok(conn.paused, 'socket paused while saturated');
  c.write(frame('second'));
  await new Promise((r) => setTimeout(r, 60));
  t.equal(seen.length, 1, 'nothing read while paused');
  saturated = false;
  t.equal(parseFrame(await c.nextFrame(), BOX_LAYOUT).message.toString(), 'second');
  t.equal(conn.paused, 0);
});

t.test('graceful stop answers in-flight requests, closes idle ones, refuses new connections', async (t) => {
  const server = new BoxServer({
    listeners: [{ port: 0, host: '127.0.0.1' }],
    handler: echoHandler((p) => (p.toString().includes('slow') ? 300 : 0)),
  });
  await server.start();
  const port = server.ports[0];
  const idle = await RawClient.connect(port);
  const busy = await RawClient.connect(port);
  busy.write(frame('slow one'));
  await new Promise((r) => setTimeout(r, 50));
  const stopped = server.stop(5000);
  await idle.waitClosed(1000);
  t.notOk(busy.closed, 'busy connection kept while its request runs');
  const answer = await busy.nextFrame(2000);
  t.equal(parseFrame(answer, BOX_LAYOUT).message.toString(), 'slow one', 'in-flight request answered');
  await busy.waitClosed(2000);
  await stopped;
  await t.rejects(RawClient.connect(port), 'no longer accepting');
});

t.test('drain time bounds the stop even when a request never finishes', async (t) => {
  const server = new BoxServer({
    listeners: [{ port: 0, host: '127.0.0.1' }],
    handler: { handleFrame: () => new Promise<void>(() => {}) },
  });
  await server.start();
  const c = await RawClient.connect(server.ports[0]);
  c.write(frame('never answered'));
  await new Promise((r) => setTimeout(r, 30));
  const started = Date.now();
  await server.stop(200);
  t.ok(Date.now() - started < 3000, 'stopped within drain time plus close grace');
  await c.waitClosed(3000);
});

t.test('answers made in promise jobs of one read still leave in one write', async (t) => {
  const server = await startServer(t, {
    maxInFlightPerConnection: 8,
    handler: {
      async handleFrame(conn: BoxConnection, payload: Buffer) {
        // Each answer after a different number of promise jobs, as awaited store calls would make them.
        const hops = payload.length % 4;
        for (let i = 0; i < hops; i++) await Promise.resolve();
        conn.send(buildFrame(parseFrame(payload, conn.listener.layout), conn.listener.layout));
      },
    },
  });
  const c = await RawClient.connect(server.ports[0]);
  t.teardown(() => c.close());
  await c.until(() => server.connections.size === 1);
  const writes: number[] = [];
  const conn = [...server.connections][0];
  const write = conn.socket.write.bind(conn.socket);
  conn.socket.write = ((data: Buffer, ...rest: never[]) => {
    writes.push(data.length);
    return write(data, ...rest);
  }) as typeof conn.socket.write;
  c.write(Buffer.concat(['a', 'bb', 'ccc', 'dddd', 'eeeee'].map(frame)));
  await c.until(() => c.frames.length === 5);
  t.equal(writes.length, 1, 'one write for the five answers');
});
