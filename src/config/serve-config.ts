// Configuration of `boxfep serve`: one table of settings, read from (highest first) command-line
// flags, BOXFEP_* environment variables, a JSON config file (`--config FILE`) and the defaults.
// A flag `--box-port` is `BOXFEP_BOX_PORT` in the environment and `"box-port"` (or `"boxPort"`) in
// the file, so an operator learns one name per setting.
import { readFileSync } from 'node:fs';
import { DEFAULT_KEY_CACHE_SIZE } from '../crypto/lmk.js';
import type { LengthPrefix } from '../iso8583/framing.js';

export interface ListenerSpec {
  name?: string;
  port: number;
  length: LengthPrefix;
  tpdu: boolean;
  header: boolean;
}

export interface ServeConfig {
  host: string;
  boxPort: number;
  adminPort: number;
  notifyPort: number;
  /** Extra box listeners (other layouts or ports) beside the default one on boxPort. */
  listeners: ListenerSpec[];
  store: string;
  /** Prefix of every Redis key and bus channel: several deployments (or test runs) can share one Redis. */
  storePrefix: string;
  /** The longest a node keeps a terminal context read from Redis (its terminal cache); 0: none kept. */
  terminalCacheMs: number;
  /** Processes sharing the box, notify and admin ports (node:cluster); more than 1 needs a Redis store. */
  workers: number;
  terminals?: string;
  lmkFile?: string;
  crypto: 'pool' | 'inline';
  cryptoThreads: number;
  /** Opened keys (working keys in the clear) cached per crypto engine; at least the boxes served. */
  keyCacheSize: number;
  payDeadlineMs: number;
  /** Pause between wallet queries while a payment is pending or unknown. */
  queryIntervalMs: number;
  /** C2B: an unpaid order is closed at the wallet after this (never sooner than the wallet allows). */
  c2bExpiryMs: number;
  /** C2B: how often boxfep itself asks the wallet about a pending order (notifications come first). */
  c2bQueryIntervalMs: number;
  /** Per-attempt deadline of a wallet call. */
  walletTimeoutMs: number;
  /** Run the wallet sandboxes in-process and point the channels at them. */
  sandbox: boolean;
  /** JSON file of wallet endpoints and keys (the line `boxfep sandbox` prints); these replace sandboxes. */
  wallets?: string;
  /** How often the recovery pass runs. */
  recoveryTickMs: number;
  /** How long a recovery claim outlives a node that died holding it (the takeover time). */
  recoveryLeaseMs: number;
  keyLifetimeMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  maxInFlight: number;
  maxFrameBytes: number;
  drainMs: number;
  acquirerId: string;
  /** Provision and print one demo terminal when the store has none (the embedded default). */
  demo: boolean;
  /** Synthetic transactions through a scratch copy before the box listener opens (0: none). */
  warmUp: number;
  /** The longest the warm-up may take. */
  warmUpMs: number;
}

type Kind = 'int' | 'string' | 'bool' | 'listeners';

