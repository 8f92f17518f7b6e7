// The emulator's reply timeouts (one shared queue per timeout value, not a timer per request): a
// request without a reply fails after its timeout and not before; answered requests never time out,
// even when an older one is still waiting; a late reply is ignored; the process is not held open.
import { createServer, type Server, type Socket } from 'node:net';
import t from 'tap';
import { echoReply } from '../../bench/load/echo-server.js';
import { Box } from '../../src/box/box.js';
import { echoRequest } from '../../src/box/messages.js';
import { BOX_LAYOUT, FrameSplitter } from '../../src/iso8583/index.js';

const TMK = '0123456789ABCDEFFEDCBA9876543210';
const id = { tid: '12345678', mid: '123456789012345', batch: '000001' };

/** A host that answers each echo after `delayOf(stan)` ms, or never when that is undefined. */
async function delayingHost(delayOf: (stan: number) => number | undefined): Promise<{ port: number; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const splitter = new FrameSplitter(BOX_LAYOUT);
    socket.on('data', (chunk) => {
      for (const payload of splitter.push(chunk)) {
        // STAN is field 11, the first field of an 0820: after TPDU, header, MTI and bitmap, 3 BCD bytes.
        const at = 5 + 6 + 2 + 8;
        const stan = Number(payload.subarray(at, at + 3).toString('hex'));
        const delay = delayOf(stan);
        if (delay !== undefined) setTimeout(() => socket.destroyed || socket.write(echoReply(payload)), delay);
      }
    });
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, server };
}

t.test('an unanswered request fails after its timeout, not before; later answered ones succeed', async (t) => {
  // STAN 1 is never answered, 2 at once, 3 after 250 ms (past STAN 1's timeout of 150 ms).
  const host = await delayingHost((stan) => (stan === 1 ? undefined : stan === 2 ? 0 : 250));
  t.teardown(() => host.server.close());
  const box = await Box.connect({ port: host.port, tid: id.tid, mid: id.mid, tmk: TMK, replyTimeoutMs: 150 });
  t.teardown(() => box.close());
  const started = performance.now();
  const first = box.exchange(echoRequest(id, '000001'), { mac: false }).then(
    () => 'answered',
    (err: Error) => ({ err, ms: performance.now() - started }),
  );
  const second = await box.exchange(echoRequest(id, '000002'), { mac: false });
  t.equal(second.message.mti, '0830', 'a reply overtaking an unanswered request is delivered');
  const failed = await first;
  t.type(failed, 'object');
  if (typeof failed === 'object') {
    t.match(failed.err.message, 'no reply to 0820 STAN 000001 within 150 ms');
    t.ok(failed.ms >= 149, `not before the timeout (${failed.ms.toFixed(1)} ms)`);
    t.ok(failed.ms < 150 + 100, `shortly after it (${failed.ms.toFixed(1)} ms)`);
  }
  const late = await box.exchange(echoRequest(id, '000003'), { mac: false }).catch((err: Error) => err);
  t.type(late, Error, 'STAN 3 answered after 250 ms: timed out');
  // Its late reply arrives and is ignored; the connection still works.
  await new Promise((r) => setTimeout(r, 150));
  const after = await box.exchange(echoRequest(id, '000002'), { mac: false });
  t.equal(after.message.fields[11], '000002');
});

t.test('boxes with different timeouts each get their own', async (t) => {
  const host = await delayingHost(() => undefined);
  t.teardown(() => host.server.close());
  const opts = { port: host.port, tid: id.tid, mid: id.mid, tmk: TMK };
  const slow = await Box.connect({ ...opts, replyTimeoutMs: 300 });
  const fast = await Box.connect({ ...opts, replyTimeoutMs: 80 });
  t.teardown(() => {
    slow.close();
    fast.close();
  });
  const started = performance.now();
  const took = (b: Box) =>
    b.exchange(echoRequest(id, '000001'), { mac: false }).then(
      () => -1,
      () => performance.now() - started,
    );
  const [s, f] = await Promise.all([took(slow), took(fast)]);
  t.ok(f >= 79 && f < 80 + 100, `80 ms box timed out after ${f.toFixed(1)} ms`);
  t.ok(s >= 299 && s < 300 + 100, `300 ms box timed out after ${s.toFixed(1)} ms`);
});

t.test('many requests in flight: each answered one resolves, none times out', async (t) => {
  const host = await delayingHost((stan) => stan % 7);
  t.teardown(() => host.server.close());
  const box = await Box.connect({ port: host.port, tid: id.tid, mid: id.mid, tmk: TMK, replyTimeoutMs: 2_000 });
  t.teardown(() => box.close());
  const replies = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      box.exchange(echoRequest(id, String(i + 1).padStart(6, '0')), { mac: false }),
    ),
  );
  t.equal(replies.filter((r) => r.message.mti === '0830').length, 200);
});

t.test('a closed connection fails the waiting requests at once', async (t) => {
  const host = await delayingHost(() => undefined);
  t.teardown(() => host.server.close());
  const box = await Box.connect({ port: host.port, tid: id.tid, mid: id.mid, tmk: TMK, replyTimeoutMs: 5_000 });
  const waiting = box.exchange(echoRequest(id, '000001'), { mac: false }).catch((err: Error) => err);
  box.close();
  const err = await waiting;
  t.type(err, Error);
  t.match((err as Error).message, 'closed');
});
