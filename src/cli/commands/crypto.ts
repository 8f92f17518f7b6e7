// `boxfep crypto`: the operator's tools for key ceremonies and checking a terminal's keys. Pure
// functions over clear keys given on the command line; nothing is stored. Output is one line of
// upper-case hex; bad input is one line on stderr and exit status 2.
import {
  AES_DUKPT_KEY_TYPES,
  AES_DUKPT_USAGES,
  type AesDukptKeyType,
  type AesDukptUsage,
  deriveAesDukpt,
} from '../../crypto/dukpt/aes.js';
import { deriveTdesDukpt, TDES_DUKPT_USAGES, type TdesDukptUsage } from '../../crypto/dukpt/tdes.js';
import { CryptoError } from '../../crypto/errors.js';
import { computeMac, MAC_ALGORITHMS, type MacAlgorithm } from '../../crypto/field64.js';
import { parseHex, toHex } from '../../crypto/hex.js';
import { checkValue } from '../../crypto/kcv.js';
import { Key } from '../../crypto/key.js';
import { unwrapKey, wrapKey } from '../../crypto/keywrap.js';
import type { PaddingMethod } from '../../crypto/padding.js';
import { parseFlags, requireFlag } from '../args.js';
import { UsageError } from '../usage-error.js';

const USAGE = `usage:
  boxfep crypto kcv --key HEX [--length 3|4] [--aes]
  boxfep crypto mac --alg cups-ecb|x9.9|x9.19|aes-cmac --key HEX --data HEX [--padding 1|2|3]
  boxfep crypto wrap --kek HEX --key HEX
  boxfep crypto unwrap --kek HEX --data HEX
  boxfep crypto dukpt --bdk HEX --ksn HEX --usage ${TDES_DUKPT_USAGES.join('|')}
  boxfep crypto dukpt --aes --bdk HEX --ksn HEX --usage ${AES_DUKPT_USAGES.join('|')} [--key-type aes128|aes192|aes256|tdes2|tdes3]`;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function kcv(argv: string[]): string {
  const { values } = parseFlags(
    argv,
    { key: { type: 'string' }, length: { type: 'string' }, aes: { type: 'boolean' } },
    false,
  );
  const length = Number(oneOf('length', values.length ?? '3', ['3', '4'])) as 3 | 4;
  const key = Key.of(parseHex('--key', requireFlag(values, 'key')), values.aes ? 'aes' : undefined);
  return toHex(checkValue(key, length));
}

function mac(argv: string[]): string {
  const { values } = parseFlags(
    argv,
    { alg: { type: 'string' }, key: { type: 'string' }, data: { type: 'string' }, padding: { type: 'string' } },
    false,
  );
  const alg = oneOf<MacAlgorithm>('alg', requireFlag(values, 'alg'), MAC_ALGORITHMS);
  if (values.padding !== undefined && alg !== 'x9.9' && alg !== 'x9.19') {
    throw new UsageError('--padding applies to x9.9 and x9.19 only');
  }
  const padding = Number(oneOf('padding', values.padding ?? '1', ['1', '2', '3'])) as PaddingMethod;
  const key = Key.of(parseHex('--key', requireFlag(values, 'key')), alg === 'aes-cmac' ? 'aes' : 'tdes');
  const data = parseHex('--data', values.data ?? '');
  return toHex(computeMac(alg, key, data, padding));
}

function wrap(argv: string[], direction: 'wrap' | 'unwrap'): string {
  const input = direction === 'wrap' ? 'key' : 'data';
  const { values } = parseFlags(argv, { kek: { type: 'string' }, [input]: { type: 'string' } }, false);
  const kek = parseHex('--kek', requireFlag(values, 'kek'), [8, 16, 24]);
  const body = parseHex(`--${input}`, requireFlag(values, input));
  return toHex(direction === 'wrap' ? wrapKey(kek, body) : unwrapKey(kek, body));
}

function dukpt(argv: string[]): string {
  const { values } = parseFlags(
    argv,
    {
      aes: { type: 'boolean' },
      bdk: { type: 'string' },
      ksn: { type: 'string' },
      usage: { type: 'string' },
      'key-type': { type: 'string' },
    },
    false,
  );
  const bdk = parseHex('--bdk', requireFlag(values, 'bdk'));
  const ksn = requireFlag(values, 'ksn');
  if (!values.aes) {
    if (values['key-type'] !== undefined) throw new UsageError('--key-type applies to AES DUKPT (--aes) only');
    const usage = oneOf<TdesDukptUsage>('usage', requireFlag(values, 'usage'), TDES_DUKPT_USAGES);
    return toHex(deriveTdesDukpt(bdk, ksn, usage));
  }
  const usage = oneOf<AesDukptUsage>('usage', requireFlag(values, 'usage'), AES_DUKPT_USAGES);
  const type = oneOf<AesDukptKeyType>('key-type', values['key-type'] ?? 'aes128', AES_DUKPT_KEY_TYPES);
  return toHex(deriveAesDukpt(bdk, ksn, usage, type));
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  let out: string;
  try {
    switch (sub) {
      case 'kcv':
        out = kcv(rest);
        break;
      case 'mac':
        out = mac(rest);
        break;
      case 'wrap':
      case 'unwrap':
        out = wrap(rest, sub);
        break;
      case 'dukpt':
        out = dukpt(rest);
        break;
      default:
        throw new UsageError(`unknown subcommand '${sub}' (kcv, mac, wrap, unwrap, dukpt)`);
    }
  } catch (err) {
    // Bad keys, hex and counters are the operator's input errors: one line, exit 2.
    if (err instanceof CryptoError) throw new UsageError(err.message);
    throw err;
  }
  process.stdout.write(`${out}\n`);
  return 0;
}
