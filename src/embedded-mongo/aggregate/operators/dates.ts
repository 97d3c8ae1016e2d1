/** Date operators. Every computation happens on the wall clock of the requested time zone (UTC by default). */
import { bsonTag } from '../../bson/compare';
import { mongoError, MongoServerError } from '../../errors';
import { evaluate, evaluateFixedArgs, readSpec, type OperatorFn, type Scope } from '../evaluate';
import { fromLocalMs, parseOffset, parseTimeZone, toLocalMs, UTC, type TimeZone } from '../timezone';
import { hasOwn, isDocument, isNullish, isNumericValue, isObjectId, toDouble, typeName } from '../values';

const DAY_MS = 86400000;
const UNIT_MS: Record<string, number> = { millisecond: 1, second: 1000, minute: 60000, hour: 3600000, day: DAY_MS, week: 7 * DAY_MS };
const MONTH_UNITS: Record<string, number> = { month: 1, quarter: 3, year: 12 };
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Dates, ObjectIds (their creation time) and Timestamps are accepted wherever a date is expected. */
export function toDateOperand(v: unknown): Date {
  if (v instanceof Date) return v;
  if (isObjectId(v)) return v.getTimestamp();
  if (bsonTag(v) === 'Timestamp') return new Date(Number((v as { high: number }).high) * 1000);
  throw mongoError('Location16006', `can't convert from BSON type ${typeName(v)} to Date`);
}

function zoneFrom(value: unknown): TimeZone | null {
  if (value === undefined) return UTC;
  if (value === null) return null;
  if (typeof value !== 'string') throw mongoError('Location40517', `timezone must evaluate to a string, found ${typeName(value)}`);
  return parseTimeZone(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Calendar arithmetic on local (wall-clock) milliseconds.

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** 1 (Sunday) … 7 (Saturday) */
  dayOfWeek: number;
  dayOfYear: number;
}

function localParts(local: number): LocalParts {
  const d = new Date(local);
  const year = d.getUTCFullYear();
  const startOfYear = Date.UTC(year, 0, 1);
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
    dayOfWeek: d.getUTCDay() + 1,
    dayOfYear: Math.floor((local - startOfYear) / DAY_MS) + 1,
  };
}

function isoDayOfWeek(parts: LocalParts): number {
  return ((parts.dayOfWeek + 5) % 7) + 1;
}

function isoWeekAndYear(local: number): { week: number; year: number } {
  const parts = localParts(local);
  const thursday = Math.floor(local / DAY_MS) * DAY_MS + (4 - isoDayOfWeek(parts)) * DAY_MS;
  const thursdayParts = localParts(thursday);
  return { week: Math.floor((thursdayParts.dayOfYear - 1) / 7) + 1, year: thursdayParts.year };
}

/** strftime's %U: weeks start on Sunday; days before the year's first Sunday are week 0. */
function sundayWeek(parts: LocalParts): number {
  return Math.floor((parts.dayOfYear - 1 + 7 - (parts.dayOfWeek - 1)) / 7);
}

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

function addMonthsLocal(local: number, months: number): number {
  const d = new Date(local);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month0));
  const result = new Date(local);
  result.setUTCFullYear(year, month0, day);
  return result.getTime();
}

function monthIndex(local: number): number {
  const d = new Date(local);
  return (d.getUTCFullYear() - 2000) * 12 + d.getUTCMonth();
}

function parseUnit(name: string, value: unknown, code: 'Location5439014' | 'Location5166306' | 'Location5166406'): string {
  if (typeof value !== 'string' || !(value in UNIT_MS || value in MONTH_UNITS)) {
    throw mongoError(code, `${name} parameter 'unit' value cannot be recognized as a time unit: ${JSON.stringify(value)}`);
  }
  return value;
}

function parseStartOfWeek(name: string, value: unknown): number {
  if (value === undefined) return 0;
  const text = typeof value === 'string' ? value.toLowerCase() : '';
  const index = DAY_NAMES.findIndex((day) => day === text || day.slice(0, 3) === text);
  if (index < 0) throw mongoError('Location5439016', `${name} parameter 'startOfWeek' must be a valid day of the week, but got ${JSON.stringify(value)}`);
  return index;
}

/** First local midnight on or after 2000-01-01 that falls on `startOfWeek` (the reference for week bins). */
function weekReference(startOfWeek: number): number {
  const reference = Date.UTC(2000, 0, 1);
  const saturday = 6;
  return reference + ((7 + startOfWeek - saturday) % 7) * DAY_MS;
}

