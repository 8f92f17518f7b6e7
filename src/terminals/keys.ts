// Which MAC algorithm and which key a terminal's messages use, by key mode (box-protocol.md §5):
// session boxes MAC with the MAK from their last sign-on (UnionPay ECB MAC or X9.19); TDES DUKPT
// boxes with X9.19 under the MAC request/response key of the KSN in 59.A5; AES DUKPT boxes with
// AES-CMAC (first 8 bytes) under the AES-128 MAC keys of their KSN.
import type { MacAlgorithm, MacKeyRef } from '../crypto/service.js';
import type { SessionKeys, TerminalRecord } from './types.js';

export function macAlgorithmFor(terminal: TerminalRecord): MacAlgorithm {
  switch (terminal.keyMode) {
    case 'dukpt-tdes':
      return 'x9.19';
    case 'dukpt-aes':
      return 'aes-cmac';
    default:
      return terminal.mac;
  }
}

export type KeyRefProblem = 'not-signed-on' | 'no-ksn' | 'no-bdk';

/**
 * The key that MACs a message of this terminal in `direction` (request = box → boxfep), or why there
 * is none: a session box that has not signed on, a DUKPT message without its KSN.
 */
export function macKeyRef(
  terminal: TerminalRecord,
  session: SessionKeys | undefined,
  ksn: string | undefined,
  direction: 'request' | 'response',
): MacKeyRef | KeyRefProblem {
  if (terminal.keyMode === 'session') {
    return session ? { kind: 'session', mak: session.mak } : 'not-signed-on';
  }
  if (!terminal.bdk) return 'no-bdk';
  if (!ksn) return 'no-ksn';
  return { kind: terminal.keyMode, bdk: terminal.bdk, ksn, direction };
}

/** Working keys older than the lifetime ask the box to sign on again (header requirement 3). */
export function keysExpired(session: SessionKeys | undefined, lifetimeMs: number, now = Date.now()): boolean {
  return session !== undefined && now - session.issuedAt > lifetimeMs;
}
