// Shared pieces of the channel tests: a tampering HTTP proxy, test payment codes, accounts.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WalletAccount } from '../../src/terminals/types.js';

export const WX_ACCOUNT: WalletAccount = { appId: 'wx2421b1c4370ec43b', merchantId: '10000100' };
export const AL_ACCOUNT: WalletAccount = { appId: '2021000000000001', merchantId: '2088000000000001' };

/** An 18-digit WeChat-style payment code ending in `last2` (the sandbox's scenario digits). */
export const wxCode = (last2: string) => `1345678901234567${last2}`;
/** An 18-digit Alipay-style payment code ending in `last2`. */
export const alCode = (last2: string) => `2812345678901234${last2}`;

let orderSeq = 0;
/** A merchant order number unique within the test run. */
export const orderNo = (tag = 'T') => `${tag}${process.pid}${Date.now().toString(36)}${++orderSeq}`;

/**
 * A reverse proxy that rewrites response bodies on the way back: the man in the middle that
 * signature checks exist for.
 */
export async function tamperingProxy(target: string, tamper: (body: string) => string) {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          const back: Buffer[] = [];
          up.on('data', (c: Buffer) => back.push(c));
          up.on('end', () => {
            const body = tamper(Buffer.concat(back).toString('utf8'));
            res.writeHead(up.statusCode ?? 502, {
              'content-type': up.headers['content-type'] ?? 'text/plain',
              'content-length': Buffer.byteLength(body),
            });
            res.end(body);
          });
        },
      );
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `check` every 10 ms until it is true or `ms` pass; returns the last answer. */
export async function waitFor(check: () => boolean, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** The part of a tap test the rigs need: somewhere to register cleanup. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}