interface Setting {
  key: keyof ServeConfig;
  flag: string;
  kind: Kind;
  help: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

const PORT = { min: 0, max: 65535 } as const;

export const SETTINGS: readonly Setting[] = [
  { key: 'host', flag: 'host', kind: 'string', help: 'address the box, admin and notify listeners bind' },
  { key: 'boxPort', flag: 'box-port', kind: 'int', ...PORT, help: 'box listener (2-byte length, TPDU, header)' },
  { key: 'adminPort', flag: 'admin-port', kind: 'int', ...PORT, help: '/metrics, /healthz, /readyz' },
  { key: 'notifyPort', flag: 'notify-port', kind: 'int', ...PORT, help: 'wallet notifications' },
  {
    key: 'listeners',
    flag: 'listener',
    kind: 'listeners',
    help: 'extra box listener, repeatable: port=5801,length=ascii4,tpdu=false,header=false[,name=N]',
  },
  { key: 'store', flag: 'store', kind: 'string', help: 'memory | redis://host:port | redis+cluster://h:p,h:p' },
  {
    key: 'storePrefix',
    flag: 'store-prefix',
    kind: 'string',
    help: 'Redis key and bus-channel prefix (several deployments on one Redis)',
  },
  {
    key: 'terminalCacheMs',
    flag: 'terminal-cache-ms',
    kind: 'int',
    min: 0,
    help: 'the longest a node keeps a terminal context read from Redis (0: read it on every request)',
  },
  {
    key: 'workers',
    flag: 'workers',
    kind: 'int',
    min: 1,
    max: 64,
    help: 'processes sharing the box ports (node:cluster); more than 1 needs a Redis store',
  },
  { key: 'terminals', flag: 'terminals', kind: 'string', help: 'JSON file of terminals to upsert at start' },
  { key: 'lmkFile', flag: 'lmk-file', kind: 'string', help: 'file holding the LMK (or BOXFEP_LMK=hex)' },
  { key: 'crypto', flag: 'crypto', kind: 'string', choices: ['pool', 'inline'], help: 'where MACs are computed' },
  { key: 'cryptoThreads', flag: 'crypto-threads', kind: 'int', min: 1, max: 64, help: 'crypto worker threads' },
  {
    key: 'keyCacheSize',
    flag: 'key-cache-size',
    kind: 'int',
    min: 1,
    max: 10_000_000,
    help: 'opened keys kept per crypto engine (≥ the boxes served; ~1.4 KB each)',
  },
  { key: 'payDeadlineMs', flag: 'pay-deadline-ms', kind: 'int', min: 1, help: 'B2C sale deadline' },
  {
    key: 'queryIntervalMs',
    flag: 'query-interval-ms',
    kind: 'int',
    min: 1,
    help: 'wallet query interval while a payment is pending',
  },
  { key: 'c2bExpiryMs', flag: 'c2b-expiry-ms', kind: 'int', min: 1, help: 'C2B: close an unpaid order after' },
  {
    key: 'c2bQueryIntervalMs',
    flag: 'c2b-query-interval-ms',
    kind: 'int',
    min: 1,
    help: 'C2B: poll a pending order this often',
  },
  { key: 'walletTimeoutMs', flag: 'wallet-timeout-ms', kind: 'int', min: 1, help: 'per-attempt wallet call deadline' },
  { key: 'sandbox', flag: 'sandbox', kind: 'bool', help: 'run the wallet sandboxes in-process (demo, tests)' },
  {
    key: 'wallets',
    flag: 'wallets',
    kind: 'string',
    help: 'JSON file of wallet endpoints and keys (as `boxfep sandbox` prints); used instead of sandboxes',
  },
  { key: 'recoveryTickMs', flag: 'recovery-tick-ms', kind: 'int', min: 10, help: 'recovery pass period' },
  {
    key: 'recoveryLeaseMs',
    flag: 'recovery-lease-ms',
    kind: 'int',
    min: 100,
    help: 'recovery claim lifetime: takeover time after a node dies',
  },
  { key: 'keyLifetimeMs', flag: 'key-lifetime-ms', kind: 'int', min: 1, help: 'working keys older → sign on again' },
  { key: 'idleTimeoutMs', flag: 'idle-timeout-ms', kind: 'int', min: 1, help: 'close a silent box after this' },
  { key: 'maxConnections', flag: 'max-connections', kind: 'int', min: 1, help: 'box connections in all' },
  {
    key: 'maxConnectionsPerAddress',
    flag: 'max-connections-per-address',
    kind: 'int',
    min: 1,
    help: 'box connections from one source address',
  },
  { key: 'maxInFlight', flag: 'max-in-flight', kind: 'int', min: 1, max: 64, help: 'requests at once per box' },
  { key: 'maxFrameBytes', flag: 'max-frame-bytes', kind: 'int', min: 64, max: 65535, help: 'longest frame' },
  { key: 'drainMs', flag: 'drain-ms', kind: 'int', min: 0, help: 'graceful shutdown: time to finish in-flight' },
  { key: 'acquirerId', flag: 'acquirer-id', kind: 'string', help: 'field 32 in 0810' },
  { key: 'demo', flag: 'demo', kind: 'bool', help: 'provision a demo terminal when the store has none' },
  {
    key: 'warmUp',
    flag: 'warm-up',
    kind: 'int',
    min: 0,
    max: 1_000_000,
    help: 'synthetic transactions through a scratch copy before the box listener opens (0: none)',
  },
  { key: 'warmUpMs', flag: 'warm-up-ms', kind: 'int', min: 1, help: 'the longest the warm-up may take' },
];

export const DEFAULTS: ServeConfig = {
  host: '0.0.0.0',
  boxPort: 5800,
  adminPort: 9464,
  notifyPort: 8088,
  listeners: [],
  store: 'memory',
  storePrefix: 'bf:',
  terminalCacheMs: 300_000,
  workers: 1,
  crypto: 'pool',
  cryptoThreads: 2,
  keyCacheSize: DEFAULT_KEY_CACHE_SIZE,
  payDeadlineMs: 45_000,
  queryIntervalMs: 3_000,
  c2bExpiryMs: 300_000,
  c2bQueryIntervalMs: 15_000,
  walletTimeoutMs: 10_000,
  sandbox: true,
  recoveryTickMs: 1_000,
  recoveryLeaseMs: 10_000,
  keyLifetimeMs: 24 * 3600_000,
  idleTimeoutMs: 300_000,
  maxConnections: 15_000,
  maxConnectionsPerAddress: 15_000,
  maxInFlight: 4,
  maxFrameBytes: 4096,
  drainMs: 10_000,
  acquirerId: '00000000',
  demo: true,
  warmUp: 2_000,
  warmUpMs: 5_000,
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const envName = (flag: string) => `BOXFEP_${flag.toUpperCase().replaceAll('-', '_')}`;

export function parseListenerSpec(spec: string, where: string): ListenerSpec {
  const out: ListenerSpec = { port: -1, length: 'binary2', tpdu: true, header: true };
  for (const part of spec.split(',')) {
    const [k, v, ...extra] = part.split('=').map((s) => s.trim());
    if (v === undefined || extra.length > 0) throw new ConfigError(`${where}: expected key=value, got '${part}'`);
    if (k === 'port') out.port = toInt(v, `${where} port`, PORT);
    else if (k === 'length') {
      if (v !== 'binary2' && v !== 'ascii4') throw new ConfigError(`${where}: length must be binary2 or ascii4`);
      out.length = v;
    } else if (k === 'tpdu' || k === 'header') out[k] = toBool(v, `${where} ${k}`);
    else if (k === 'name') out.name = v;
    else throw new ConfigError(`${where}: unknown listener key '${k}'`);
  }
  if (out.port < 0) throw new ConfigError(`${where}: port is required`);
  return out;
}

function toInt(v: unknown, where: string, range: { min?: number; max?: number }): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ConfigError(`${where}: expected an integer, got ${JSON.stringify(v)}`);
  if (range.min !== undefined && n < range.min) throw new ConfigError(`${where}: ${n} is below ${range.min}`);
  if (range.max !== undefined && n > range.max) throw new ConfigError(`${where}: ${n} is above ${range.max}`);
  return n;
}

function toBool(v: unknown, where: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(v)}`);
}

function coerce(s: Setting, v: unknown, where: string): unknown {
  switch (s.kind) {
    case 'int':
      return toInt(v, where, s);
    case 'bool':
      return toBool(v, where);
    case 'listeners': {
      const items = Array.isArray(v) ? v : [v];
      return items.map((item, i) => {
        if (typeof item === 'string') return parseListenerSpec(item, `${where}[${i}]`);
        if (item && typeof item === 'object') {
          const spec = Object.entries(item as Record<string, unknown>)
            .map(([k, x]) => `${k}=${String(x)}`)
            .join(',');
          return parseListenerSpec(spec, `${where}[${i}]`);
        }
        throw new ConfigError(`${where}[${i}]: expected a listener object or string`);
      });
    }
    default: {
      if (typeof v !== 'string' || v === '') throw new ConfigError(`${where}: expected a non-empty string`);
      if (s.choices && !s.choices.includes(v))
        throw new ConfigError(`${where}: must be one of ${s.choices.join(', ')}`);
      return v;
    }
  }
}

export interface ConfigSources {
  /** Values from flags, already keyed by flag name (repeatable flags as arrays). */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Path of the JSON config file, if any. */
  file?: string;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const known = new Map<string, Setting>();
  for (const s of SETTINGS) {
    known.set(s.flag, s);
    known.set(s.key, s);
  }
  known.set('listeners', SETTINGS.find((s) => s.key === 'listeners')!);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) {
    const s = known.get(k);
    if (!s) throw new ConfigError(`config file ${path}: unknown setting '${k}'`);
    out[s.flag] = v;
  }
  return out;
}

/** Merges the sources, validating each value where it came from so the error names its origin. */
export function resolveServeConfig(src: ConfigSources): ServeConfig {
  const fromFile = src.file ? readConfigFile(src.file) : {};
  const cfg: Record<string, unknown> = { ...DEFAULTS };
  for (const s of SETTINGS) {
    const env = src.env[envName(s.flag)];
    const flag = src.flags[s.flag];
    if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) {
      cfg[s.key] = coerce(s, flag, `--${s.flag}`);
    } else if (env !== undefined && env !== '') {
      cfg[s.key] = coerce(s, s.kind === 'listeners' ? env.split(';') : env, envName(s.flag));
    } else if (fromFile[s.flag] !== undefined) {
      cfg[s.key] = coerce(s, fromFile[s.flag], `${src.file}: ${s.flag}`);
    }
  }
  return cfg as unknown as ServeConfig;
}

/** The `parseArgs` option table for `boxfep serve`, derived from SETTINGS. */
export function serveFlagOptions() {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    config: { type: 'string' },
    help: { type: 'boolean' },
  };
  for (const s of SETTINGS) {
    options[s.flag] = s.kind === 'listeners' ? { type: 'string', multiple: true } : { type: 'string' };
  }
  return options;
}

export function serveHelp(): string {
  const lines = SETTINGS.map((s) => {
    const d = DEFAULTS[s.key];
    const shown = d === undefined || (Array.isArray(d) && d.length === 0) ? '' : ` (default ${String(d)})`;
    return `  --${s.flag.padEnd(30)} ${s.help}${shown}  [${envName(s.flag)}]`;
  });
  return `usage: boxfep serve [--config FILE] [options]\n${lines.join('\n')}\n`;
}