export function truncateLocal(local: number, unit: string, binSize: number, startOfWeek: number): number {
  if (unit in MONTH_UNITS) {
    const span = MONTH_UNITS[unit] * binSize;
    const bin = Math.floor(monthIndex(local) / span) * span;
    const year = 2000 + Math.floor(bin / 12);
    return Date.UTC(year, bin - (year - 2000) * 12, 1);
  }
  const reference = unit === 'week' ? weekReference(startOfWeek) : Date.UTC(2000, 0, 1);
  const span = UNIT_MS[unit] * binSize;
  return reference + Math.floor((local - reference) / span) * span;
}

// ---------------------------------------------------------------------------------------------------------------
// Date part operators: {$year: <date>}, {$year: [<date>]} or {$year: {date, timezone}}.

function datePartOperator(extract: (local: number) => number): OperatorFn {
  return (args, scope, name) => {
    let dateValue: unknown;
    let zone: TimeZone | null = UTC;
    if (isDocument(args) && hasOwn(args, 'date')) {
      const spec = readSpec(name, args, ['date'], ['timezone']);
      dateValue = evaluate(spec.date, scope);
      zone = zoneFrom(evaluate(spec.timezone, scope));
    } else {
      [dateValue] = evaluateFixedArgs(name, args, scope, 1);
    }
    if (isNullish(dateValue) || zone === null) return null;
    return extract(toLocalMs(toDateOperand(dateValue).getTime(), zone));
  };
}

const datePartOperators: Record<string, OperatorFn> = {
  $year: datePartOperator((l) => localParts(l).year),
  $month: datePartOperator((l) => localParts(l).month),
  $dayOfMonth: datePartOperator((l) => localParts(l).day),
  $dayOfWeek: datePartOperator((l) => localParts(l).dayOfWeek),
  $dayOfYear: datePartOperator((l) => localParts(l).dayOfYear),
  $hour: datePartOperator((l) => localParts(l).hour),
  $minute: datePartOperator((l) => localParts(l).minute),
  $second: datePartOperator((l) => localParts(l).second),
  $millisecond: datePartOperator((l) => localParts(l).millisecond),
  $week: datePartOperator((l) => sundayWeek(localParts(l))),
  $isoWeek: datePartOperator((l) => isoWeekAndYear(l).week),
  $isoWeekYear: datePartOperator((l) => isoWeekAndYear(l).year),
  $isoDayOfWeek: datePartOperator((l) => isoDayOfWeek(localParts(l))),
};

// ---------------------------------------------------------------------------------------------------------------
// $dateToString

function pad(n: number, width: number): string {
  const text = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${text}` : text;
}

function formatOffset(minutes: number, withColon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${withColon ? ':' : ''}${pad(abs % 60, 2)}`;
}

export function formatDate(date: Date, format: string, zone: TimeZone): string {
  const utc = date.getTime();
  const offset = zone.offsetMinutes(utc);
  const local = utc + offset * 60000;
  const parts = localParts(local);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    if (i + 1 >= format.length) throw mongoError('Location18535', "Unmatched '%' at end of format string");
    const spec = format[++i];
    out += formatSpecifier(spec, parts, local, offset);
  }
  return out;
}

function formatSpecifier(spec: string, parts: LocalParts, local: number, offset: number): string {
  switch (spec) {
    case 'Y':
      return pad(parts.year, 4);
    case 'm':
      return pad(parts.month, 2);
    case 'd':
      return pad(parts.day, 2);
    case 'H':
      return pad(parts.hour, 2);
    case 'M':
      return pad(parts.minute, 2);
    case 'S':
      return pad(parts.second, 2);
    case 'L':
      return pad(parts.millisecond, 3);
    case 'j':
      return pad(parts.dayOfYear, 3);
    case 'w':
      return String(parts.dayOfWeek);
    case 'U':
      return pad(sundayWeek(parts), 2);
    case 'G':
      return pad(isoWeekAndYear(local).year, 4);
    case 'V':
      return pad(isoWeekAndYear(local).week, 2);
    case 'u':
      return String(isoDayOfWeek(parts));
    case 'b':
      return MONTH_NAMES[parts.month - 1].slice(0, 3);
    case 'B':
      return MONTH_NAMES[parts.month - 1];
    case 'z':
      return formatOffset(offset, false);
    case 'Z':
      return `${offset < 0 ? '-' : '+'}${pad(Math.abs(offset), 3)}`;
    case '%':
      return '%';
    default:
      throw mongoError('Location18536', `Invalid format character '%${spec}' in format string`);
  }
}

