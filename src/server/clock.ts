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

export function localTimeFields(epochMs = Date.now(), offsetMinutes = CHINA_OFFSET_MINUTES): LocalTimeFields {
  const d = new Date(epochMs + offsetMinutes * 60_000);
  return {
    time: two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds()),
    date: two(d.getUTCMonth() + 1) + two(d.getUTCDate()),
  };
}
