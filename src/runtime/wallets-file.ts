// `boxfep serve --wallets FILE`: wallet endpoints and keys from a JSON file instead of in-process
// sandboxes — the shape `boxfep sandbox` prints, plus an optional default `account` per wallet (for
// merchants without one of their own). This is how several boxfep processes share one set of wallets,
// and how a wallet outlives a boxfep process in the crash tests.
//   { "wechat":   { "url": "...", "apiKey": "...", "account": { "appId": "...", "merchantId": "..." } },
//     "alipay":   { "gatewayUrl": "...", "alipayPublicKeyPem": "...", "appPrivateKeyPem": "..." },
//     "unionpay": { "host": "127.0.0.1", "port": 5900 } }
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/serve-config.js';
import type { WalletAccount } from '../terminals/types.js';
import type { WalletEndpoints } from './wallets.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${where}.${key}: expected a non-empty string`);
  return v;
}

function account(o: Json, where: string): WalletAccount | undefined {
  if (o.account === undefined) return undefined;
  if (!isObject(o.account)) throw new ConfigError(`${where}.account: expected an object`);
  return {
    appId: text(o.account, 'appId', `${where}.account`),
    merchantId: text(o.account, 'merchantId', `${where}.account`),
  };
}

/** Parses the wallets JSON; errors name the file and the field. */
export function parseWalletsFile(json: string, file: string): WalletEndpoints {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new ConfigError(`${file} must hold a JSON object`);
  const out: WalletEndpoints = {};
  if (doc.wechat !== undefined) {
    const w = doc.wechat;
    if (!isObject(w)) throw new ConfigError(`${file}: wechat must be an object`);
    const apiKey = text(w, 'apiKey', `${file}: wechat`);
    out.WX = { baseUrl: text(w, 'url', `${file}: wechat`), credentials: () => ({ apiKey }) };
    const a = account(w, `${file}: wechat`);
    if (a) out.WX.account = a;
  }
  if (doc.alipay !== undefined) {
    const w = doc.alipay;
    if (!isObject(w)) throw new ConfigError(`${file}: alipay must be an object`);
    const keys = {
      appPrivateKeyPem: text(w, 'appPrivateKeyPem', `${file}: alipay`),
      alipayPublicKeyPem: text(w, 'alipayPublicKeyPem', `${file}: alipay`),
    };
    out.AL = { gatewayUrl: text(w, 'gatewayUrl', `${file}: alipay`), credentials: () => keys };
    const a = account(w, `${file}: alipay`);
    if (a) out.AL.account = a;
  }
  if (doc.unionpay !== undefined) {
    const w = doc.unionpay;
    if (!isObject(w)) throw new ConfigError(`${file}: unionpay must be an object`);
    const port = w.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`${file}: unionpay.port: expected a port number`);
    }
    out.UP = { host: text(w, 'host', `${file}: unionpay`), port };
    const a = account(w, `${file}: unionpay`);
    if (a) out.UP.account = a;
  }
  return out;
}

export function loadWalletsFile(file: string): WalletEndpoints {
  let json: string;
  try {
    json = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read wallets file ${file}: ${(err as Error).message}`);
  }
  return parseWalletsFile(json, file);
}
