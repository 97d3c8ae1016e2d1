import assert from 'node:assert/strict';
import { ObjectId } from 'bson';
import { evaluateExpression } from '../../../src/embedded-mongo/aggregate/expressions';
import { MongoServerError } from '../../../src/embedded-mongo/errors';

const ev = (expr: unknown, doc: Record<string, unknown> = {}) => evaluateExpression(expr, doc);

function expectCode(fn: () => unknown, code: number): void {
  assert.throws(fn, (err: unknown) => err instanceof MongoServerError && err.code === code);
}

// Sunday 10 March 2024, the day US daylight saving time starts.
const d = new Date('2024-03-10T15:04:05.123Z');

describe('aggregation expressions: date parts', () => {
  it('When extracting parts in UTC, then each operator reports MongoDB numbering', () => {
    const parts = ['$year', '$month', '$dayOfMonth', '$hour', '$minute', '$second', '$millisecond', '$dayOfYear', '$dayOfWeek', '$week', '$isoWeek', '$isoWeekYear', '$isoDayOfWeek'];
    assert.deepEqual(
      parts.map((op) => ev({ [op]: '$d' }, { d })),
      [2024, 3, 10, 15, 4, 5, 123, 70, 1, 10, 10, 2024, 7],
    );
  });

  it('When a time zone is given, then parts are read on that wall clock (also across DST)', () => {
    assert.equal(ev({ $hour: { date: '$d', timezone: 'America/New_York' } }, { d }), 11);
    assert.equal(ev({ $hour: { date: new Date('2024-03-09T15:00:00Z'), timezone: 'America/New_York' } }), 10);
    assert.equal(ev({ $dayOfMonth: { date: new Date('2024-12-31T23:30:00Z'), timezone: 'Europe/Stockholm' } }), 1);
    assert.equal(ev({ $minute: { date: '$d', timezone: '+05:30' } }, { d }), 34);
    assert.equal(ev({ $year: { date: '$d', timezone: null } }, { d }), null);
    expectCode(() => ev({ $hour: { date: '$d', timezone: 'Mars/Olympus' } }, { d }), 40485);
  });

  it('When the ISO week belongs to another year, then $isoWeekYear says so', () => {
    const newYear = new Date('2021-01-01T12:00:00Z');
    assert.equal(ev({ $isoWeek: newYear }), 53);
    assert.equal(ev({ $isoWeekYear: newYear }), 2020);
    assert.equal(ev({ $week: newYear }), 0);
  });

  it('When given an ObjectId, then its creation time is the date; a string is error 16006', () => {
    const id = ObjectId.createFromTime(Date.UTC(2023, 4, 6) / 1000);
    assert.equal(ev({ $month: id }), 5);
    assert.equal(ev({ $year: null }), null);
    expectCode(() => ev({ $year: 'today' }), 16006);
  });
});

describe('aggregation expressions: $dateToString and $dateFromString', () => {
  it('When formatting with every specifier, then output matches MongoDB', () => {
    const format = '%Y-%m-%d %H:%M:%S.%L|%j|%w|%U|%G-W%V-%u|%z|%Z|%%';
    assert.equal(ev({ $dateToString: { date: '$d', format } }, { d }), '2024-03-10 15:04:05.123|070|1|10|2024-W10-7|+0000|+000|%');
    assert.equal(
      ev({ $dateToString: { date: '$d', format, timezone: 'America/New_York' } }, { d }),
      '2024-03-10 11:04:05.123|070|1|10|2024-W10-7|-0400|-240|%',
    );
    assert.equal(ev({ $dateToString: { date: '$d', format: '%H:%M', timezone: 'Asia/Kolkata' } }, { d }), '20:34');
  });

  it('When no format is given, then the ISO default is used (without Z for a non-UTC zone)', () => {
    assert.equal(ev({ $dateToString: { date: '$d' } }, { d }), '2024-03-10T15:04:05.123Z');
    assert.equal(ev({ $dateToString: { date: '$d', timezone: '+01:00' } }, { d }), '2024-03-10T16:04:05.123');
    assert.equal(ev({ $dateToString: { date: '$d', timezone: 'UTC' } }, { d }), '2024-03-10T15:04:05.123Z');
  });

  it('When the date is null or the format is bad, then onNull or MongoDB errors apply', () => {
    assert.equal(ev({ $dateToString: { date: '$missing', onNull: 'n/a' } }), 'n/a');
    assert.equal(ev({ $dateToString: { date: null } }), null);
    expectCode(() => ev({ $dateToString: { date: '$d', format: '%Q' } }, { d }), 18536);
    expectCode(() => ev({ $dateToString: { date: '$d', format: 'abc%' } }, { d }), 18535);
    expectCode(() => ev({ $dateToString: { date: '$d', format: 5 } }, { d }), 18533);
  });

  it('When parsing strings, then offsets, time zones and formats are honoured', () => {
    assert.deepEqual(ev({ $dateFromString: { dateString: '2024-03-10T10:00:00Z' } }), new Date('2024-03-10T10:00:00Z'));
    assert.deepEqual(ev({ $dateFromString: { dateString: '2024-03-10T10:00:00+02:00' } }), new Date('2024-03-10T08:00:00Z'));
    assert.deepEqual(ev({ $dateFromString: { dateString: '2024-07-01 10:00', timezone: 'Europe/Stockholm' } }), new Date('2024-07-01T08:00:00Z'));
    assert.deepEqual(ev({ $dateFromString: { dateString: '31/12/2023', format: '%d/%m/%Y' } }), new Date('2023-12-31T00:00:00Z'));
    assert.deepEqual(ev({ $dateFromString: { dateString: '2024-02-30', onError: 'invalid' } }), 'invalid');
    assert.equal(ev({ $dateFromString: { dateString: null, onNull: 0 } }), 0);
    expectCode(() => ev({ $dateFromString: { dateString: 'not a date' } }), 241);
    expectCode(() => ev({ $dateFromString: { dateString: '2024-01-01T00:00:00Z', timezone: 'Europe/Paris' } }), 40554);
  });
});

