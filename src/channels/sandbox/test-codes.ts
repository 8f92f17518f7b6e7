// The sandboxes' test payment codes: the last two digits of a (well-formed) payment code choose what
// the simulated wallet does, so anyone can drive every path of the flows by hand or in tests.

export type PayScenario =
  /** 00–79: approved at once. */
  | 'approve'
  /** 80–84: "user paying" (password entry); the second query finds it paid. */
  | 'paying-then-approve'
  /** 85–89: "user paying", never completes. */
  | 'paying-forever'
  /** 90–94: refused, insufficient funds. */
  | 'insufficient-funds'
  /** 95–97: the pay call answers a system error, but the money moved: the query shows paid. */
  | 'system-error-paid'
  /** 98–99: the pay call is never answered (the caller times out); the wallet never booked it. */
  | 'no-answer';

export function scenarioForCode(code: string): PayScenario {
  const n = Number(code.slice(-2));
  if (n <= 79) return 'approve';
  if (n <= 84) return 'paying-then-approve';
  if (n <= 89) return 'paying-forever';
  if (n <= 94) return 'insufficient-funds';
  if (n <= 97) return 'system-error-paid';
  return 'no-answer';
}

/** Queries a `paying-then-approve` order needs before it reads paid. */
export const QUERIES_UNTIL_PAID = 2;

/** C2B orders whose amount ends in 99 fen are never paid by the simulated customer. */
export function c2bNeverPaid(amountFen: number): boolean {
  return amountFen % 100 === 99;
}
