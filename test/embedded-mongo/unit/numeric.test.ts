import { strict as assert } from 'node:assert';
import { Decimal128, Double } from 'bson';
import { compareValues } from '../../../src/embedded-mongo/bson/compare';
import { add, divide, isZero, mod, multiply, subtract } from '../../../src/embedded-mongo/bson/numeric';
import { identical } from '../../../src/embedded-mongo/update/identical';
import { MongoServerError } from '../../../src/embedded-mongo/errors';

const dec = (s: string): Decimal128 => Decimal128.fromString(s);

function assertDecimal(actual: unknown, expected: string): void {
  assert.ok(actual instanceof Decimal128, `expected a Decimal128, got ${String(actual)}`);
  assert.equal(actual.toString(), expected);
}

describe('bson/numeric', () => {
  describe('int32 and int64', () => {
    it('When two int32 add within range, then the result is an int32 number', () => {
      assert.equal(add(2, 3), 5);
      assert.equal(subtract(-5, 7), -12);
      assert.equal(multiply(-4, 5), -20);
    });

    it('When int32 arithmetic overflows, then the result widens to int64 (bigint)', () => {
      assert.equal(add(2147483647, 1), 2147483648n);
      assert.equal(subtract(-2147483648, 1), -2147483649n);
      assert.equal(multiply(65536, 65536), 4294967296n);
    });

    it('When int32 results are zero or beyond 2^53, then they are exact integers (never -0)', () => {
      assert.ok(Object.is(mod(-4, 2), 0));
      assert.ok(Object.is(multiply(-3, 0), 0));
      assert.equal(multiply(2147483647, 2147483647), 4611686014132420609n);
      assert.equal(multiply(-2147483648, -2147483648), 4611686018427387904n);
      assert.equal(subtract(-2147483648, 1), -2147483649n);
    });

    it('When an int64 is involved, then the result is int64 even if it would fit an int32', () => {
      assert.equal(add(1n, 2), 3n);
      assert.equal(multiply(2, 3n), 6n);
      assert.equal(mod(7n, 2), 1n);
    });

    it('When int64 arithmetic overflows, then the result becomes a double', () => {
      const max = 2n ** 63n - 1n;
      const sum = add(max, 1n);
      assert.equal(typeof sum, 'number');
      assert.equal(sum, 9223372036854775808);
      assert.equal(typeof multiply(max, 2), 'number');
      assert.equal(typeof subtract(-(2n ** 63n), 1n), 'number');
    });
  });

  describe('doubles', () => {
    it('When a double is involved, then the result is a double', () => {
      assert.equal(add(1, 0.5), 1.5);
      assert.equal(add(2n, 0.5), 2.5);
      assert.equal(multiply(3000000000, 2), 6000000000);
      assert.equal(mod(7.5, 2), 1.5);
    });

    it('When dividing integers, then the result is a double like $divide', () => {
      assert.equal(divide(1, 4), 0.25);
      assert.equal(divide(6n, 4n), 1.5);
    });

    it('When the remainder is negative, then it takes the dividend sign', () => {
      assert.equal(mod(-7, 2), -1);
      assert.equal(mod(7, -2), 1);
    });
  });

  describe('Decimal128', () => {
    it('When decimals are added, then the result is exact (no binary rounding)', () => {
      assertDecimal(add(dec('0.1'), dec('0.2')), '0.3');
      assertDecimal(subtract(dec('1.00'), dec('0.01')), '0.99');
    });

    it('When a decimal meets an int or a long, then the integer converts exactly', () => {
      assertDecimal(add(dec('1.5'), 2), '3.5');
      assertDecimal(add(dec('1'), 9007199254740993n), '9007199254740994');
      assertDecimal(multiply(dec('1.5'), 2), '3.0');
    });

    it('When a decimal meets a double, then the double converts with 15 significant digits', () => {
      assertDecimal(add(dec('1'), 0.1), '1.100000000000000');
    });

    it('When a result needs more than 34 digits, then it rounds half to even', () => {
      assertDecimal(add(dec('9999999999999999999999999999999999'), 1), '1.000000000000000000000000000000000E+34');
      assertDecimal(add(dec('1000000000000000000000000000000000'), dec('0.5')), '1000000000000000000000000000000000');
      assertDecimal(add(dec('1000000000000000000000000000000001'), dec('0.5')), '1000000000000000000000000000000002');
    });

    it('When decimals are divided, then the quotient has 34 digits or the ideal exponent when exact', () => {
      assertDecimal(divide(dec('1'), dec('3')), '0.3333333333333333333333333333333333');
      assertDecimal(divide(dec('2'), dec('3')), '0.6666666666666666666666666666666667');
      assertDecimal(divide(dec('6'), dec('2')), '3');
      assertDecimal(divide(dec('1.0'), 4), '0.25');
      assertDecimal(divide(10, dec('4')), '2.5');
    });

    it('When a decimal remainder is taken, then it is exact with the dividend sign', () => {
      assertDecimal(mod(dec('-7.5'), 2), '-1.5');
      assertDecimal(mod(dec('10'), dec('0.3')), '0.1');
    });

    it('When special values are involved, then IEEE rules apply', () => {
      assertDecimal(add(dec('Infinity'), 1), 'Infinity');
      assertDecimal(add(dec('Infinity'), dec('-Infinity')), 'NaN');
      assertDecimal(multiply(dec('NaN'), 2), 'NaN');
      assertDecimal(add(dec('-0'), dec('-0')), '-0');
      assertDecimal(add(dec('-1'), dec('1')), '0');
    });

    it('When the exponent leaves the decimal range, then it overflows to Infinity', () => {
      assertDecimal(multiply(dec('9E+6144'), dec('10')), 'Infinity');
    });
  });

  describe('doubles with integral values (bson Double)', () => {
    it('When a double takes part, then an integral result is a Double and a fractional one a plain number', () => {
      assert.deepEqual(add(new Double(1), 1), new Double(2));
      assert.deepEqual(add(1.5, 1.5), new Double(3));
      assert.equal(add(new Double(1), 0.5), 1.5);
      assert.deepEqual(multiply(0, new Double(2)), new Double(0), 'a missing field under $mul becomes 0.0');
      assert.deepEqual(divide(6, 3), new Double(2), '$divide of int32s is a double');
      assert.deepEqual(subtract(new Double(5), 2n), new Double(3), 'int64 and double give a double');
      assertDecimal(add(new Double(2), dec('1')), '3.00000000000000');
    });

    it('When a Double is compared or tested, then it counts by its value but is not identical to an int32', () => {
      assert.equal(compareValues(new Double(2), 2), 0);
      assert.equal(compareValues(new Double(2), 2.5), -1);
      assert.ok(isZero(new Double(0)));
      assert.equal(identical(new Double(1), 1), false);
      assert.equal(identical(new Double(1), new Double(1)), true);
      assert.equal(identical(-0, 0), false);
    });
  });

  describe('division by zero', () => {
    it('When dividing by zero, then $divide and $mod errors are thrown', () => {
      assert.throws(() => divide(1, 0), (e: unknown) => e instanceof MongoServerError && e.code === 16608 && /divide by zero/.test(e.message));
      assert.throws(() => divide(dec('1'), dec('0.00')), (e: unknown) => e instanceof MongoServerError && e.code === 16608);
      assert.throws(() => mod(5n, 0n), (e: unknown) => e instanceof MongoServerError && e.code === 16610);
    });
  });

  it('When an operand is not a number, then a TypeError reports a programming error', () => {
    assert.throws(() => add('1', 2), TypeError);
  });
});
