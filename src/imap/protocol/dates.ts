/** IMAP dates: date-time (APPEND, INTERNALDATE) and date (SEARCH). */

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function monthIndex(m: string): number {
  return MONTHS.findIndex((x) => x.toLowerCase() === m.toLowerCase());
}

/** "d-Mon-yyyy" (day 1 or 2 digits); returns a UTC midnight Date, or null. */
export function parseSearchDate(text: string): Date | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!m) return null;
  const mon = monthIndex(m[2]);
  const day = Number(m[1]);
  if (mon < 0 || day < 1 || day > 31) return null;
  const d = new Date(Date.UTC(Number(m[3]), mon, day));
  return d.getUTCDate() === day ? d : null;
}

/** "dd-Mon-yyyy hh:mm:ss +zzzz" (day may start with a space); returns a Date or null. */
export function parseDateTime(text: string): Date | null {
  const m = /^([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const mon = monthIndex(m[2]);
  const day = Number(m[1].trim());
  const [h, mi, s] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (mon < 0 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return null;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * (m[7] === '-' ? -1 : 1);
  const t = Date.UTC(Number(m[3]), mon, day, h, mi, Math.min(s, 59)) - offset * 60_000;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** INTERNALDATE form, in UTC: "17-Jul-1996 09:44:25 +0000". */
export function formatDateTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The UTC calendar day of a Date as a number (for SEARCH BEFORE/ON/SINCE). */
export function dayNumber(d: Date): number {
  return Math.floor(d.getTime() / 86_400_000);
}
