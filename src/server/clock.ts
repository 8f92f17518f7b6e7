// Fields 12 (hhmmss) and 13 (MMDD) are the box's local time. Boxes run on China Standard Time
// (UTC+8, no daylight saving), so the offset is fixed rather than taken from the server's zone.

export const CHINA_OFFSET_MINUTES = 480;

export interface LocalTimeFields {
  /** Field 12, hhmmss. */
  time: string;
  /** Field 13, MMDD. */
  date: string;
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

// Every response carries fields 12 and 13, and they change once a second: the last second's pair
// is kept and handed out again (frozen, so no caller can change it for the others).
let lastSecond = Number.NaN;
let lastOffset = Number.NaN;
let lastFields: LocalTimeFields = Object.freeze({ time: '', date: '' });

export function localTimeFields(epochMs = Date.now(), offsetMinutes = CHINA_OFFSET_MINUTES): LocalTimeFields {
  const second = Math.floor(epochMs / 1000);
  if (second === lastSecond && offsetMinutes === lastOffset) return lastFields;
  const d = new Date(second * 1000 + offsetMinutes * 60_000);
  lastFields = Object.freeze({
    time: two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds()),
    date: two(d.getUTCMonth() + 1) + two(d.getUTCDate()),
  });
  lastSecond = second;
  lastOffset = offsetMinutes;
  return lastFields;
}
