// The store's scripts as one-pass EVALSHA commands: the same bytes on the wire as ioredis's own
// Command writes (a property over ASCII, non-ASCII and binary arguments), and against the real
// redis-server: binary-safe arguments and replies, NOSCRIPT answered by one EVAL, other errors not.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Command, Redis } from 'ioredis';
import t from 'tap';
import { LuaScript, respCommand } from '../../src/store/redis-eval.js';
import { deleteRedisKeys, REDIS_URL } from '../helpers/redis.js';

/** What ioredis's own Command writes for `name` and `args`, as bytes. */
function ioredisBytes(name: string, args: (string | Buffer)[]): Buffer {
  const w = new Command(name, args).toWritable({});
  return typeof w === 'string' ? Buffer.from(w, 'utf8') : w;
}

const argument = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a)),
);

t.test('respCommand writes the bytes ioredis writes, for any mix of arguments', async (t) => {
  fc.assert(
    fc.property(fc.constantFrom('evalsha', 'eval', 'set'), fc.array(argument, { maxLength: 24 }), (name, args) => {
      const ours = respCommand(name, args);
      const theirs = ioredisBytes(name, args);
      if (!ours.equals(theirs)) throw new Error(`differs: ${ours.toString('latin1')} / ${theirs.toString('latin1')}`);
    }),
    { numRuns: 500 },
  );
  t.same(
    respCommand('evalsha', ['ab', Buffer.from([0, 13, 10, 255]), 'é']).toString('latin1'),
    '*4\r\n$7\r\nevalsha\r\n$2\r\nab\r\n$4\r\n\x00\r\n\xff\r\n$2\r\n\xc3\xa9\r\n',
    'a binary argument between strings, and a two-byte character counted as two bytes',
  );
});

t.test('against redis-server', async (t) => {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const prefix = `bf-eval-${randomUUID()}:`;
  t.teardown(async () => {
    await deleteRedisKeys(prefix, client);
    client.disconnect();
  });
  await client.ping(); // connected: the handshake's commands are not counted below
  const sent: string[] = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    sent.push(command.name);
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.sendCommand;

  // A script no server has seen: its SHA is new to redis-server, so the first EVALSHA is refused.
  const echo = new LuaScript(`-- ${randomUUID()}\nredis.call('SET', KEYS[1], ARGV[1])\nreturn {ARGV[1], ARGV[2]}`);
  const binary = Buffer.from([0, 13, 10, 0x80, 0xff, 0x24]);
  const key = `${prefix}k`;

  t.same(
    await echo.run(client, [key], [binary, 42]),
    [binary, Buffer.from('42')],
    'binary and numbers come back as Buffers',
  );
  t.same(sent, ['evalsha', 'eval'], 'NOSCRIPT answered by one EVAL, which loads the script');
  t.same(await client.getBuffer(key), binary, 'the binary argument stored byte for byte');

  sent.length = 0;
  t.same(await echo.run(client, [key], ['naïve', '']), [Buffer.from('naïve'), Buffer.from('')]);
  t.same(sent, ['evalsha'], 'a loaded script goes as EVALSHA alone');

  const prefixed = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, keyPrefix: prefix });
  t.teardown(() => prefixed.disconnect());
  const keyOf = new LuaScript('return KEYS[1]');
  t.same(await keyOf.run(prefixed, ['p'], []), Buffer.from(`${prefix}p`), "a client's key prefix applies to the keys");

  sent.length = 0;
  const failing = new LuaScript(`-- ${randomUUID()}\nreturn redis.error_reply('BFTEST refused')`);
  await failing.run(client, [], []).then(
    () => t.fail('an error reply must reject'),
    (err: Error) => t.match(err.message, /BFTEST refused/, 'the script’s own error'),
  );
  await t.rejects(failing.run(client, [], []), /BFTEST refused/);
  t.same(sent, ['evalsha', 'eval', 'evalsha'], 'an error other than NOSCRIPT is not sent again');
});
