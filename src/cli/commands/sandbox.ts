// `boxfep sandbox`: starts the WeChat-Pay-style, Alipay-style and UnionPay-host sandboxes on loopback
// and prints one JSON line with their addresses and keys; runs until SIGINT/SIGTERM.
import { parseLatency } from '../../channels/sandbox/random.js';
import { Sandboxes } from '../../channels/sandboxes.js';
import { parseFlags } from '../args.js';
import { UsageError } from '../usage-error.js';

const HELP = `usage: boxfep sandbox [--wechat-port N] [--alipay-port N] [--unionpay-port N] [--host H]
  [--notify-url URL] [--pay-delay-ms N] [--latency none|fixed:MS|lognormal:MEDIAN:P99]
  [--error-rate R] [--drop-rate R] [--duplicate-notify-rate R] [--reorder-notify] [--seed N]
`;

function port(v: string | undefined, name: string): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be a port number`);
  return n;
}

function rate(v: string | undefined, name: string): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} must be between 0 and 1`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      help: { type: 'boolean', short: 'h' },
      'wechat-port': { type: 'string' },
      'alipay-port': { type: 'string' },
      'unionpay-port': { type: 'string' },
      host: { type: 'string' },
      'notify-url': { type: 'string' },
      'pay-delay-ms': { type: 'string' },
      latency: { type: 'string' },
      'error-rate': { type: 'string' },
      'drop-rate': { type: 'string' },
      'duplicate-notify-rate': { type: 'string' },
      'reorder-notify': { type: 'boolean' },
      seed: { type: 'string' },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let latency: ReturnType<typeof parseLatency> = { kind: 'none' };
  try {
    if (values.latency) latency = parseLatency(values.latency);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const payDelayMs = values['pay-delay-ms'] === undefined ? 1_000 : Number(values['pay-delay-ms']);
  if (!(payDelayMs >= 0)) throw new UsageError('--pay-delay-ms must be a number of milliseconds');
  const host = values.host ?? '127.0.0.1';
  const common = {
    host,
    latency,
    payDelayMs,
    seed: values.seed === undefined ? 1 : Number(values.seed),
    faults: {
      errorRate: rate(values['error-rate'], 'error-rate'),
      dropRate: rate(values['drop-rate'], 'drop-rate'),
      duplicateNotifyRate: rate(values['duplicate-notify-rate'], 'duplicate-notify-rate'),
      reorderNotify: values['reorder-notify'] === true,
    },
  };
  const notifyUrl = values['notify-url'];
  if (notifyUrl !== undefined && !URL.canParse(notifyUrl)) throw new UsageError('--notify-url must be a URL');
  // Orders carry their own notify_url; this base (boxfep's notify port) serves orders that do not.
  const base = notifyUrl?.replace(/\/$/, '');
  const sandboxes = new Sandboxes({
    wechat: {
      ...common,
      port: port(values['wechat-port'], 'wechat-port'),
      ...(base ? { notifyUrl: `${base}/notify/wechat` } : {}),
    },
    alipay: {
      ...common,
      port: port(values['alipay-port'], 'alipay-port'),
      ...(base ? { notifyUrl: `${base}/notify/alipay` } : {}),
    },
    unionpay: { ...common, port: port(values['unionpay-port'], 'unionpay-port') },
  });
  const description = await sandboxes.start();
  process.stdout.write(`${JSON.stringify({ ...description, notifyUrl: base ?? null })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandboxes.stop();
  return 0;
}
