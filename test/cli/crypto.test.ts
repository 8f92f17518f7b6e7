// `boxfep crypto` end to end: the built CLI in a child process, published values in, one line of
// upper-case hex out; bad input is one line on stderr and exit 2.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { cliPath } from '../helpers/paths.js';

const exec = promisify(execFile);
const crypto = async (...args: string[]) => (await exec(process.execPath, [cliPath, 'crypto', ...args])).stdout;
const fails = async (...args: string[]) =>
  exec(process.execPath, [cliPath, 'crypto', ...args]).then(
    () => null,
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

const TDES_BDK = '0123456789ABCDEFFEDCBA9876543210';

t.test('each subcommand prints one line of upper-case hex', async (t) => {
  const cases: [string[], string][] = [
    [['kcv', '--key', '0123456789abcdef'], 'D5D44F'],
    [['kcv', '--key', '0123456789ABCDEF', '--length', '4'], 'D5D44FF7'],
    [
      ['mac', '--alg', 'cups-ecb', '--key', '2222222222222222', '--data', '1234567890ABCDEFABCDEF1234567890'],
      '4532363742364532',
    ],
    [
      [
        'mac',
        '--alg',
        'x9.9',
        '--key',
        '0123456789ABCDEF',
        '--data',
        Buffer.from('7654321 Now is the time for ').toString('hex'),
      ],
      'F1D30F6849312CA4',
    ],
    [
      ['mac', '--alg', 'x9.19', '--key', TDES_BDK, '--data', Buffer.from('Now is the time for it').toString('hex')],
      '2E2B1428CC78254F',
    ],
    [
      [
        'mac',
        '--alg',
        'x9.19',
        '--key',
        '41414141414141414242424242424242',
        '--data',
        Buffer.from('hello world').toString('hex'),
        '--padding',
        '2',
      ],
      'E16941032C3BC7D4',
    ],
    [
      [
        'mac',
        '--alg',
        'aes-cmac',
        '--key',
        '2B7E151628AED2A6ABF7158809CF4F3C',
        '--data',
        '6BC1BEE22E409F96E93D7E117393172A',
      ],
      '070A16B46B4D4144F79BDD9DD04A287C',
    ],
    [['wrap', '--kek', TDES_BDK, '--key', TDES_BDK], '1A4D672DCA6CB3351FD1B02B237AF9AE'],
    [['unwrap', '--kek', TDES_BDK, '--data', '1A4D672DCA6CB3351FD1B02B237AF9AE'], TDES_BDK],
    [
      ['dukpt', '--bdk', TDES_BDK, '--ksn', 'FFFF9876543210E00000', '--usage', 'ipek'],
      '6AC292FAA1315B4D858AB3A3D7D5933A',
    ],
    [
      ['dukpt', '--bdk', TDES_BDK, '--ksn', 'FFFF9876543210E00001', '--usage', 'data-response'],
      'AD7BFC8B06AD3A08A560B4105CF8D9E5',
    ],
    [
      [
        'dukpt',
        '--aes',
        '--bdk',
        'FEDCBA9876543210F1F1F1F1F1F1F1F1',
        '--ksn',
        '123456789012345600000001',
        '--usage',
        'initial',
      ],
      '1273671EA26AC29AFA4D1084127652A1',
    ],
    [
      [
        'dukpt',
        '--aes',
        '--bdk',
        'FEDCBA9876543210F1F1F1F1F1F1F1F1',
        '--ksn',
        '123456789012345600000001',
        '--usage',
        'mac-generation',
        '--key-type',
        'aes128',
      ],
      'A2DC23DE6FDE0824A2BC321E08E4B8B7',
    ],
  ];
  for (const [args, expected] of cases) t.equal(await crypto(...args), `${expected}\n`, args.join(' '));
});

t.test('bad input is one clear line on stderr and exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['kcv', '--key', '012'], /odd number of hex digits/],
    [['kcv', '--key', '0123'], /cannot be 2 bytes/],
    [['kcv', '--key', 'zz23456789ABCDEF'], /not hex/],
    [['mac', '--alg', 'md5', '--key', '00', '--data', '00'], /--alg must be one of/],
    [['mac', '--alg', 'x9.19', '--key', '0123456789ABCDEF', '--data', '00'], /double-length/],
    [['mac', '--alg', 'cups-ecb', '--key', '2222222222222222', '--data', '00', '--padding', '2'], /--padding applies/],
    [['wrap', '--kek', TDES_BDK, '--key', '0011'], /multiple of 8/],
    [['dukpt', '--bdk', TDES_BDK, '--ksn', 'FFFF9876543210E007FF', '--usage', 'pin'], /11 one-bits/],
    [['dukpt', '--bdk', TDES_BDK, '--ksn', 'FFFF9876543210FFFFFF', '--usage', 'pin'], /exhausted/],
    [['dukpt', '--bdk', TDES_BDK, '--ksn', 'FFFF98765432', '--usage', 'pin'], /10 bytes/],
    [
      [
        'dukpt',
        '--aes',
        '--bdk',
        'FEDCBA9876543210F1F1F1F1F1F1F1F1',
        '--ksn',
        '12345678901234560001FFFF',
        '--usage',
        'pin',
      ],
      /17 one-bits/,
    ],
    [['dukpt', '--bdk', TDES_BDK, '--ksn', 'FFFF9876543210E00001'], /--usage is required/],
    [['frobnicate'], /unknown subcommand/],
  ];
  for (const [args, message] of cases) {
    const err = await fails(...args);
    t.equal(err?.code, 2, `${args.join(' ')} exits 2`);
    t.match(err?.stderr, message);
    t.equal(err?.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(err?.stdout, '', 'nothing on stdout');
  }
});
