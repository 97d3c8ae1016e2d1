import assert from 'node:assert/strict';
import { Decimal128, Double, ObjectId } from 'bson';
import { evaluateExpression } from '../../../src/embedded-mongo/aggregate/expressions';
import { assertThrowsMongoError } from './assert-mongo-error';

const ev = (expr: unknown, doc: Record<string, unknown> = {}, vars?: Record<string, unknown>) => evaluateExpression(expr, doc, vars);

const expectCode = assertThrowsMongoError;

describe('aggregation expressions: paths, variables and literals', () => {
  it('When a path crosses an array of documents, then it collects the values found in each element', () => {
    const doc = { a: [{ b: 1 }, { c: 2 }, { b: [3, 4] }, 5, [{ b: 6 }]] };
    assert.deepEqual(ev('$a.b', doc), [1, [3, 4]]);
    assert.deepEqual(ev('$x.y', { x: { y: { z: 1 } } }), { z: 1 });
  });

  it('When a field is missing, then the result is missing, object literals drop it and array literals hold null', () => {
    assert.equal(ev('$nope'), undefined);
    assert.deepEqual(ev({ a: '$nope', b: '$x' }, { x: 1 }), { b: 1 });
    assert.deepEqual(ev({ list: ['$x', '$nope'] }, { x: 1 }), { list: [1, null] });
    expectCode(() => ev({ 'a.b': 1 }), 16412);
  });

  it('When a path names an inherited property or crosses nested arrays, then only stored fields are read, as in MongoDB', () => {
    assert.equal(ev('$constructor'), undefined);
    assert.equal(ev('$a.toString', { a: {} }), undefined);
    assert.equal(ev({ $type: '$constructor' }), 'missing');
    assert.deepEqual(ev('$a.b', { a: [[{ b: 1 }], { b: 2 }, 3] }), [2]);
  });

  it('When $$ROOT, $$CURRENT, $$REMOVE, $$NOW or a user variable is used, then each resolves', () => {
    const doc = { a: 1 };
    assert.deepEqual(ev('$$ROOT', doc), doc);
    assert.equal(ev('$$CURRENT.a', doc), 1);
    assert.equal(ev('$$REMOVE', doc), undefined);
    const now = new Date('2026-01-01T00:00:00Z');
    assert.equal(evaluateExpression('$$NOW', {}, undefined, { now }), now);
    assert.equal(ev('$$limit.max', {}, { limit: { max: 3 } }), 3);
    expectCode(() => ev('$$undefinedVar'), 17276);
  });

  it('When $literal wraps something that looks like a path or operator, then it is returned unevaluated', () => {
    assert.equal(ev({ $literal: '$a' }, { a: 1 }), '$a');
    assert.deepEqual(ev({ $literal: { $add: [1, 2] } }), { $add: [1, 2] });
  });

  it('When an operator is unknown or an operator object has extra fields, then MongoDB errors are raised', () => {
    expectCode(() => ev({ $foo: 1 }), 168, /Unrecognized expression '\$foo'/);
    expectCode(() => ev({ $add: [1], x: 1 }), 15983);
    expectCode(() => ev('$'), 16872);
  });

  it('When $let binds variables, then the body sees them and the outer scope does not', () => {
    assert.equal(ev({ $let: { vars: { x: '$a', y: 10 }, in: { $multiply: ['$$x', '$$y'] } } }, { a: 4 }), 40);
    expectCode(() => ev({ $let: { vars: { X: 1 }, in: '$$X' } }), 16867);
  });

  it('When $getField names a field with dots or dollars, then it reads that exact field', () => {
    assert.equal(ev({ $getField: 'a.b' }, { 'a.b': 7, a: { b: 8 } }), 7);
    assert.equal(ev({ $getField: { field: { $literal: '$price' }, input: { $literal: { $price: 3 } } } }), 3);
    assert.equal(ev({ $getField: { field: 'x', input: null } }), null);
  });
});

