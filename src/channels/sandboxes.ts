// All three sandboxes together: what `boxfep sandbox` runs, and what `boxfep serve` starts in-process
// on loopback by default. `describe()` is the JSON line with their addresses and keys.
import type { AlipayConnectorOptions } from './alipay/connector.js';
import { AlipaySandbox, type AlipaySandboxOptions } from './alipay/sandbox.js';
import type { UnionPayConnectorOptions } from './unionpay/connector.js';
import { UnionPaySandbox, type UnionPaySandboxOptions } from './unionpay/sandbox.js';
import type { WechatConnectorOptions } from './wechat/connector.js';
import { WechatSandbox, type WechatSandboxOptions } from './wechat/sandbox.js';

export interface SandboxesOptions {
  wechat?: WechatSandboxOptions;
  alipay?: AlipaySandboxOptions;
  unionpay?: UnionPaySandboxOptions;
}

export interface SandboxesDescription {
  wechat: { url: string; apiKey: string };
  alipay: { gatewayUrl: string; alipayPublicKeyPem: string; appPrivateKeyPem: string; appPublicKeyPem: string };
  unionpay: { host: string; port: number };
}

export class Sandboxes {
  readonly wechat: WechatSandbox;
  readonly alipay: AlipaySandbox;
  readonly unionpay: UnionPaySandbox;

  constructor(options: SandboxesOptions = {}) {
    this.wechat = new WechatSandbox(options.wechat);
    this.alipay = new AlipaySandbox(options.alipay);
    this.unionpay = new UnionPaySandbox(options.unionpay);
  }

  async start(): Promise<SandboxesDescription> {
    await Promise.all([this.wechat.start(), this.alipay.start(), this.unionpay.start()]);
    return this.describe();
  }

  describe(): SandboxesDescription {
    const up = this.unionpay.address;
    return {
      wechat: { url: this.wechat.url, apiKey: this.wechat.apiKey },
      alipay: {
        gatewayUrl: this.alipay.url,
        alipayPublicKeyPem: this.alipay.alipayKeys.publicKeyPem,
        appPrivateKeyPem: this.alipay.appKeys.privateKeyPem,
        appPublicKeyPem: this.alipay.appKeys.publicKeyPem,
      },
      unionpay: { host: up.address, port: up.port },
    };
  }

  /** Connector settings that point at these sandboxes with their keys (every merchant shares them). */
  connectorOptions(notifyBaseUrl: string): {
    wechat: WechatConnectorOptions;
    alipay: AlipayConnectorOptions;
    unionpay: UnionPayConnectorOptions;
  } {
    const d = this.describe();
    return {
      wechat: {
        baseUrl: d.wechat.url,
        credentials: () => ({ apiKey: d.wechat.apiKey }),
        notifyUrl: `${notifyBaseUrl}/notify/wechat`,
      },
      alipay: {
        gatewayUrl: d.alipay.gatewayUrl,
        credentials: () => ({
          appPrivateKeyPem: d.alipay.appPrivateKeyPem,
          alipayPublicKeyPem: d.alipay.alipayPublicKeyPem,
        }),
        notifyUrl: `${notifyBaseUrl}/notify/alipay`,
      },
      unionpay: { host: d.unionpay.host, port: d.unionpay.port },
    };
  }

  async stop(): Promise<void> {
    await Promise.all([this.wechat.stop(), this.alipay.stop(), this.unionpay.stop()]);
  }
}
