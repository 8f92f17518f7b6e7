// Fault injection for the sandboxes: each request may be answered with a system error, dropped (the
// connection destroyed without an answer) or slowed down; notifications may be duplicated or
// delivered out of order. Rates are probabilities in [0, 1].

export interface Faults {
  /** Answer a wallet system error without touching the books. */
  errorRate: number;
  /** Destroy the connection without answering (the books are untouched). */
  dropRate: number;
  /** Add `slowMs` to the response time. */
  slowRate: number;
  slowMs: number;
  /** Send a notification twice. */
  duplicateNotifyRate: number;
  /** Hold notifications for a window and deliver them newest first. */
  reorderNotify: boolean;
}

export const NO_FAULTS: Faults = {
  errorRate: 0,
  dropRate: 0,
  slowRate: 0,
  slowMs: 0,
  duplicateNotifyRate: 0,
  reorderNotify: false,
};

export type RequestFault = 'none' | 'error' | 'drop';

export function drawRequestFault(faults: Faults, random: () => number): RequestFault {
  if (faults.dropRate > 0 && random() < faults.dropRate) return 'drop';
  if (faults.errorRate > 0 && random() < faults.errorRate) return 'error';
  return 'none';
}
