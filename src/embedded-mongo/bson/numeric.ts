/**
 * Exact arithmetic over BSON numbers with MongoDB's result-type rules.
 *
 * Representation (see `../types.ts`): int32 and double are JS numbers (an integer-valued number in int32 range is an
 * int32) except doubles of such values, which are `bson.Double` (`./double.ts`); int64 is bigint, Decimal128 is
 * `bson.Decimal128`. Result types:
 *   int32 op int32   -> int32, or int64 when the result leaves the int32 range
 *   int64 involved   -> int64, or double when the result leaves the int64 range
 *   double involved  -> double
 *   Decimal128 involved -> Decimal128, computed exactly on coefficient and exponent (34 digits, round half even),
 *   with a double operand first converted to 15 significant digits as MongoDB does.
 * `divide` follows `$divide`: double unless a Decimal128 is involved.
 */
import { Decimal128, type Double } from 'bson';
import { mongoError } from '../errors';
import { bsonTag } from './compare';
import { double, isDouble } from './double';

export type NumericValue = number | bigint | Decimal128 | Double;

type NumberKind = 'int' | 'long' | 'double' | 'decimal';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function isNumericValue(v: unknown): v is NumericValue {
  return typeof v === 'number' || typeof v === 'bigint' || isDouble(v) || bsonTag(v) === 'Decimal128';
}

function isInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);
}

function kindOf(v: NumericValue): NumberKind {
  if (typeof v === 'number') return isInt32(v) ? 'int' : 'double';
  if (typeof v === 'bigint') return 'long';
  return isDouble(v) ? 'double' : 'decimal';
}

const KIND_RANK: Readonly<Record<NumberKind, number>> = { int: 0, long: 1, double: 2, decimal: 3 };

/** The kind both operands are promoted to before an operation. */
function widerKind(a: NumericValue, b: NumericValue): NumberKind {
  const x = kindOf(a);
  const y = kindOf(b);
  return KIND_RANK[x] >= KIND_RANK[y] ? x : y;
}

function assertNumeric(v: unknown, operation: string): asserts v is NumericValue {
  if (!isNumericValue(v)) throw new TypeError(`${operation} requires numeric operands`);
}

/** An exact integer result of int32 or int64 arithmetic, stored in the narrowest kind allowed. */
function integerResult(value: bigint, kind: 'int' | 'long'): NumericValue {
  if (kind === 'int' && value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) return Number(value);
  if (value >= INT64_MIN && value <= INT64_MAX) return value;
  return Number(value);
}

type Operation = 'add' | 'subtract' | 'multiply' | 'mod';

interface OperationKinds {
  integer(a: bigint, b: bigint): bigint;
  double(a: number, b: number): number;
  decimal(a: Dec, b: Dec): Dec;
}

const OPERATIONS: Readonly<Record<Operation, OperationKinds>> = {
  add: { integer: (a, b) => a + b, double: (a, b) => a + b, decimal: decAdd },
  subtract: { integer: (a, b) => a - b, double: (a, b) => a - b, decimal: (a, b) => decAdd(a, decNegate(b)) },
  multiply: { integer: (a, b) => a * b, double: (a, b) => a * b, decimal: decMultiply },
  mod: { integer: (a, b) => a % b, double: (a, b) => a % b, decimal: decRemainder },
};

function arithmetic(op: Operation, a: unknown, b: unknown): NumericValue {
  assertNumeric(a, op);
  assertNumeric(b, op);
  const kind = widerKind(a, b);
  const operation = OPERATIONS[op];
  if (kind === 'decimal') return fromDec(operation.decimal(toDec(a), toDec(b)));
  if (kind === 'double') return double(operation.double(Number(a), Number(b)));
  if (kind === 'int') {
    // Two int32s: a result within 2^53 is exact in a double, so BigInt is only needed beyond that (`+ 0` drops -0).
    const exact = operation.double(a as number, b as number);
    if (Number.isSafeInteger(exact)) return exact >= INT32_MIN && exact <= INT32_MAX ? exact + 0 : BigInt(exact);
  }
  const result = operation.integer(BigInt(a as number | bigint), BigInt(b as number | bigint));
  return integerResult(result, kind);
}

export function add(a: unknown, b: unknown): NumericValue {
  return arithmetic('add', a, b);
}

export function subtract(a: unknown, b: unknown): NumericValue {
  return arithmetic('subtract', a, b);
}

