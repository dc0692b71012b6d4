/**
 * Date header parsing: RFC 5322 date-time plus the obsolete and broken forms seen in real
 * mail: missing day name or seconds, two- and three-digit years, named zones (UT, GMT, EST ...
 * PDT; military letters count as +0000 per RFC 5322 §4.3), "+02:00" zones, missing zones
 * (taken as UTC), full month names, comments, asctime ("Tue Jul  1 10:52:37 2003") and ISO
 * 8601 ("2003-07-01T10:52:37+02:00"). Returns null when nothing sensible can be read.
 */
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
  cet: 60, cest: 120, met: 60, mest: 120, bst: 60, eet: 120, eest: 180, wet: 0, west: 60, jst: 540, ist: 330,
};

function month(s: string): number {
  return MONTHS.indexOf(s.slice(0, 3).toLowerCase());
}

function fullYear(y: string): number {
  const n = Number(y);
  if (y.length === 2) return n < 50 ? 2000 + n : 1900 + n;
  if (y.length === 3) return 1900 + n;
  return n;
}

function zoneMinutes(z: string | undefined): number | null {
  if (!z) return 0;
  const m = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(z);
  if (m) {
    const v = Number(m[2]) * 60 + Number(m[3] ?? 0);
    return m[1] === '-' ? -v : v;
  }
  const k = z.toLowerCase();
  if (k in ZONES) return ZONES[k]!;
  if (/^[a-ik-z]$/i.test(z)) return 0;
  return null;
}

function build(y: number, mo: number, d: number, h: number, mi: number, s: number, zone: number): Date | null {
  if (mo < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1 || y > 9999) return null;
  const t = Date.UTC(y, mo, d, h, mi, Math.min(s, 59)) - zone * 60_000;
  const date = new Date(t);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function parseDate(value: string | null): Date | null {
  if (!value) return null;
  const v = value.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  // RFC 5322 and most broken variants: [day,] d mon y h:m[:s] [zone]
  let m = /^(?:[A-Za-z]+,?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3,})\.?[\s-]+(\d{2,4}),?\s+(\d{1,2})[:.](\d{1,2})(?:[:.](\d{1,2}))?(?:\.\d+)?\s*([+-]\d{1,2}:?\d{2}|[A-Za-z]{1,5})?/.exec(v);
  if (m) {
    const z = zoneMinutes(m[7]);
    return build(fullYear(m[3]!), month(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), z ?? 0);
  }
  // asctime: Tue Jul  1 10:52:37 2003 [zone]
  m = /^(?:[A-Za-z]+,?\s+)?([A-Za-z]{3,})\s+(\d{1,2}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:([+-]\d{4}|[A-Za-z]{1,5})\s+)?(\d{4})/.exec(v);
  if (m) {
    return build(Number(m[7]), month(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0), zoneMinutes(m[6]) ?? 0);
  }
  // ISO 8601: 2003-07-01[T ]10:52[:37][zone]
  m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?)?/.exec(v);
  if (m) {
    return build(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), zoneMinutes(m[7]) ?? 0);
  }
  // day mon year without a time
  m = /^(?:[A-Za-z]+,?\s*)?(\d{1,2})\s+([A-Za-z]{3,})\s+(\d{2,4})$/.exec(v);
  if (m) return build(fullYear(m[3]!), month(m[2]!), Number(m[1]), 0, 0, 0, 0);
  return null;
}
