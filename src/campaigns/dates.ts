/**
 * Due dates are calendar days in the buyer's time zone: a campaign due on 2026-03-31 accepts answers until the end of
 * that day in Stockholm, whatever the server's time zone.
 */
export const CAMPAIGN_TIME_ZONE = 'Europe/Stockholm';
export const DAY_MS = 24 * 60 * 60 * 1000;

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const partsFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: CAMPAIGN_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** How far the zone's wall clock is ahead of UTC at this instant. */
function zoneOffsetMs(instant: number): number {
  const parts = Object.fromEntries(partsFormatter.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  const wallClock = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return wallClock - Math.floor(instant / 1000) * 1000;
}

/** The last second of a calendar day (YYYY-MM-DD) in the campaign time zone; undefined for a day that does not exist. */
export function endOfDay(day: string): Date | undefined {
  const match = ISO_DAY.exec(day);
  if (!match) return undefined;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const guess = Date.UTC(year, month - 1, date, 23, 59, 59);
  const check = new Date(Date.UTC(year, month - 1, date));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return undefined;
  // Twice: the offset at the guessed instant may differ from the one at the answer on a daylight-saving day.
  const first = guess - zoneOffsetMs(guess);
  return new Date(guess - zoneOffsetMs(first));
}

const dayFormatter = new Intl.DateTimeFormat('sv-SE', { timeZone: CAMPAIGN_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar day (YYYY-MM-DD) an instant falls on in the campaign time zone, as a date input shows it. */
export function dayOf(instant: Date): string {
  return dayFormatter.format(instant);
}