export function multiply(a: unknown, b: unknown): NumericValue {
  return arithmetic('multiply', a, b);
}

export function isZero(v: NumericValue): boolean {
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'bigint') return v === 0n;
  if (isDouble(v)) return v.value === 0;
  const d = toDec(v);
  return d.kind === 'finite' && d.coef === 0n;
}

/** MongoDB's truthiness ($expr, $cond, $and...): false, null, missing and numeric zero are false; all else (even "" and []) is true. */
export function isTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (isNumericValue(v)) return !isZero(v);
  return true;
}

/** `$divide`: a double result unless a Decimal128 is involved. Throws 16608 on a zero divisor, as mongod does. */
export function divide(a: unknown, b: unknown): NumericValue {
  assertNumeric(a, 'divide');
  assertNumeric(b, 'divide');
  if (isZero(b)) throw mongoError('Location16608', "can't $divide by zero");
  if (widerKind(a, b) === 'decimal') return fromDec(decDivide(toDec(a), toDec(b)));
  return double(Number(a) / Number(b));
}

/** `$mod`: the remainder takes the dividend's sign (like C's fmod). Throws 16610 on a zero divisor, as mongod does. */
export function mod(a: unknown, b: unknown): NumericValue {
  assertNumeric(a, 'mod');
  assertNumeric(b, 'mod');
  if (isZero(b)) throw mongoError('Location16610', "can't $mod by zero");
  return arithmetic('mod', a, b);
}

// ---------------------------------------------------------------------------------------------------------------
// Decimal128 arithmetic on (sign, integer coefficient, exponent): value = (-1)^sign * coef * 10^exp.

type Dec =
  | { kind: 'nan' }
  | { kind: 'inf'; negative: boolean }
  | { kind: 'finite'; negative: boolean; coef: bigint; exp: number };

const MAX_DIGITS = 34;
const MAX_EXP = 6111;
const MIN_EXP = -6176;
const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d*))?(?:E([+-]?\d+))?$/i;