describe('aggregation expressions: $dateTrunc, $dateAdd, $dateSubtract and $dateDiff', () => {
  it('When truncating, then units, bin sizes, time zones and week starts apply', () => {
    const trunc = (spec: Record<string, unknown>) => (ev({ $dateTrunc: { date: '$d', ...spec } }, { d }) as Date).toISOString();
    assert.equal(trunc({ unit: 'day' }), '2024-03-10T00:00:00.000Z');
    assert.equal(trunc({ unit: 'day', timezone: 'Europe/Stockholm' }), '2024-03-09T23:00:00.000Z');
    assert.equal(trunc({ unit: 'hour', binSize: 6 }), '2024-03-10T12:00:00.000Z');
    assert.equal(trunc({ unit: 'month' }), '2024-03-01T00:00:00.000Z');
    assert.equal(trunc({ unit: 'quarter' }), '2024-01-01T00:00:00.000Z');
    assert.equal(trunc({ unit: 'year' }), '2024-01-01T00:00:00.000Z');
    assert.equal(trunc({ unit: 'week' }), '2024-03-10T00:00:00.000Z');
    assert.equal(trunc({ unit: 'week', startOfWeek: 'monday' }), '2024-03-04T00:00:00.000Z');
    assert.equal(trunc({ unit: 'minute', binSize: 15 }), '2024-03-10T15:00:00.000Z');
    expectCode(() => trunc({ unit: 'fortnight' }), 5439014);
    expectCode(() => trunc({ unit: 'day', binSize: 0 }), 5439018);
  });

  it('When adding months past a short month, then the day is clamped to the month end', () => {
    const add = (startDate: Date, unit: string, amount: number, timezone?: string) =>
      (ev({ $dateAdd: { startDate, unit, amount, ...(timezone ? { timezone } : {}) } }) as Date).toISOString();
    assert.equal(add(new Date('2024-01-31T00:00:00Z'), 'month', 1), '2024-02-29T00:00:00.000Z');
    assert.equal(add(new Date('2024-03-01T00:00:00Z'), 'quarter', -1), '2023-12-01T00:00:00.000Z');
    assert.equal(add(new Date('2024-03-01T00:00:00Z'), 'hour', 25), '2024-03-02T01:00:00.000Z');
    // A calendar day in New York across the DST change is 23 hours long.
    assert.equal(add(new Date('2024-03-09T17:00:00Z'), 'day', 1, 'America/New_York'), '2024-03-10T16:00:00.000Z');
    assert.deepEqual(ev({ $dateSubtract: { startDate: new Date('2024-03-01T00:00:00Z'), unit: 'day', amount: 1 } }), new Date('2024-02-29T00:00:00Z'));
    expectCode(() => ev({ $dateAdd: { startDate: new Date(), unit: 'day', amount: 1.5 } }), 5166405);
  });

  it('When measuring differences, then boundaries crossed are counted as int64', () => {
    const diff = (startDate: Date, endDate: Date, unit: string, extra: Record<string, unknown> = {}) =>
      ev({ $dateDiff: { startDate, endDate, unit, ...extra } });
    assert.equal(diff(new Date('2023-12-31T23:59:00Z'), new Date('2024-01-01T00:01:00Z'), 'year'), 1n);
    assert.equal(diff(new Date('2024-01-31T00:00:00Z'), new Date('2024-03-01T00:00:00Z'), 'month'), 2n);
    assert.equal(diff(new Date('2024-03-01T00:00:00Z'), new Date('2024-03-11T12:00:00Z'), 'day'), 10n);
    assert.equal(diff(new Date('2024-03-09T00:00:00Z'), new Date('2024-03-11T00:00:00Z'), 'week'), 1n);
    assert.equal(diff(new Date('2024-03-09T00:00:00Z'), new Date('2024-03-11T00:00:00Z'), 'week', { startOfWeek: 'tuesday' }), 0n);
    assert.equal(diff(new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T01:30:00Z'), 'minute'), 90n);
    assert.equal(diff(new Date('2024-03-09T23:30:00Z'), new Date('2024-03-10T00:30:00Z'), 'day', { timezone: '+01:00' }), 0n);
    assert.equal(ev({ $dateDiff: { startDate: null, endDate: new Date(), unit: 'day' } }), null);
  });

  it('When building dates from parts and back, then the values round-trip in a time zone', () => {
    const built = ev({ $dateFromParts: { year: 2024, month: 2, day: 29, hour: 12, timezone: 'Europe/Stockholm' } }) as Date;
    assert.equal(built.toISOString(), '2024-02-29T11:00:00.000Z');
    assert.deepEqual(ev({ $dateToParts: { date: built, timezone: 'Europe/Stockholm' } }), {
      year: 2024, month: 2, day: 29, hour: 12, minute: 0, second: 0, millisecond: 0,
    });
  });
});
