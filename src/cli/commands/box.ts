// `boxfep box <operation>`: the box emulator from the command line. Connects, signs on when the
// operation needs working keys, runs the operation and prints the exchange readably. Exit status 0
// when boxfep approved (00, or 09 for a precreate), 1 when it answered otherwise, 2 for bad flags.
import { Box, type Reply } from '../../box/box.js';
import { BoxKeys } from '../../box/keys.js';
import { saleRequest } from '../../box/messages.js';
import { formatExchange, formatPush } from '../../box/print.js';
import type { KeyMode, TerminalMacAlgorithm } from '../../terminals/types.js';
import { parseFlags, requireFlag } from '../args.js';
import { UsageError } from '../usage-error.js';

const OPERATIONS = ['signon', 'echo', 'pay', 'precreate', 'query', 'reverse', 'void', 'refund', 'settle'] as const;
type Operation = (typeof OPERATIONS)[number];

const USAGE = `usage: boxfep box ${OPERATIONS.join('|')} --tid TID --mid MID (--tmk HEX | --key-mode dukpt-tdes|dukpt-aes --bdk HEX --ksn HEX)
  [--host 127.0.0.1] [--port 5800] [--mac cups-ecb|x9.19] [--ascii-length] [--no-tpdu] [--no-header]
  [--stan N: first trace number (default from the clock, so consecutive runs do not reuse one)]
  precreate waits --push-wait-ms (default 60000; 0 = no) for the 0620 result push and acknowledges it
  signon [--with-tdk]          pay --amount FEN --code PAYMENT_CODE      precreate --amount FEN [--wallet WX|AL|UP|AG]
  query --orig-stan N [--orig-batch N]      void|refund --amount FEN --orig-stan N --orig-rrn RRN [--orig-batch N] [--orig-date MMDD]
  reverse --amount FEN --orig-stan N [--code PAYMENT_CODE] [--reason 98]
  settle [--debit-amount FEN --debit-count N --credit-amount FEN --credit-count N]`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  tid: { type: 'string' },
  mid: { type: 'string' },
  tmk: { type: 'string' },
  bdk: { type: 'string' },
  ksn: { type: 'string' },
  'key-mode': { type: 'string' },
  mac: { type: 'string' },
  'ascii-length': { type: 'boolean' },
  'no-tpdu': { type: 'boolean' },
  'no-header': { type: 'boolean' },
  'with-tdk': { type: 'boolean' },
  amount: { type: 'string' },
  code: { type: 'string' },
  wallet: { type: 'string' },
  'orig-stan': { type: 'string' },
  'orig-batch': { type: 'string' },
  'orig-rrn': { type: 'string' },
  'orig-date': { type: 'string' },
  reason: { type: 'string' },
  'debit-amount': { type: 'string' },
  'debit-count': { type: 'string' },
  'credit-amount': { type: 'string' },
  'credit-count': { type: 'string' },
  timeout: { type: 'string' },
  stan: { type: 'string' },
  'push-wait-ms': { type: 'string' },
  help: { type: 'boolean' },
} as const;

function int(values: Record<string, unknown>, name: string, fallback?: number): number {
  const v = values[name];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${name} is required`);
  }
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number`);
  return Number(v);
}

const digits6 = (values: Record<string, unknown>, name: string, fallback?: string) => {
  const v = (values[name] as string | undefined) ?? fallback;
  if (v === undefined) throw new UsageError(`--${name} is required`);
  if (!/^\d{1,6}$/.test(v)) throw new UsageError(`--${name} must be up to 6 digits`);
  return v.padStart(6, '0');
};