function checkFormat(format: string): void {
  formatDate(new Date(0), format, UTC);
}

function dateToStringOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['date'], ['format', 'timezone', 'onNull'], { object: 'Location18629', unknown: 'Location18534', missing: 'Location18628' });
  const formatValue = spec.format === undefined ? undefined : evaluate(spec.format, scope);
  if (formatValue !== undefined && formatValue !== null && typeof formatValue !== 'string') {
    throw mongoError('Location18533', `$dateToString requires that 'format' be a string, found: ${typeName(formatValue)} with value ${String(formatValue)}`);
  }
  if (typeof formatValue === 'string') checkFormat(formatValue);
  const dateValue = evaluate(spec.date, scope);
  const zone = zoneFrom(spec.timezone === undefined ? undefined : evaluate(spec.timezone, scope));
  if (isNullish(dateValue)) return spec.onNull === undefined ? null : evaluate(spec.onNull, scope);
  if (formatValue === null || zone === null) return null;
  const format = formatValue ?? (zone === UTC ? '%Y-%m-%dT%H:%M:%S.%LZ' : '%Y-%m-%dT%H:%M:%S.%L');
  return formatDate(toDateOperand(dateValue), format, zone);
}

// ---------------------------------------------------------------------------------------------------------------
// $dateFromString

interface ParsedFields {
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  millisecond?: number;
  dayOfYear?: number;
  isoYear?: number;
  isoWeek?: number;
  isoDay?: number;
  offsetMinutes?: number;
}

const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const SLASH_DATE = /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function parseFlexible(text: string): ParsedFields | undefined {
  const m = ISO_DATE.exec(text.trim()) ?? SLASH_DATE.exec(text.trim());
  if (!m) return parseWithDateParse(text);
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millisecond: m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0,
    offsetMinutes: m[8] === undefined ? undefined : m[8].toUpperCase() === 'Z' ? 0 : parseOffset(m[8]),
  };
}

/** Textual dates such as "Tue, 19 Mar 2019 10:00:00 GMT" are accepted only with an explicit zone (no host-time guessing). */
function parseWithDateParse(text: string): ParsedFields | undefined {
  if (!/(GMT|UTC|Z|[+-]\d{2}:?\d{2})\s*$/i.test(text.trim())) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  const parts = localParts(ms);
  return { ...parts, offsetMinutes: 0 };
}

function readDigits(text: string, at: number, min: number, max: number): { value: number; next: number } | undefined {
  let end = at;
  while (end < text.length && end - at < max && /\d/.test(text[end])) end++;
  if (end - at < min) return undefined;
  return { value: Number(text.slice(at, end)), next: end };
}

const FIELD_WIDTHS: Record<string, [keyof ParsedFields, number, number]> = {
  Y: ['year', 4, 4],
  m: ['month', 1, 2],
  d: ['day', 1, 2],
  H: ['hour', 1, 2],
  M: ['minute', 1, 2],
  S: ['second', 1, 2],
  L: ['millisecond', 1, 3],
  j: ['dayOfYear', 1, 3],
  G: ['isoYear', 4, 4],
  V: ['isoWeek', 1, 2],
  u: ['isoDay', 1, 1],
};

function parseWithFormat(text: string, format: string): ParsedFields | undefined {
  const fields: ParsedFields = {};
  let at = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    if (c !== '%') {
      if (text[at] !== c) return undefined;
      at++;
      continue;
    }
    const spec = format[++i];
    if (spec === '%') {
      if (text[at] !== '%') return undefined;
      at++;
    } else if (spec === 'z' || spec === 'Z') {
      const m = spec === 'z' ? /^(Z|[+-]\d{2}(?::?\d{2})?)/.exec(text.slice(at)) : /^[+-]\d{1,4}/.exec(text.slice(at));
      if (!m) return undefined;
      fields.offsetMinutes = spec === 'Z' ? Number(m[0]) : m[0] === 'Z' ? 0 : parseOffset(m[0]);
      at += m[0].length;
    } else if (FIELD_WIDTHS[spec]) {
      const [field, min, max] = FIELD_WIDTHS[spec];
      const read = readDigits(text, at, min, max);
      if (!read) return undefined;
      fields[field] = field === 'millisecond' ? Number(text.slice(at, read.next).padEnd(3, '0')) : read.value;
      at = read.next;
    } else {
      throw mongoError('Location18536', `Invalid format character '%${spec ?? ''}' in format string`);
    }
  }
  return at === text.length ? fields : undefined;
}