describe('aggregation expressions: arithmetic', () => {
  it('When int32 values overflow in $add, then the result widens to int64 exactly', () => {
    assert.equal(ev({ $add: [2147483647, 1] }), 2147483648n);
    assert.equal(ev({ $add: [9007199254740993n, 1] }), 9007199254740994n);
    assert.equal(ev({ $add: [1, 2.5] }), 3.5);
  });

  it('When Decimal128 takes part, then the result is an exact Decimal128', () => {
    const sum = ev({ $add: [Decimal128.fromString('0.1'), Decimal128.fromString('0.2')] });
    assert.ok(sum instanceof Decimal128);
    assert.equal(sum.toString(), '0.3');
    assert.equal((ev({ $multiply: [Decimal128.fromString('1.5'), 2] }) as Decimal128).toString(), '3.0');
  });

  it('When a date is added to milliseconds or two dates are subtracted, then dates and int64 come out', () => {
    const d = new Date('2026-01-01T00:00:00Z');
    assert.deepEqual(ev({ $add: ['$d', 86400000] }, { d }), new Date('2026-01-02T00:00:00Z'));
    assert.equal(ev({ $subtract: [new Date('2026-01-02T00:00:00Z'), '$d'] }, { d }), 86400000n);
    assert.deepEqual(ev({ $subtract: ['$d', 1000] }, { d }), new Date('2025-12-31T23:59:59Z'));
    expectCode(() => ev({ $add: ['$d', '$d'] }, { d }), 16612);
    expectCode(() => ev({ $subtract: [1, '$d'] }, { d }), 16556);
  });

  it('When an operand is null or missing, then arithmetic gives null; a string operand is an error', () => {
    assert.equal(ev({ $add: [1, null] }), null);
    assert.equal(ev({ $multiply: [2, '$missing'] }), null);
    expectCode(() => ev({ $add: [1, 'x'] }), 16554);
    expectCode(() => ev({ $multiply: [1, 'x'] }), 16555);
  });

  it('When dividing or taking a modulus, then MongoDB result types and zero-divisor errors apply', () => {
    assert.equal(ev({ $divide: [7, 2] }), 3.5);
    assert.equal(ev({ $mod: [7, 3] }), 1);
    assert.equal(ev({ $mod: [-7n, 3] }), -1n);
    expectCode(() => ev({ $divide: [1, 0] }), 16608);
    expectCode(() => ev({ $mod: [1, 0] }), 16610);
    expectCode(() => ev({ $divide: [1] }), 16020, /takes exactly 2 arguments/);
  });

  it('When rounding, then $round is half-to-even and $trunc cuts toward zero, keeping the input type', () => {
    assert.deepEqual(ev({ $round: [2.5, 0] }), new Double(2));
    assert.deepEqual(ev({ $round: [3.5, 0] }), new Double(4));
    assert.equal(ev({ $round: [7, 0] }), 7);
    assert.equal(ev({ $round: [1.2345, 2] }), 1.23);
    assert.equal(ev({ $round: [1250n, -2] }), 1200n);
    assert.equal(ev({ $trunc: [-2.789, 1] }), -2.7);
    assert.equal((ev({ $round: [Decimal128.fromString('2.345'), 2] }) as Decimal128).toString(), '2.34');
    assert.deepEqual(ev({ $floor: -1.5 }), new Double(-2));
    assert.deepEqual(ev({ $ceil: 1.2 }), new Double(2));
    assert.equal(ev({ $ceil: 3 }), 3);
    assert.equal(ev({ $abs: -2147483648 }), 2147483648n);
  });

  it('When computing powers, roots and logarithms, then domain errors use MongoDB codes', () => {
    assert.equal(ev({ $pow: [2, 10] }), 1024);
    assert.equal(ev({ $pow: [2, 40] }), 1099511627776n);
    assert.equal(ev({ $pow: [2, -1] }), 0.5);
    assert.deepEqual(ev({ $sqrt: 16 }), new Double(4));
    assert.deepEqual(ev({ $log10: 1000 }), new Double(3));
    assert.deepEqual(ev({ $ln: 1 }), new Double(0));
    assert.ok(Math.abs((ev({ $exp: 1 }) as number) - Math.E) < 1e-12);
    expectCode(() => ev({ $sqrt: -1 }), 28714);
    expectCode(() => ev({ $ln: 0 }), 28766);
    expectCode(() => ev({ $log10: -5 }), 28761);
    expectCode(() => ev({ $pow: [0, -1] }), 28764);
    expectCode(() => ev({ $abs: 'x' }), 28765);
  });
});

