// Masking for card and wallet identifiers: anything that can move money is shown as first 6 / last 4
// at most, the way PCI DSS allows a PAN to be displayed.

/** 6222021234567890123 → 622202*********0123; short values keep only their last 4. */
export function maskPan(value: string): string {
  if (value.length <= 10) return '*'.repeat(Math.max(0, value.length - 4)) + value.slice(-4);
  return value.slice(0, 6) + '*'.repeat(value.length - 10) + value.slice(-4);
}

/** Wallet payment codes are bearer tokens: keep the 2-digit wallet prefix and the last 4 digits. */
export function maskPaymentCode(value: string): string {
  if (value.length <= 6) return '*'.repeat(value.length);
  return value.slice(0, 2) + '*'.repeat(value.length - 6) + value.slice(-4);
}

/** Track 2/3 data: never shown; only its length survives. */
export function maskTrack(value: string): string {
  return `[track ${value.length}]`;
}
