// The wallet side of the runtime: one channel per wallet, each pointed either at an in-process
// sandbox (the default: `npm start` works with no wallet account) or at a configured endpoint.

import { AlipayConnector, type AlipayKeyResolver } from '../channels/alipay/connector.js';
import { alipayNotifyHandler } from '../channels/alipay/notify.js';
import { AlipaySandbox, type AlipaySandboxOptions } from '../channels/alipay/sandbox.js';
import type { RsaSigner } from '../channels/alipay/sign.js';
import type { Channel, NotifyHandler } from '../channels/channel.js';
import type { GuardOptions } from '../channels/guard.js';
import { UnionPayConnector } from '../channels/unionpay/connector.js';
import { UnionPaySandbox, type UnionPaySandboxOptions } from '../channels/unionpay/sandbox.js';
import { WechatConnector, type WechatKeyResolver } from '../channels/wechat/connector.js';
import { wechatNotifyHandler } from '../channels/wechat/notify.js';
import { WechatSandbox, type WechatSandboxOptions } from '../channels/wechat/sandbox.js';
import type { Logger } from '../log/logger.js';
import type { WalletAccount, WalletCode } from '../terminals/types.js';

/** A real (or remote) wallet endpoint with the credentials to speak to it. */
export interface WalletEndpoints {
  WX?: { baseUrl: string; credentials: WechatKeyResolver; account?: WalletAccount };
  AL?: { gatewayUrl: string; credentials: AlipayKeyResolver; account?: WalletAccount };
  UP?: { host: string; port: number; account?: WalletAccount };
}

export interface SandboxSettings {
  wechat?: WechatSandboxOptions;
  alipay?: AlipaySandboxOptions;
  unionpay?: UnionPaySandboxOptions;
}

export interface Sandboxes {
  WX?: WechatSandbox;
  AL?: AlipaySandbox;
  UP?: UnionPaySandbox;
}

/** The service-provider accounts the sandboxes accept for merchants without an account of their own. */
export const SANDBOX_ACCOUNTS: Readonly<Record<WalletCode, WalletAccount>> = Object.freeze({
  WX: { appId: 'wxb0f0e5a1d2c3b4a5', merchantId: '1900000109' },
  AL: { appId: '2021000000000001', merchantId: '2088000000000001' },
  UP: { appId: '99000001', merchantId: '898000000000099' },
});

export interface Wallets {
  channels: Partial<Record<WalletCode, Channel>>;
  notifyHandlers: NotifyHandler[];
  defaultAccounts: Partial<Record<WalletCode, WalletAccount>>;
  sandboxes: Sandboxes;
  /** Starts the sandboxes (before the channels are made: they need their addresses). */
  connect(notifyUrl: (wallet: WalletCode) => string): Promise<void>;
  close(): Promise<void>;
}

export interface WalletsOptions {
  sandbox: boolean;
  endpoints?: WalletEndpoints;
  sandboxSettings?: SandboxSettings;
  guard: Partial<GuardOptions>;
  signer?: RsaSigner;
  logger: Logger;
}

/** Builds the wallets in two steps: notify handlers first (the notify server needs them), channels in connect(). */
export function createWallets(opts: WalletsOptions): Wallets {
  const ep = opts.endpoints ?? {};
  const sandboxes: Sandboxes = {};
  if (opts.sandbox) {
    if (!ep.WX) sandboxes.WX = new WechatSandbox(opts.sandboxSettings?.wechat);
    if (!ep.AL) sandboxes.AL = new AlipaySandbox(opts.sandboxSettings?.alipay);
    if (!ep.UP) sandboxes.UP = new UnionPaySandbox(opts.sandboxSettings?.unionpay);
  }
  const wx = sandboxes.WX;
  const al = sandboxes.AL;
  const wechatKeys: WechatKeyResolver | undefined =
    ep.WX?.credentials ?? (wx ? (a) => ({ apiKey: wx.keyFor(a.merchantId) }) : undefined);
  const alipayKeys: AlipayKeyResolver | undefined =
    ep.AL?.credentials ??
    (al
      ? () => ({ appPrivateKeyPem: al.appKeys.privateKeyPem, alipayPublicKeyPem: al.alipayKeys.publicKeyPem })
      : undefined);

  const notifyHandlers: NotifyHandler[] = [];
  if (wechatKeys) notifyHandlers.push(wechatNotifyHandler(wechatKeys));
  if (alipayKeys) notifyHandlers.push(alipayNotifyHandler(alipayKeys));

  const defaultAccounts: Partial<Record<WalletCode, WalletAccount>> = {};
  for (const w of ['WX', 'AL', 'UP'] as const) {
    const account = ep[w]?.account ?? (sandboxes[w] ? SANDBOX_ACCOUNTS[w] : undefined);
    if (account) defaultAccounts[w] = account;
  }

  const channels: Partial<Record<WalletCode, Channel>> = {};
  const { guard, logger } = opts;
  return {
    channels,
    notifyHandlers,
    defaultAccounts,
    sandboxes,
    async connect(notifyUrl) {
      await Promise.all(Object.values(sandboxes).map((s) => s.start()));
      const wxUrl = ep.WX?.baseUrl ?? wx?.url;
      if (wxUrl && wechatKeys) {
        channels.WX = new WechatConnector({
          baseUrl: wxUrl,
          credentials: wechatKeys,
          notifyUrl: notifyUrl('WX'),
          guard,
          logger,
        });
      }
      const alUrl = ep.AL?.gatewayUrl ?? al?.url;
      if (alUrl && alipayKeys) {
        channels.AL = new AlipayConnector({
          gatewayUrl: alUrl,
          credentials: alipayKeys,
          notifyUrl: notifyUrl('AL'),
          signer: opts.signer,
          guard,
          logger,
        });
      }
      const up = ep.UP ?? (sandboxes.UP ? { host: '127.0.0.1', port: sandboxes.UP.address.port } : undefined);
      if (up) channels.UP = new UnionPayConnector({ host: up.host, port: up.port, links: 2, guard, logger });
    },
    async close() {
      await Promise.all(Object.values(channels).map((c) => c.destroy()));
      await Promise.all(Object.values(sandboxes).map((s) => s.stop()));
    },
  };
}