function fieldsToLocal(f: ParsedFields): number | undefined {
  if (f.isoYear !== undefined) {
    const jan4 = Date.UTC(f.isoYear, 0, 4);
    const jan4Iso = ((new Date(jan4).getUTCDay() + 6) % 7) + 1;
    const week1Monday = jan4 - (jan4Iso - 1) * DAY_MS;
    return week1Monday + ((f.isoWeek ?? 1) - 1) * 7 * DAY_MS + ((f.isoDay ?? 1) - 1) * DAY_MS + timeOfDay(f);
  }
  const year = f.year ?? 1970;
  if (f.dayOfYear !== undefined) return Date.UTC(year, 0, 1) + (f.dayOfYear - 1) * DAY_MS + timeOfDay(f);
  const month = f.month ?? 1;
  const day = f.day ?? 1;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month - 1)) return undefined;
  if ((f.hour ?? 0) > 23 || (f.minute ?? 0) > 59 || (f.second ?? 0) > 59) return undefined;
  const d = new Date(Date.UTC(2000, month - 1, day));
  d.setUTCFullYear(year);
  return d.getTime() + timeOfDay(f);
}

function timeOfDay(f: ParsedFields): number {
  return (f.hour ?? 0) * 3600000 + (f.minute ?? 0) * 60000 + (f.second ?? 0) * 1000 + (f.millisecond ?? 0);
}

/** Parses a date string as $dateFromString does; undefined when it cannot. `zone` applies when the text has no offset. */
export function parseDateString(text: string, format: string | undefined, zone: TimeZone | undefined): Date | undefined {
  const fields = format === undefined ? parseFlexible(text) : parseWithFormat(text, format);
  if (!fields) return undefined;
  const local = fieldsToLocal(fields);
  if (local === undefined) return undefined;
  if (fields.offsetMinutes !== undefined) {
    if (zone !== undefined && zone !== UTC) {
      throw mongoError('Location40554', 'you cannot pass in a date/time string with GMT offset together with a timezone argument');
    }
    return new Date(local - fields.offsetMinutes * 60000);
  }
  return new Date(fromLocalMs(local, zone ?? UTC));
}

function dateFromStringOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['dateString'], ['format', 'timezone', 'onError', 'onNull'], { object: 'Location40540', unknown: 'Location40541', missing: 'Location40542' });
  try {
    const text = evaluate(spec.dateString, scope);
    const formatValue = spec.format === undefined ? undefined : evaluate(spec.format, scope);
    const zone = zoneFrom(spec.timezone === undefined ? undefined : evaluate(spec.timezone, scope));
    if (isNullish(text)) return spec.onNull === undefined ? null : evaluate(spec.onNull, scope);
    if (formatValue === null || zone === null) return null;
    if (formatValue !== undefined && typeof formatValue !== 'string') {
      throw mongoError('Location40684', `$dateFromString requires that 'format' be a string, found: ${typeName(formatValue)}`);
    }
    if (typeof text !== 'string') {
      throw mongoError('ConversionFailure', `$dateFromString requires that 'dateString' be a string, found: ${typeName(text)} with value ${String(text)}`);
    }
    const parsed = parseDateString(text, formatValue, spec.timezone === undefined ? undefined : zone);
    if (!parsed) throw mongoError('ConversionFailure', `Error parsing date string '${text}'`);
    return parsed;
  } catch (err) {
    if (spec.onError !== undefined && err instanceof MongoServerError && err.codeName === 'ConversionFailure') {
      return evaluate(spec.onError, scope);
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// $dateTrunc, $dateAdd, $dateSubtract, $dateDiff

function positiveInteger(name: string, field: string, v: unknown): number {
  if (!isNumericValue(v) || !Number.isInteger(toDouble(v))) {
    throw mongoError('Location5439017', `${name} requires '${field}' to be a 64-bit integer, but got value '${String(v)}' of type ${typeName(v)}`);
  }
  const n = toDouble(v);
  if (n <= 0) throw mongoError('Location5439018', `${name} requires '${field}' to be greater than 0, but got value ${n}`);
  return n;
}

function dateTruncOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['date', 'unit'], ['binSize', 'timezone', 'startOfWeek'], { object: 'Location5439007', unknown: 'Location5439008', missing: { date: 'Location5439009', unit: 'Location5439010' } });
  const values = {
    date: evaluate(spec.date, scope),
    unit: evaluate(spec.unit, scope),
    binSize: spec.binSize === undefined ? 1 : evaluate(spec.binSize, scope),
    timezone: spec.timezone === undefined ? 'UTC' : evaluate(spec.timezone, scope),
    startOfWeek: spec.startOfWeek === undefined ? 'sunday' : evaluate(spec.startOfWeek, scope),
  };
  if (Object.values(values).some(isNullish)) return null;
  const date = toDateOperand(values.date);
  const unit = parseUnit(name, values.unit, 'Location5439014');
  const binSize = positiveInteger(name, 'binSize', values.binSize);
  const zone = zoneFrom(values.timezone) ?? UTC;
  const startOfWeek = unit === 'week' ? parseStartOfWeek(name, values.startOfWeek) : 0;
  const local = toLocalMs(date.getTime(), zone);
  return new Date(fromLocalMs(truncateLocal(local, unit, binSize, startOfWeek), zone));
}

