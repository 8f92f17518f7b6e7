// AES-CMAC (NIST SP 800-38B, RFC 4493). Node has no CMAC API; this runs the CBC chain in one
// native call over the whole message with the last block pre-masked by K1 or K2.
import { AES_BLOCK } from '../aes.js';
import { asKey, type KeyLike } from '../key.js';

/** The full 16-byte CMAC tag. */
export function aesCmac(key: KeyLike, data: Uint8Array): Buffer {
  const k = asKey(key, 'aes');
  const [k1, k2] = k.cmacSubkeys();
  const complete = data.length > 0 && data.length % AES_BLOCK === 0;
  const n = Math.max(1, Math.ceil(data.length / AES_BLOCK));
  const blocks = Buffer.alloc(n * AES_BLOCK);
  blocks.set(data);
  const lastOffset = (n - 1) * AES_BLOCK;
  if (!complete) blocks[data.length] = 0x80;
  const mask = complete ? k1 : k2;
  for (let i = 0; i < AES_BLOCK; i++) blocks[lastOffset + i] ^= mask[i];
  return k.cbc().lastBlock(blocks);
}