export async function run(argv: string[]): Promise<number> {
  const [op, ...rest] = argv;
  if (op === undefined || op === 'help' || op === '--help') {
    process.stdout.write(`${USAGE}\n`);
    return op === undefined ? 2 : 0;
  }
  if (!OPERATIONS.includes(op as Operation)) throw new UsageError(`unknown operation '${op}'\n${USAGE}`);
  const { values } = parseFlags(rest, OPTIONS, false);
  const keyMode = (values['key-mode'] ?? 'session') as KeyMode;
  if (!['session', 'dukpt-tdes', 'dukpt-aes'].includes(keyMode)) throw new UsageError('bad --key-mode');
  const mac = (values.mac ?? 'cups-ecb') as TerminalMacAlgorithm;
  if (!['cups-ecb', 'x9.19'].includes(mac)) throw new UsageError('--mac must be cups-ecb or x9.19');
  const port = int(values, 'port', 5800);
  try {
    // Check the key material before touching the network.
    new BoxKeys({ keyMode, mac, tmk: values.tmk, bdk: values.bdk, ksn: values.ksn });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let box: Box;
  try {
    box = await Box.connect({
      host: values.host ?? '127.0.0.1',
      port,
      tid: requireFlag(values, 'tid'),
      mid: requireFlag(values, 'mid'),
      tmk: values.tmk,
      bdk: values.bdk,
      ksn: values.ksn,
      keyMode,
      mac,
      layout: {
        length: values['ascii-length'] ? 'ascii4' : 'binary2',
        tpdu: !values['no-tpdu'],
        header: !values['no-header'],
      },
      replyTimeoutMs: int(values, 'timeout', 60_000),
      // A real box keeps its trace number across power cycles; a CLI run starts from the clock
      // (10 ms steps) so that two runs in a row never reuse a STAN (boxfep would answer 94).
      stan: int(values, 'stan', (Math.floor(Date.now() / 10) % 999_000) + 1),
    });
  } catch (err) {
    const msg = (err as Error).message;
    process.stderr.write(`boxfep box: cannot connect to ${values.host ?? '127.0.0.1'}:${port}: ${msg}\n`);
    return 1;
  }
  try {
    const show = (r: Reply) => {
      process.stdout.write(formatExchange(r.request, r));
      return r;
    };
    if (op === 'echo') return done(show(await box.echo()), ['00']);
    const signOn = show(await box.signOn(values['with-tdk'] ? '004' : '003'));
    if (op === 'signon' || signOn.rc !== '00') {
      if (signOn.rc === '00') process.stdout.write(`   working keys check values verified; batch ${box.batch}\n`);
      return done(signOn, ['00']);
    }
    const original = () => ({
      stan: digits6(values, 'orig-stan'),
      batch: digits6(values, 'orig-batch', box.batch),
      rrn: values['orig-rrn'],
      date: values['orig-date'],
    });
    switch (op as Operation) {
      case 'pay':
        return done(show(await box.sale(int(values, 'amount'), requireFlag(values, 'code'))), ['00']);
      case 'precreate': {
        const wallet = (values.wallet ?? 'AG') as 'WX' | 'AL' | 'UP' | 'AG';
        if (!['WX', 'AL', 'UP', 'AG'].includes(wallet)) throw new UsageError('--wallet must be WX, AL, UP or AG');
        const created = show(await box.precreate(int(values, 'amount'), wallet));
        const waitMs = int(values, 'push-wait-ms', 60_000);
        if (created.rc !== '09' || waitMs === 0) return done(created, ['00', '09']);
        process.stdout.write(`   waiting up to ${waitMs} ms for the result push…\n`);
        const push = await box.nextPush(waitMs).catch(() => undefined);
        if (!push) {
          process.stdout.write('   no push arrived\n');
          return 1;
        }
        process.stdout.write(`${formatPush(push)}\n`);
        return push.macValid && push.message.fields[39] === '00' ? 0 : 1;
      }
      case 'query':
        return done(show(await box.query(original())), ['00', '09']);
      case 'void':
        return done(
          show(await box.void(int(values, 'amount'), { ...original(), rrn: requireFlag(values, 'orig-rrn') })),
          ['00'],
        );
      case 'refund':
        return done(
          show(await box.refund(int(values, 'amount'), { ...original(), rrn: requireFlag(values, 'orig-rrn') })),
          ['00'],
        );
      case 'reverse': {
        const sale = saleRequest(
          { tid: box.tid, mid: box.opts.mid, batch: box.batch },
          digits6(values, 'orig-stan'),
          int(values, 'amount'),
          values.code ?? '',
        );
        if (!values.code) delete sale.fields[59];
        return done(show(await box.reverse(sale, values.reason ?? '98')), ['00']);
      }
      case 'settle':
        return done(
          show(
            await box.settle({
              debitFen: int(values, 'debit-amount', 0),
              debitCount: int(values, 'debit-count', 0),
              creditFen: int(values, 'credit-amount', 0),
              creditCount: int(values, 'credit-count', 0),
            }),
          ),
          ['00'],
        );
      default:
        throw new UsageError(`unknown operation '${op}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    process.stderr.write(`boxfep box: ${(err as Error).message}\n`);
    return 1;
  } finally {
    box.close();
  }
}

function done(reply: Reply, ok: string[]): number {
  return reply.rc !== undefined && ok.includes(reply.rc) ? 0 : 1;
}
