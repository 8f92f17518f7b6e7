// Routes a decoded request to its handler by (MTI, field 3, 60.1, 60.3). The network-management
// handlers (sign-on, sign-off, echo) register here at start; the transaction flows add sale,
// precreate, query, void, refund, reversal and settlement without touching the pipeline. A request no
// route matches is answered `40` (function not supported).
import type { Field60, IsoMessage } from '../iso8583/index.js';
import type { Logger } from '../log/logger.js';
import type { SessionKeys, TerminalRecord } from '../terminals/types.js';
import type { BoxConnection } from './connection.js';

export interface RouteKey {
  mti: string;
  /** Field 3; omitted = any. */
  processingCode?: string;
  /** 60.1 (message type code); omitted = any. */
  type?: string;
  /** 60.3 (network management code); omitted = any. */
  netCode?: string;
}

export interface TransactionContext {
  request: IsoMessage;
  /** Field 60 split into subfields, when present. */
  f60?: Field60;
  terminal: TerminalRecord;
  /** Working keys (key mode `session`), when signed on. */
  session?: SessionKeys;
  /** KSN from 59.A5 (DUKPT key modes). */
  ksn?: string;
  connection: BoxConnection;
  /** performance.now() when the frame was complete. */
  receivedAt: number;
  log: Logger;
}

export interface TransactionResult {
  /** Field 39. */
  rc: string;
  /** Fields set in the response on top of the echoed 3, 4, 11, 41, 42, 60 and the set 12, 13, 39. */
  fields?: Record<number, string>;
  /** Fields of the request not to echo (e.g. 4 in a sign-on reply). */
  omit?: number[];
  /** Ask the box to sign on again (header processing requirement 3). */
  requireSignOn?: boolean;
  /**
   * The transaction type for metrics and the log line when one route carries several (0200/000000/22 is
   * a B2C sale or a C2B precreate); defaults to the route's name.
   */
  type?: string;
  /** Extra fields for the transaction's log line, already masked (wallet, masked payment code...). */
  log?: Record<string, string | number>;
}

/**
 * A handler answers with a promise, or with the result itself when it has nothing to wait for (the
 * echo): the pipeline then takes no promise hop for it. It may throw either way (a `96`).
 */
export type TransactionHandler = (ctx: TransactionContext) => Promise<TransactionResult> | TransactionResult;

export interface Route {
  key: RouteKey;
  /** Transaction type label for logs and metrics: `signon`, `echo`, `sale`... */
  name: string;
  /** Request MAC verified before the handler runs; an approved response carries a MAC. */
  mac: boolean;
  handler: TransactionHandler;
}

/** box-protocol.md §4: network management (08xx) and settlement (05xx) carry no MAC; the rest do. */
export function macedByDefault(mti: string): boolean {
  return !(mti.startsWith('08') || mti.startsWith('05'));
}

const specificity = (k: RouteKey) =>
  (k.processingCode !== undefined ? 1 : 0) + (k.type !== undefined ? 1 : 0) + (k.netCode !== undefined ? 1 : 0);

export class Dispatcher {
  private readonly byMti = new Map<string, Route[]>();

  register(key: RouteKey, name: string, handler: TransactionHandler, opts: { mac?: boolean } = {}): void {
    if (!/^\d{4}$/.test(key.mti)) throw new TypeError(`route MTI must be 4 digits, got '${key.mti}'`);
    const routes = this.byMti.get(key.mti) ?? [];
    const clash = routes.find(
      (r) => r.key.processingCode === key.processingCode && r.key.type === key.type && r.key.netCode === key.netCode,
    );
    if (clash) throw new Error(`route ${describeKey(key)} is already taken by '${clash.name}'`);
    routes.push({ key, name, mac: opts.mac ?? macedByDefault(key.mti), handler });
    // Most specific first, so a catch-all for an MTI never shadows a narrower route.
    routes.sort((a, b) => specificity(b.key) - specificity(a.key));
    this.byMti.set(key.mti, routes);
  }

  resolve(request: IsoMessage, f60: Field60 | undefined): Route | undefined {
    const routes = this.byMti.get(request.mti);
    if (routes === undefined) return undefined;
    const pc = request.fields[3];
    for (const r of routes) {
      const k = r.key;
      if (k.processingCode !== undefined && k.processingCode !== pc) continue;
      if (k.type !== undefined && k.type !== f60?.type) continue;
      if (k.netCode !== undefined && k.netCode !== f60?.netCode) continue;
      return r;
    }
    return undefined;
  }

  get routes(): Route[] {
    return [...this.byMti.values()].flat();
  }
}

function describeKey(k: RouteKey): string {
  return `${k.mti}/${k.processingCode ?? '*'}/${k.type ?? '*'}/${k.netCode ?? '*'}`;
}
