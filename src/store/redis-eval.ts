// boxfep's Lua scripts as EVALSHA commands written in one pass. Through ioredis's `defineCommand` a
// UnionPay sale's two script calls were 21 % of boxfep's main thread on the Redis store: the Script
// wrapper spreads the arguments into a new array and its command makes a closure and checks a WeakSet
// on every write, the Command copies its arguments with Array.prototype.flat (slow on node 20: ~100 ns
// per argument), and its RESP goes through a list of pieces that measures each string's UTF-8 length
// twice, a native call each. Here the text between binary arguments is one string, measured once.
//
// An EVALSHA the server does not know (a new, restarted or failed-over Redis: the script cache is
// not kept) is answered NOSCRIPT and sent once more as EVAL, which loads the script there.
import { createHash } from 'node:crypto';
import { type Cluster, Command, type Redis } from 'ioredis';

export type ScriptArg = string | number | Buffer;
export type ScriptReply = Buffer | Buffer[] | number | null;

export class LuaScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script with `keys` as KEYS and `args` as ARGV; replies come back as Buffers. */
  run(client: Redis | Cluster, keys: readonly string[], args: readonly ScriptArg[]): Promise<ScriptReply> {
    const keyPrefix = client.options.keyPrefix;
    const evalsha = new EvalCommand('evalsha', this.sha, keys, args, keyPrefix);
    const sent = client.sendCommand(evalsha) as Promise<ScriptReply>;
    return sent.then(undefined, (err: unknown) => {
      if (!isNoScript(err)) throw err;
      return client.sendCommand(new EvalCommand('eval', this.lua, keys, args, keyPrefix)) as Promise<ScriptReply>;
    });
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/**
 * EVAL or EVALSHA as an ioredis Command: the client queues it, matches its reply and times it out as
 * any other; a Cluster finds its slot from its keys as for a defined script. Only the wire text is
 * written here.
 */
export class EvalCommand extends Command {
  constructor(
    name: 'eval' | 'evalsha',
    body: string,
    keys: readonly string[],
    args: readonly ScriptArg[],
    keyPrefix?: string,
  ) {
    // Made at its size, not as a literal grown by push: under load V8 pretenured that literal's
    // allocation site, so each list was made in the old generation and kept its young keys and order
    // bytes through scavenges until the next mark-compact: 4.3 KB of boxfep's survivors per Redis
    // sale, 0.2–0.8 KB made so, about as without pretenuring (`node --no-allocation-site-pretenuring`).
    const all = new Array<string | Buffer>(2 + keys.length + args.length);
    all[0] = body;
    all[1] = String(keys.length);
    let n = 2;
    for (const k of keys) all[n++] = k;
    for (const a of args) all[n++] = typeof a === 'number' ? String(a) : a;
    // ioredis's constructor copies its arguments with Array.prototype.flat, which on node 20's V8
    // takes ~100 ns per argument (2–3 µs for a sale's 20). Ours are flat strings and Buffers already,
    // so they are set after it; with a key prefix the constructor must see them to prefix the keys.
    super(name, keyPrefix ? all : [], { replyEncoding: null, keyPrefix });
    if (!keyPrefix) this.args = all;
  }

  override toWritable(): Buffer {
    return respCommand(this.name, this.args as (string | Buffer)[]);
  }
}

/**
 * A command as a RESP array of bulk strings. The text runs between binary arguments are built as
 * strings on the guess that every string is ASCII (boxfep's keys and arguments are: identifiers,
 * digits, hex), where a string's length is its byte length; one byteLength per run checks the guess,
 * and a run that is not ASCII is built again with each string measured.
 */
export function respCommand(name: string, args: readonly (string | Buffer)[]): Buffer {
  const runs: (string | Buffer)[] = [];
  let size = 0;
  let run = `*${args.length + 1}\r\n$${name.length}\r\n${name}\r\n`;
  let runStart = 0;
  for (let i = 0; i <= args.length; i++) {
    const arg = args[i];
    if (typeof arg === 'string') {
      run += `$${arg.length}\r\n${arg}\r\n`;
      continue;
    }
    // A Buffer, or the end: the run so far is finished.
    const tail = arg === undefined ? '' : `$${arg.length}\r\n`;
    run += tail;
    let bytes = Buffer.byteLength(run);
    if (bytes !== run.length) {
      run = measuredRun(name, args, runStart, i, tail);
      bytes = Buffer.byteLength(run);
    }
    runs.push(run);
    size += bytes;
    if (arg === undefined) break;
    runs.push(arg);
    size += arg.length;
    run = '\r\n';
    runStart = i + 1;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of runs) {
    if (typeof part === 'string') at += out.write(part, at, 'utf8');
    else at += part.copy(out, at);
  }
  return out;
}

/** The text run for args[from, to) with every string's UTF-8 length measured; `tail` ends it. */
function measuredRun(name: string, args: readonly (string | Buffer)[], from: number, to: number, tail: string): string {
  let run = from === 0 ? `*${args.length + 1}\r\n$${Buffer.byteLength(name)}\r\n${name}\r\n` : '\r\n';
  for (let i = from; i < to; i++) {
    const arg = args[i] as string;
    run += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  }
  return run + tail;
}