function digitCount(n: bigint): number {
  return n === 0n ? 1 : n.toString().length;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function parseDecimalString(s: string): Dec {
  if (/^[+-]?nan$/i.test(s)) return { kind: 'nan' };
  if (/^[+-]?inf(inity)?$/i.test(s)) return { kind: 'inf', negative: s.startsWith('-') };
  const m = DECIMAL_RE.exec(s);
  if (!m) throw new TypeError(`not a decimal number: ${s}`);
  const fraction = m[3] ?? '';
  return {
    kind: 'finite',
    negative: m[1] === '-',
    coef: BigInt(m[2] + fraction),
    exp: Number(m[4] ?? '0') - fraction.length,
  };
}

/** A double becomes a Decimal128 of 15 significant digits (MongoDB's default conversion), keeping trailing zeros. */
function decFromDouble(n: number): Dec {
  if (Number.isNaN(n)) return { kind: 'nan' };
  if (!Number.isFinite(n)) return { kind: 'inf', negative: n < 0 };
  if (n === 0) return { kind: 'finite', negative: Object.is(n, -0), coef: 0n, exp: 0 };
  const [mantissa, exponent] = Math.abs(n).toExponential(14).split('e');
  return { kind: 'finite', negative: n < 0, coef: BigInt(mantissa.replace('.', '')), exp: Number(exponent) - 14 };
}

function toDec(v: NumericValue): Dec {
  if (typeof v === 'number') {
    if (isInt32(v)) return { kind: 'finite', negative: v < 0, coef: BigInt(Math.abs(v)), exp: 0 };
    return decFromDouble(v);
  }
  if (typeof v === 'bigint') return { kind: 'finite', negative: v < 0n, coef: v < 0n ? -v : v, exp: 0 };
  if (isDouble(v)) return decFromDouble(v.value);
  return parseDecimalString(v.toString());
}

function fromDec(d: Dec): Decimal128 {
  if (d.kind === 'nan') return Decimal128.fromString('NaN');
  if (d.kind === 'inf') return Decimal128.fromString(d.negative ? '-Infinity' : 'Infinity');
  return Decimal128.fromString(`${d.negative ? '-' : ''}${d.coef}E${d.exp}`);
}

/** Drops `drop` low digits of `coef` rounding half to even; `sticky` says non-zero digits were already dropped. */
function roundDigits(coef: bigint, drop: number, sticky: boolean): bigint {
  if (drop <= 0) return coef;
  const divisor = pow10(drop);
  const kept = coef / divisor;
  const rest = coef % divisor;
  const twice = rest * 2n;
  const roundUp = twice > divisor || (twice === divisor && (sticky || kept % 2n === 1n));
  return roundUp ? kept + 1n : kept;
}

/** Fits an exact (or sticky-flagged) result into 34 digits and the exponent range. */
function finish(negative: boolean, coef: bigint, exp: number, sticky = false): Dec {
  let c = coef;
  let e = exp;
  const excess = digitCount(c) - MAX_DIGITS;
  if (excess > 0 || sticky) {
    c = roundDigits(c, Math.max(excess, 0), sticky);
    e += Math.max(excess, 0);
    if (digitCount(c) > MAX_DIGITS) {
      c /= 10n;
      e += 1;
    }
  }
  if (e < MIN_EXP) {
    c = roundDigits(c, MIN_EXP - e, false);
    e = MIN_EXP;
  }
  if (e > MAX_EXP) {
    if (c === 0n) return { kind: 'finite', negative, coef: 0n, exp: MAX_EXP };
    const room = MAX_DIGITS - digitCount(c);
    if (e - MAX_EXP > room) return { kind: 'inf', negative };
    c *= pow10(e - MAX_EXP);
    e = MAX_EXP;
  }
  return { kind: 'finite', negative, coef: c, exp: e };
}

function decNegate(d: Dec): Dec {
  return d.kind === 'nan' ? d : { ...d, negative: !d.negative };
}

function signed(d: { negative: boolean; coef: bigint }): bigint {
  return d.negative ? -d.coef : d.coef;
}

function decAdd(a: Dec, b: Dec): Dec {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  if (a.kind === 'inf' && b.kind === 'inf') return a.negative === b.negative ? a : { kind: 'nan' };
  if (a.kind === 'inf') return a;
  if (b.kind === 'inf') return b;
  const exp = Math.min(a.exp, b.exp);
  const sum = signed(a) * pow10(a.exp - exp) + signed(b) * pow10(b.exp - exp);
  // An exact zero sum is positive unless both operands were negative (round-half-even rule of IEEE 754).
  const negative = sum === 0n ? a.negative && b.negative : sum < 0n;
  return finish(negative, sum < 0n ? -sum : sum, exp);
}

function decMultiply(a: Dec, b: Dec): Dec {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  const negative = a.negative !== b.negative;
  if (a.kind === 'inf' || b.kind === 'inf') {
    const other = a.kind === 'inf' ? b : a;
    if (other.kind === 'finite' && other.coef === 0n) return { kind: 'nan' };
    return { kind: 'inf', negative };
  }
  return finish(negative, a.coef * b.coef, a.exp + b.exp);
}

function decDivide(a: Dec, b: Dec): Dec {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  const negative = a.negative !== b.negative;
  if (a.kind === 'inf') return b.kind === 'inf' ? { kind: 'nan' } : { kind: 'inf', negative };
  if (b.kind === 'inf') return { kind: 'finite', negative, coef: 0n, exp: MIN_EXP };
  if (b.coef === 0n) return a.coef === 0n ? { kind: 'nan' } : { kind: 'inf', negative };
  const preferredExp = a.exp - b.exp;
  if (a.coef === 0n) return finish(negative, 0n, preferredExp);
  // Scale the dividend so the integer quotient carries at least 35 digits, enough to round correctly.
  const scale = Math.max(0, MAX_DIGITS + 1 + digitCount(b.coef) - digitCount(a.coef));
  const dividend = a.coef * pow10(scale);
  let quotient = dividend / b.coef;
  const remainder = dividend % b.coef;
  let exp = preferredExp - scale;
  if (remainder !== 0n) return finish(negative, quotient, exp, true);
  // Exact: strip trailing zeros back toward the preferred exponent, as IEEE 754 asks.
  while (exp < preferredExp && quotient % 10n === 0n) {
    quotient /= 10n;
    exp += 1;
  }
  return finish(negative, quotient, exp);
}

function decRemainder(a: Dec, b: Dec): Dec {
  if (a.kind === 'nan' || b.kind === 'nan' || a.kind === 'inf') return { kind: 'nan' };
  if (b.kind === 'inf') return a;
  if (b.coef === 0n) return { kind: 'nan' };
  const exp = Math.min(a.exp, b.exp);
  const rest = (a.coef * pow10(a.exp - exp)) % (b.coef * pow10(b.exp - exp));
  return finish(a.negative, rest, exp);
}
