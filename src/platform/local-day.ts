/**
 * Calendar days as people in Sweden mean them: a date typed into a form (`2026-03-29`) is that day in
 * Europe/Stockholm, whatever the server's own time zone, summer time included.
 */
const TIME_ZONE = 'Europe/Stockholm';
const offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, timeZoneName: 'longOffset' });
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Stockholm's offset from UTC at `instant`, in ms (+1 h in winter, +2 h in summer). */
function offsetAt(instant: Date): number {
  const name = offsetFormat.formatToParts(instant).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  const ms = (Number(match[2]) * 60 + Number(match[3])) * 60_000;
  return match[1] === '-' ? -ms : ms;
}

/** The first moment of the day `isoDate` (YYYY-MM-DD) in Stockholm; undefined for anything that is not a real date. */
export function startOfLocalDay(isoDate: string): Date | undefined {
  const match = ISO_DATE.exec(isoDate);
  if (!match) return undefined;
  const utcMidnight = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const check = new Date(utcMidnight);
  if (check.getUTCFullYear() !== Number(match[1]) || check.getUTCMonth() !== Number(match[2]) - 1 || check.getUTCDate() !== Number(match[3])) return undefined;
  // Midnight is never inside a summer-time switch in Stockholm (they happen at 02:00 and 03:00).
  return new Date(utcMidnight - offsetAt(new Date(utcMidnight)));
}

/** The last millisecond of the day `isoDate` in Stockholm. */
export function endOfLocalDay(isoDate: string): Date | undefined {
  const start = startOfLocalDay(isoDate);
  if (!start) return undefined;
  const next = new Date(start.getTime() + 36 * 60 * 60 * 1000);
  const nextIso = `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}-${String(next.getUTCDate()).padStart(2, '0')}`;
  const nextStart = startOfLocalDay(nextIso);
  return nextStart ? new Date(nextStart.getTime() - 1) : undefined;
}