function integralAmount(name: string, v: unknown): number {
  if (!isNumericValue(v) || !Number.isInteger(toDouble(v))) {
    throw mongoError('Location5166405', `${name} expects integer amount of time units`);
  }
  return toDouble(v);
}

export function addToDate(date: Date, unit: string, amount: number, zone: TimeZone): Date {
  const utc = date.getTime();
  if (unit in MONTH_UNITS) {
    const local = toLocalMs(utc, zone);
    return new Date(fromLocalMs(addMonthsLocal(local, amount * MONTH_UNITS[unit]), zone));
  }
  if (unit === 'day' || unit === 'week') {
    const local = toLocalMs(utc, zone);
    return new Date(fromLocalMs(local + amount * UNIT_MS[unit], zone));
  }
  return new Date(utc + amount * UNIT_MS[unit]);
}

function dateAddOperator(sign: 1 | -1): OperatorFn {
  return (args, scope, name) => {
    const spec = readSpec(name, args, ['startDate', 'unit', 'amount'], ['timezone'], { object: 'Location5166400', unknown: 'Location5166401', missing: 'Location5166402' });
    const start = evaluate(spec.startDate, scope);
    const unitValue = evaluate(spec.unit, scope);
    const amountValue = evaluate(spec.amount, scope);
    const zoneValue = spec.timezone === undefined ? 'UTC' : evaluate(spec.timezone, scope);
    if ([start, unitValue, amountValue, zoneValue].some(isNullish)) return null;
    const unit = parseUnit(name, unitValue, 'Location5166406');
    const amount = integralAmount(name, amountValue);
    const result = addToDate(toDateOperand(start), unit, sign * amount, zoneFrom(zoneValue) ?? UTC);
    if (Number.isNaN(result.getTime())) throw mongoError('Location5166406', `${name} overflowed`);
    return result;
  };
}

function localDayNumber(local: number): number {
  return Math.floor(local / DAY_MS);
}

export function dateDifference(start: Date, end: Date, unit: string, zone: TimeZone, startOfWeek: number): bigint {
  const a = toLocalMs(start.getTime(), zone);
  const b = toLocalMs(end.getTime(), zone);
  if (unit in MONTH_UNITS) {
    const span = MONTH_UNITS[unit];
    return BigInt(Math.floor(monthIndex(b) / span) - Math.floor(monthIndex(a) / span));
  }
  if (unit === 'week') {
    const reference = weekReference(startOfWeek);
    const week = (local: number) => Math.floor((localDayNumber(local) * DAY_MS - reference) / UNIT_MS.week);
    return BigInt(week(b) - week(a));
  }
  if (unit === 'day') return BigInt(localDayNumber(b) - localDayNumber(a));
  const span = UNIT_MS[unit];
  return BigInt(Math.floor(end.getTime() / span) - Math.floor(start.getTime() / span));
}

function dateDiffOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['startDate', 'endDate', 'unit'], ['timezone', 'startOfWeek'], {
    object: 'Location5166301',
    unknown: 'Location5166302',
    missing: { startDate: 'Location5166303', endDate: 'Location5166304', unit: 'Location5166305' },
  });
  const values = [
    evaluate(spec.startDate, scope),
    evaluate(spec.endDate, scope),
    evaluate(spec.unit, scope),
    spec.timezone === undefined ? 'UTC' : evaluate(spec.timezone, scope),
    spec.startOfWeek === undefined ? 'sunday' : evaluate(spec.startOfWeek, scope),
  ];
  if (values.some(isNullish)) return null;
  const [start, end, unitValue, zoneValue, startOfWeekValue] = values;
  const unit = parseUnit(name, unitValue, 'Location5166306');
  return dateDifference(toDateOperand(start), toDateOperand(end), unit, zoneFrom(zoneValue) ?? UTC, parseStartOfWeek(name, startOfWeekValue));
}

// ---------------------------------------------------------------------------------------------------------------
// $dateToParts / $dateFromParts

function dateToPartsOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['date'], ['timezone', 'iso8601'], { object: 'Location40524', unknown: 'Location40520', missing: 'Location40522' });
  const dateValue = evaluate(spec.date, scope);
  const zone = zoneFrom(spec.timezone === undefined ? undefined : evaluate(spec.timezone, scope));
  if (isNullish(dateValue) || zone === null) return null;
  const local = toLocalMs(toDateOperand(dateValue).getTime(), zone);
  const p = localParts(local);
  const time = { hour: p.hour, minute: p.minute, second: p.second, millisecond: p.millisecond };
  if (evaluate(spec.iso8601, scope) === true) {
    const iso = isoWeekAndYear(local);
    return { isoWeekYear: iso.year, isoWeek: iso.week, isoDayOfWeek: isoDayOfWeek(p), ...time };
  }
  return { year: p.year, month: p.month, day: p.day, ...time };
}

function dateFromPartsOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, [], ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond', 'isoWeekYear', 'isoWeek', 'isoDayOfWeek', 'timezone'], { object: 'Location40519', unknown: 'Location40518' });
  const iso = spec.isoWeekYear !== undefined;
  if (!iso && spec.year === undefined) throw mongoError('Location40516', "$dateFromParts requires either 'year' or 'isoWeekYear' to be present");
  if (iso && spec.year !== undefined) throw mongoError('Location40489', "$dateFromParts does not allow mixing natural dates with ISO dates");
  const read = (field: string, fallback: number): number | null => {
    if (spec[field] === undefined) return fallback;
    const v = evaluate(spec[field], scope);
    if (isNullish(v)) return null;
    if (!isNumericValue(v) || !Number.isInteger(toDouble(v))) throw mongoError('Location40515', `'${field}' must evaluate to an integer, found ${typeName(v)}`);
    return toDouble(v);
  };
  const names = iso ? ['isoWeekYear', 'isoWeek', 'isoDayOfWeek'] : ['year', 'month', 'day'];
  const [first, second, third, hour, minute, second_, ms] = [names[0], names[1], names[2], 'hour', 'minute', 'second', 'millisecond'].map((f, i) => read(f, i === 0 ? 1970 : i < 3 ? 1 : 0));
  const zone = zoneFrom(spec.timezone === undefined ? undefined : evaluate(spec.timezone, scope));
  if ([first, second, third, hour, minute, second_, ms].some((v) => v === null) || zone === null) return null;
  const time = (hour as number) * 3600000 + (minute as number) * 60000 + (second_ as number) * 1000 + (ms as number);
  let local: number;
  if (iso) {
    local = (fieldsToLocal({ isoYear: first as number, isoWeek: second as number, isoDay: third as number }) as number) + time;
  } else {
    const d = new Date(Date.UTC(2000, 0, 1));
    d.setUTCFullYear(first as number, (second as number) - 1, third as number);
    local = d.getTime() + time;
  }
  return new Date(fromLocalMs(local, zone));
}

export const dateOperators: Record<string, OperatorFn> = {
  ...datePartOperators,
  $dateToString: dateToStringOperator,
  $dateFromString: dateFromStringOperator,
  $dateTrunc: dateTruncOperator,
  $dateAdd: dateAddOperator(1),
  $dateSubtract: dateAddOperator(-1),
  $dateDiff: dateDiffOperator,
  $dateToParts: dateToPartsOperator,
  $dateFromParts: dateFromPartsOperator,
};
