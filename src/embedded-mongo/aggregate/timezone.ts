/** Time zones for the date operators: "UTC", fixed offsets ("+05:30", "-0800", "+03") and IANA names via Intl. */
import { mongoError } from '../errors';

export interface TimeZone {
  readonly name: string;
  /** Minutes east of UTC at the given instant. */
  offsetMinutes(utcMs: number): number;
}

export const UTC: TimeZone = { name: 'UTC', offsetMinutes: () => 0 };

const cache = new Map<string, TimeZone>();

export function parseTimeZone(value: string): TimeZone {
  const cached = cache.get(value);
  if (cached) return cached;
  const zone = buildTimeZone(value);
  if (cache.size > 500) cache.clear();
  cache.set(value, zone);
  return zone;
}

function buildTimeZone(value: string): TimeZone {
  if (value === 'UTC' || value === 'GMT' || value === 'Z') return UTC;
  const offset = parseOffset(value);
  if (offset !== undefined) return { name: value, offsetMinutes: () => offset };
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: value,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  } catch {
    throw mongoError('Location40485', `unrecognized time zone identifier: "${value}"`);
  }
  return { name: value, offsetMinutes: cachedOffsets(format) };
}

const OFFSET_SLOT_MS = 15 * 60000;

/**
 * Zone offsets only change on quarter-hour boundaries (true of every zone since the 1970s), so one Intl lookup per 15-minute slot is enough;
 * Intl.DateTimeFormat#formatToParts is far too slow to call for every document of a report.
 */
function cachedOffsets(format: Intl.DateTimeFormat): (utcMs: number) => number {
  const slots = new Map<number, number>();
  return (utcMs) => {
    const slot = Math.floor(utcMs / OFFSET_SLOT_MS);
    let offset = slots.get(slot);
    if (offset === undefined) {
      offset = intlOffset(format, slot * OFFSET_SLOT_MS);
      if (slots.size > 50000) slots.clear();
      slots.set(slot, offset);
    }
    return offset;
  };
}

/** "+hh", "+hhmm", "+hh:mm" (and the minus forms) as minutes east of UTC; undefined for anything else. */
export function parseOffset(value: string): number | undefined {
  const m = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(value);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? '0');
  return m[1] === '-' ? -minutes : minutes;
}

function intlOffset(format: Intl.DateTimeFormat, utcMs: number): number {
  const wholeSecond = Math.floor(utcMs / 1000) * 1000;
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(wholeSecond))) parts[part.type] = part.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const local = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  const asUtc = new Date(local);
  if (year >= 0 && year < 100) asUtc.setUTCFullYear(year);
  return Math.round((asUtc.getTime() - wholeSecond) / 60000);
}

/** Wall-clock time in `zone` expressed as a UTC-based millisecond count (read it back with getUTC* methods). */
export function toLocalMs(utcMs: number, zone: TimeZone): number {
  return utcMs + zone.offsetMinutes(utcMs) * 60000;
}

/** The instant at which the wall clock in `zone` shows `localMs`. */
export function fromLocalMs(localMs: number, zone: TimeZone): number {
  const guess = localMs - zone.offsetMinutes(localMs) * 60000;
  return localMs - zone.offsetMinutes(guess) * 60000;
}
