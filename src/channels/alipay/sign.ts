// Alipay RSA2 (SHA256withRSA, 2048-bit keys). Requests and notifications sign the sorted k=v&k=v of
// their non-empty parameters; a response signs the exact bytes of its `<method>_response` JSON
// object, so the connector verifies the raw text, never a re-serialisation.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/** Signs with a PEM private key; the crypto pool's `CryptoService.rsaSign` has this shape. */
export type RsaSigner = (privateKeyPem: string, data: Buffer) => Promise<Buffer>;

const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function cached(cache: Map<string, KeyObject>, pem: string, make: (pem: string) => KeyObject): KeyObject {
  let key = cache.get(pem);
  if (!key) {
    key = make(pem);
    if (cache.size >= 64) cache.delete(cache.keys().next().value!);
    cache.set(pem, key);
  }
  return key;
}

/** RSA2 on the calling thread: the baseline the crypto pool is measured against. */
export const inlineRsaSigner: RsaSigner = async (pem, data) =>
  sign('sha256', data, cached(privateKeys, pem, createPrivateKey));

export function rsa2Verify(publicKeyPem: string, content: string, signatureB64: string): boolean {
  try {
    return verify(
      'sha256',
      Buffer.from(content, 'utf8'),
      cached(publicKeys, publicKeyPem, createPublicKey),
      Buffer.from(signatureB64, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The string Alipay signs: parameters sorted by name, empty ones and `exclude` left out. */
export function signContent(params: Record<string, string>, exclude: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== '' && params[k] !== undefined)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/**
 * The raw text of the top-level `name` member of a JSON object (the signed part of a response), by
 * scanning, so that a signature over those bytes can be checked exactly. Undefined when absent.
 */
export function rawMember(json: string, name: string): string | undefined {
  const needle = `"${name}"`;
  let at = json.indexOf(needle);
  if (at < 0) return undefined;
  at = json.indexOf(':', at + needle.length);
  if (at < 0) return undefined;
  at++;
  while (json[at] === ' ' || json[at] === '\n' || json[at] === '\r' || json[at] === '\t') at++;
  if (json[at] !== '{') return undefined;
  let depth = 0;
  let inString = false;
  for (let i = at; i < json.length; i++) {
    const ch = json[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return json.slice(at, i + 1);
  }
  return undefined;
}

/** fen → Alipay's yuan string: 1234 → "12.34". */
export function fenToYuan(fen: number): string {
  return `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/** Alipay's yuan string → fen; undefined when it is not a money amount. */
export function yuanToFen(yuan: string | undefined): number | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(yuan ?? '');
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}
