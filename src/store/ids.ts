// Identifiers the store derives or checks: business day, RRN layout, merchant order number, and the
// shape of the ids that end up inside key names (a `{` or `}` there would break Cluster hash tags).
import { StoreInputError } from './errors.js';
import type { RequestKey } from './types.js';

/** Asia/Shanghai has no daylight saving: local time is UTC+8 all year. */
const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** What the calendar says about one business day; computed once per day, not once per call. */
interface BusinessDayInfo {
  /** First and one past the last epoch ms of the day. */
  start: number;
  end: number;
  /** YYYYMMDD. */
  day: string;
  /** Day of year, 3 digits (the RRN's prefix). */
  ddd: string;
  /** Year, 2 digits (in the merchant order number). */
  yy: string;
}

const DAY_MS = 86400_000;
// The hot path (every RRN, order number and limit key) asks about today over and over: one cached day.
let today: BusinessDayInfo = dayInfo(0);

function dayInfoOf(now: number): BusinessDayInfo {
  if (now >= today.start && now < today.end) return today;
  const info = dayInfo(now);
  today = info;
  return info;
}

function dayInfo(now: number): BusinessDayInfo {
  const d = new Date(now + SHANGHAI_OFFSET_MS);
  const y = d.getUTCFullYear();
  const midnight = Date.UTC(y, d.getUTCMonth(), d.getUTCDate());
  const doy = Math.floor((midnight - Date.UTC(y, 0, 1)) / DAY_MS) + 1;
  return {
    start: midnight - SHANGHAI_OFFSET_MS,
    end: midnight - SHANGHAI_OFFSET_MS + DAY_MS,
    day: `${y}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`,
    ddd: pad(doy, 3),
    yy: pad(y % 100, 2),
  };
}

/** The business day of an instant, YYYYMMDD in Asia/Shanghai. */
export function businessDay(now: number): string {
  return dayInfoOf(now).day;
}

/** Day of year (1–366) of the business day. */
export function dayOfYear(now: number): number {
  return Number(dayInfoOf(now).ddd);
}

/** Sequence numbers per day: the RRN has 9 digits for it. */
export const RRN_SEQUENCE_MAX = 999_999_999;

/**
 * RRN (field 37, an12) = DDD (day of year, Asia/Shanghai) + 9-digit sequence of that day. The sequence
 * comes from one shared counter per day, so RRNs are unique per day across all nodes and carry no node id.
 */
export function formatRrn(now: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > RRN_SEQUENCE_MAX) {
    throw new StoreInputError(`RRN sequence out of range: ${sequence}`);
  }
  return dayInfoOf(now).ddd + pad(sequence, 9);
}

/**
 * Merchant order number sent to wallets: MID (15) + YY (2) + RRN (12) = 29 characters, within WeChat
 * Pay's 32. Unique per merchant for ever (the year disambiguates the day-of-year in the RRN), and it
 * names the order's key directly, so a wallet notification needs no global index lookup.
 */
/** The YY of `now`'s business day in an out-trade-no (one string per day, shared). */
export function outTradeNoYear(now: number): string {
  return dayInfoOf(now).yy;
}

export function makeOutTradeNo(mid: string, rrn: string, now: number): string {
  // join: one flat string (the memory store keeps it for days; `+` leaves a tree of cons strings).
  return [mid, dayInfoOf(now).yy, rrn].join('');
}

export function parseOutTradeNo(outTradeNo: string): { mid: string; rrn: string } | undefined {
  if (outTradeNo.length !== 29) return undefined;
  const mid = outTradeNo.slice(0, 15);
  const rrn = outTradeNo.slice(17);
  if (!isId(mid) || !/^\d{14}$/.test(outTradeNo.slice(15))) return undefined;
  return { mid, rrn };
}

/**
 * Printable ASCII without the characters keys use as delimiters (`{`, `}`, `|`): /^[\x20-\x7a\x7e]+$/
 * as a loop, since five ids are checked per store call (a regex call each costs more than the loop).
 */
function isId(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 || c > 0x7a) && c !== 0x7e) return false;
  }
  return true;
}

/** Only the digits 0–9: /^\d+$/ as a loop (see isId). */
function isDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

export function checkId(what: string, value: string, length?: number): void {
  if (typeof value !== 'string' || !isId(value) || (length && value.length !== length)) {
    throw new StoreInputError(
      `${what} must be ${length ? `${length} ` : ''}printable characters without {}|: ${JSON.stringify(value)}`,
    );
  }
}

export function checkDigits(what: string, value: string, length: number): void {
  if (typeof value !== 'string' || value.length !== length || !isDigits(value)) {
    throw new StoreInputError(`${what} must be ${length} digits: ${JSON.stringify(value)}`);
  }
}

export function checkAmount(amountFen: number): void {
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0) {
    throw new StoreInputError(`amount must be a positive integer number of fen: ${amountFen}`);
  }
}

export function checkRequestKey(r: RequestKey): void {
  checkId('TID', r.tid, 8);
  checkId('MID', r.mid, 15);
  checkDigits('batch', r.batch, 6);
  checkDigits('STAN', r.stan, 6);
  checkDigits('MTI', r.mti, 4);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
