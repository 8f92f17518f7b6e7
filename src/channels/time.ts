// Wallet timestamps are China Standard Time (UTC+8) whatever the server's zone.

/** `yyyyMMddHHmmss` (WeChat) or `yyyy-MM-dd HH:mm:ss` (Alipay). */
export function chinaTime(ms: number, style: 'compact' | 'dashed'): string {
  const iso = new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19);
  return style === 'compact' ? iso.replace(/[-T:]/g, '') : iso.replace('T', ' ');
}

/** Either style back to epoch ms; undefined when malformed. */
export function parseChinaTime(s: string): number | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(ms) ? undefined : ms;
}