describe('aggregation expressions: comparison, boolean and conditional', () => {
  it('When comparing across types, then BSON order applies and missing sorts below null', () => {
    assert.equal(ev({ $eq: [1, 1n] }), true);
    assert.equal(ev({ $eq: [1, Decimal128.fromString('1.0')] }), true);
    assert.equal(ev({ $lt: [5, 'a'] }), true);
    assert.equal(ev({ $gt: [new ObjectId(), 'zzz'] }), true);
    assert.equal(ev({ $eq: ['$missing', null] }), false);
    assert.equal(ev({ $lt: ['$missing', null] }), true);
    assert.equal(ev({ $cmp: ['b', 'a'] }), 1);
    assert.equal(ev({ $ne: [[1, 2], [1, 2]] }), false);
    assert.equal(ev({ $gte: [{ a: 1 }, { a: 1 }] }), true);
  });

  it('When $and/$or/$not see falsy values, then 0, null, missing and false are false and everything else true', () => {
    assert.equal(ev({ $and: [1, 'x', [], {}] }), true);
    assert.equal(ev({ $and: [1, 0] }), false);
    assert.equal(ev({ $or: [null, '$missing', false, 0n] }), false);
    assert.equal(ev({ $or: [null, Decimal128.fromString('0.1')] }), true);
    assert.equal(ev({ $not: [null] }), true);
    assert.equal(ev({ $and: [] }), true);
  });

  it('When $and short-circuits, then later operands are not evaluated', () => {
    assert.equal(ev({ $and: [false, { $divide: [1, 0] }] }), false);
    assert.equal(ev({ $or: [true, { $divide: [1, 0] }] }), true);
  });

  it('When $cond is given as array or object, then the matching branch is evaluated', () => {
    assert.equal(ev({ $cond: [{ $gte: ['$score', 3] }, 'high', 'low'] }, { score: 4 }), 'high');
    assert.equal(ev({ $cond: { if: '$flag', then: 'yes', else: 'no' } }, {}), 'no');
    expectCode(() => ev({ $cond: { if: true, then: 1 } }), 17082);
    expectCode(() => ev({ $cond: [true, 1] }), 16020);
  });

  it('When $ifNull has several operands, then the first non-null one wins', () => {
    assert.equal(ev({ $ifNull: ['$a', '$b', 'default'] }, { b: null }), 'default');
    assert.equal(ev({ $ifNull: ['$a', '$b', 'default'] }, { b: 0 }), 0);
    assert.equal(ev({ $ifNull: ['$a', '$b'] }, {}), undefined);
  });

  it('When $switch has no matching branch, then default is used or 40066 is raised', () => {
    const expr = (withDefault: boolean) => ({
      $switch: {
        branches: [
          { case: { $lt: ['$n', 0] }, then: 'negative' },
          { case: { $eq: ['$n', 0] }, then: 'zero' },
        ],
        ...(withDefault ? { default: 'positive' } : {}),
      },
    });
    assert.equal(ev(expr(true), { n: 0 }), 'zero');
    assert.equal(ev(expr(true), { n: 5 }), 'positive');
    expectCode(() => ev(expr(false), { n: 5 }), 40066);
  });
});

describe('aggregation expressions: field setting and sizes', () => {
  it('When setting or unsetting a field by name, then dotted and dollar names are taken literally', () => {
    assert.deepEqual(ev({ $setField: { field: 'a.b', input: '$$ROOT', value: 1 } }, { x: 1 }), { x: 1, 'a.b': 1 });
    assert.deepEqual(ev({ $unsetField: { field: { $literal: '$price' }, input: { $literal: { $price: 1, keep: 2 } } } }), { keep: 2 });
    assert.deepEqual(ev({ $setField: { field: 'x', input: '$$ROOT', value: '$$REMOVE' } }, { x: 1, y: 2 }), { y: 2 });
    expectCode(() => ev({ $setField: { field: 'x', input: 5, value: 1 } }), 4161105);
  });

  it('When measuring sizes or drawing a random number, then BSON sizes and [0, 1) come back', () => {
    assert.equal(ev({ $bsonSize: '$$ROOT' }, { a: 1 }), 12);
    assert.equal(ev({ $binarySize: 'Malmö' }), 6);
    const r = ev({ $rand: {} }) as number;
    assert.ok(r >= 0 && r < 1);
    expectCode(() => ev({ $rand: { seed: 1 } }), 3040501);
  });
});
