// Commands of one loop turn leave together: TurnWrites on real loopback sockets, and the Redis store
// against the real redis-server (its commands issued in one turn reach the socket as one writev).
import { once } from 'node:events';
import { connect, createServer, Socket } from 'node:net';
import t, { type Test } from 'tap';
import { RedisStore } from '../../src/store/redis.js';
import { type Corkable, TurnWrites } from '../../src/store/turn-writes.js';
import { deleteRedisKeys, REDIS_URL } from '../helpers/redis.js';
import { terminal } from './suite.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A loopback server gathering what it receives, and a client connected to it. */
async function socketPair(t: Test): Promise<{ client: Socket; received: () => string }> {
  let text = '';
  const server = createServer((s) => s.on('data', (b) => (text += b.toString('latin1'))));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(client, 'connect');
  t.teardown(() => {
    client.destroy();
    server.close();
  });
  return { client, received: () => text };
}

/** Counts the socket-level writes of `socket` (one per write(2) or writev(2) it asks for). */
function countWrites(socket: Socket): { singles: number; vectors: number[] } {
  const seen = { singles: 0, vectors: [] as number[] };
  const s = socket as unknown as {
    _write: (...a: unknown[]) => void;
    _writev: (chunks: unknown[], cb: unknown) => void;
  };
  const write = s._write.bind(socket);
  const writev = s._writev.bind(socket);
  s._write = (...a) => {
    seen.singles++;
    write(...a);
  };
  s._writev = (chunks, cb) => {
    seen.vectors.push(chunks.length);
    writev(chunks, cb);
  };
  return seen;
}

t.test('writes held in one turn leave in one writev when the turn ends, in order', async (t) => {
  const { client, received } = await socketPair(t);
  const writes = new TurnWrites(() => [client]);
  const seen = countWrites(client);
  writes.hold();
  for (let i = 0; i < 10; i++) {
    writes.hold();
    client.write(`m${i};`);
  }
  t.equal(client.writableCorked, 1, 'corked once however many commands the turn issues');
  t.equal(seen.singles + seen.vectors.length, 0, 'nothing written during the turn');
  await nextTurn();
  t.equal(client.writableCorked, 0, 'uncorked at the end of the turn');
  t.same(seen, { singles: 0, vectors: [10] }, 'one writev of the ten');
  for (let i = 0; i < 100 && received().length < 30; i++) await nextTurn();
  t.equal(received(), 'm0;m1;m2;m3;m4;m5;m6;m7;m8;m9;');

  // The next turn is held again.
  writes.hold();
  client.write('n;');
  t.equal(client.writableCorked, 1);
  await nextTurn();
  t.equal(client.writableCorked, 0);
  t.same(seen.vectors, [10]);
  t.equal(seen.singles, 1, 'a single held write goes out as a plain write');
});

t.test('without a hold every write goes out on its own (the behaviour TurnWrites changes)', async (t) => {
  const { client } = await socketPair(t);
  const seen = countWrites(client);
  for (let i = 0; i < 5; i++) client.write(`m${i};`);
  await nextTurn();
  t.equal(seen.singles, 5);
  t.same(seen.vectors, []);
});

t.test('streams that are missing or destroyed are skipped; release is safe to call again', async (t) => {
  const calls: string[] = [];
  const stream = (name: string, destroyed: boolean): Corkable => ({
    destroyed,
    cork: () => calls.push(`cork ${name}`),
    uncork: () => calls.push(`uncork ${name}`),
  });
  const writes = new TurnWrites(() => [undefined, stream('a', false), stream('b', true), stream('c', false)]);
  writes.hold();
  writes.hold();
  t.same(calls, ['cork a', 'cork c']);
  writes.release();
  writes.release();
  t.same(calls, ['cork a', 'cork c', 'uncork a', 'uncork c']);
  await nextTurn();
  t.equal(calls.length, 4, "the turn's own release finds nothing left to uncork");
});

t.test('the Redis store: commands issued in one turn reach its socket as one writev', async (t) => {
  const prefix = `bftest:turn:${process.pid}:`;
  const store = new RedisStore({ url: REDIS_URL }, { keyPrefix: prefix });
  t.teardown(async () => {
    await store.close();
    await deleteRedisKeys(prefix);
  });
  await store.ping(); // connected, handshake done
  const redisSockets = new Set<Socket>();
  const counts = { singles: 0, vectors: [] as number[] };
  const proto = Socket.prototype as unknown as {
    _write: (this: Socket, ...a: unknown[]) => void;
    _writev: (this: Socket, chunks: unknown[], cb: unknown) => void;
  };
  const { _write, _writev } = proto;
  proto._write = function (...a) {
    if (this.remotePort === 6379) {
      redisSockets.add(this);
      counts.singles++;
    }
    _write.apply(this, a);
  };
  proto._writev = function (chunks, cb) {
    if (this.remotePort === 6379) {
      redisSockets.add(this);
      counts.vectors.push(chunks.length);
    }
    _writev.call(this, chunks, cb);
  };
  t.teardown(() => {
    proto._write = _write;
    proto._writev = _writev;
  });

  const mids = Array.from({ length: 50 }, (_, i) => `M${String(i).padStart(14, '0')}`);
  const counters = await Promise.all(mids.map((mid) => store.getDailyCounters(mid, '20261207')));
  proto._write = _write;
  proto._writev = _writev;
  t.equal(counters.length, 50);
  t.ok(
    counters.every((c) => c.amountFen === 0 && c.count === 0),
    'every command answered',
  );
  t.equal(redisSockets.size, 1, "the store's one connection");
  t.same(counts, { singles: 0, vectors: [50] }, 'fifty commands, one writev');

  // Replies stay matched to their commands across a batch.
  const tids = Array.from({ length: 20 }, (_, i) => `T${String(i).padStart(7, '0')}`);
  await Promise.all(tids.map((tid, i) => store.putTerminal(terminal(tid, { batch: String(i).padStart(6, '0') }))));
  const read = await Promise.all(tids.map((tid) => store.getTerminal(tid)));
  t.same(
    read.map((r) => [r?.tid, r?.batch]),
    tids.map((tid, i) => [tid, String(i).padStart(6, '0')]),
  );
});
