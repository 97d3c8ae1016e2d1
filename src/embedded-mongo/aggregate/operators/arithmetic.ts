/** Arithmetic expression operators. Exact int64/Decimal128 arithmetic comes from `bson/numeric.ts`. */
import { Decimal128 } from 'bson';
import { double, isDouble, readsAsInt32 } from '../../bson/double';
import { add, divide, mod, multiply, subtract } from '../../bson/numeric';
import { mongoError, type ErrorCodeName } from '../../errors';
import { evaluateArgs, evaluateFixedArgs, type OperatorFn, type Scope } from '../evaluate';
import { isDecimal, isNullish, isNumericValue, isZero, toDouble, typeName, type NumericValue } from '../values';


function addOperator(args: unknown, scope: Scope): unknown {
  const values = evaluateArgs(args, scope);
  let total: NumericValue = 0;
  let date: Date | undefined;
  for (const v of values) {
    if (isNullish(v)) return null;
    if (v instanceof Date) {
      if (date) throw mongoError('Location16612', 'only one date allowed in an $add expression');
      date = v;
    } else if (isNumericValue(v)) {
      total = add(total, v);
    } else {
      throw mongoError('Location16554', `$add only supports numeric or date types, not ${typeName(v)}`);
    }
  }
  if (date) return new Date(date.getTime() + Math.round(toDouble(total)));
  return total;
}

function subtractOperator(args: unknown, scope: Scope, name: string): unknown {
  const [a, b] = evaluateFixedArgs(name, args, scope, 2);
  if (isNullish(a) || isNullish(b)) return null;
  if (a instanceof Date) {
    if (b instanceof Date) return BigInt(a.getTime() - b.getTime());
    if (isNumericValue(b)) return new Date(a.getTime() - Math.round(toDouble(b)));
  } else if (isNumericValue(a) && isNumericValue(b)) {
    return subtract(a, b);
  }
  throw mongoError('Location16556', `can't $subtract ${typeName(b)} from ${typeName(a)}`);
}

function multiplyOperator(args: unknown, scope: Scope): unknown {
  const values = evaluateArgs(args, scope);
  if (values.some(isNullish)) return null;
  let product: NumericValue = 1;
  for (const v of values) {
    if (!isNumericValue(v)) throw mongoError('Location16555', `$multiply only supports numeric types, not ${typeName(v)}`);
    product = multiply(product, v);
  }
  return product;
}

/** $divide and $mod: two numeric operands (null/missing → null) and a non-zero divisor. */
function divisionOperator(
  operation: (a: NumericValue, b: NumericValue) => NumericValue,
  typeCode: ErrorCodeName,
  zeroCode: ErrorCodeName,
): OperatorFn {
  return (args, scope, name) => {
    const values = evaluateFixedArgs(name, args, scope, 2);
    if (values.some(isNullish)) return null;
    const [a, b] = values;
    if (!isNumericValue(a) || !isNumericValue(b)) {
      throw mongoError(typeCode, `${name} only supports numeric types, not ${typeName(a)} and ${typeName(b)}`);
    }
    if (isZero(b)) throw mongoError(zeroCode, `can't ${name} by zero`);
    return operation(a, b);
  };
}

/** One numeric operand (null/missing → null), for $abs, $ceil, $sqrt and friends. */
function singleNumeric(name: string, args: unknown, scope: Scope): NumericValue | null {
  const [v] = evaluateFixedArgs(name, args, scope, 1);
  if (isNullish(v)) return null;
  if (!isNumericValue(v)) throw mongoError('Location28765', `${name} only supports numeric types, not ${typeName(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Rounding on decimal text, so int64 and Decimal128 round exactly and doubles round like MongoDB (15 digits).

type RoundMode = 'halfEven' | 'trunc' | 'floor' | 'ceil';

interface DecimalParts {
  negative: boolean;
  coef: bigint;
  exp: number;
}

function parseDecimalText(text: string): DecimalParts | undefined {
  const m = /^([+-])?(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) return undefined;
  const fraction = m[3] ?? '';
  return { negative: m[1] === '-', coef: BigInt(m[2] + fraction), exp: Number(m[4] ?? '0') - fraction.length };
}

function roundParts(parts: DecimalParts, place: number, mode: RoundMode): DecimalParts {
  if (-parts.exp <= place) return parts;
  const scale = 10n ** BigInt(-parts.exp - place);
  let quotient = parts.coef / scale;
  const remainder = parts.coef % scale;
  if (remainder !== 0n) {
    const roundUp =
      mode === 'halfEven'
        ? remainder * 2n > scale || (remainder * 2n === scale && quotient % 2n === 1n)
        : (mode === 'floor' && parts.negative) || (mode === 'ceil' && !parts.negative);
    if (roundUp) quotient += 1n;
  }
  return { negative: parts.negative && quotient !== 0n, coef: quotient, exp: -place };
}

function partsToText(parts: DecimalParts): string {
  return `${parts.negative ? '-' : ''}${parts.coef}E${parts.exp}`;
}

function partsToBigInt(parts: DecimalParts): bigint {
  const value = parts.exp >= 0 ? parts.coef * 10n ** BigInt(parts.exp) : parts.coef / 10n ** BigInt(-parts.exp);
  return parts.negative ? -value : value;
}

/** The integer part of a finite Decimal128, exactly; undefined for NaN and infinities. */
export function decimalIntegerPart(d: Decimal128): bigint | undefined {
  const parts = parseDecimalText(d.toString());
  return parts ? partsToBigInt(roundParts(parts, 0, 'trunc')) : undefined;
}

function roundNumeric(v: NumericValue, place: number, mode: RoundMode): NumericValue {
  // A double rounds to a double, an int32 to an int32.
  if (isDouble(v)) return double(roundNumber(v.value, place, mode));
  if (typeof v === 'number') return readsAsInt32(v) ? roundNumber(v, place, mode) : double(roundNumber(v, place, mode));
  if (typeof v === 'bigint') {
    if (place >= 0) return v;
    return partsToBigInt(roundParts({ negative: v < 0n, coef: v < 0n ? -v : v, exp: 0 }, place, mode));
  }
  const parts = parseDecimalText(v.toString());
  return parts ? Decimal128.fromString(partsToText(roundParts(parts, place, mode))) : v;
}

function roundNumber(v: number, place: number, mode: RoundMode): number {
  if (!Number.isFinite(v) || (Number.isInteger(v) && place >= 0)) return v;
  const text = Number.isInteger(v) ? BigInt(v).toString() : v.toPrecision(15);
  const parts = parseDecimalText(text);
  return parts ? Number(partsToText(roundParts(parts, place, mode))) : v;
}

function roundingOperator(mode: 'halfEven' | 'trunc'): OperatorFn {
  return (args, scope, name) => {
    const [value, placeValue = 0] = evaluateFixedArgs(name, args, scope, 1, 2);
    if (isNullish(value) || placeValue === null) return null;
    if (!isNumericValue(value)) throw mongoError('Location51081', `${name} only supports numeric types, not ${typeName(value)}`);
    if (!isNumericValue(placeValue) || !Number.isInteger(toDouble(placeValue))) {
      throw mongoError('Location51082', `precision argument to ${name} must be an integral value`);
    }
    const place = toDouble(placeValue);
    if (place < -20 || place > 100) {
      throw mongoError('Location51083', `cannot apply ${name} with precision value ${place} value must be in [-20, 100]`);
    }
    return roundNumeric(value, place, mode);
  };
}

function unaryRounding(mode: 'floor' | 'ceil'): OperatorFn {
  return (args, scope, name) => {
    const v = singleNumeric(name, args, scope);
    if (v === null) return null;
    // A `Double` holds an integral value already.
    if (isDouble(v)) return v;
    if (typeof v === 'number') return readsAsInt32(v) ? v : double(mode === 'floor' ? Math.floor(v) : Math.ceil(v));
    return roundNumeric(v, 0, mode);
  };
}

function absOperator(args: unknown, scope: Scope, name: string): unknown {
  const v = singleNumeric(name, args, scope);
  if (v === null) return null;
  if (isDouble(v)) return double(Math.abs(v.value));
  if (typeof v === 'number') {
    if (!readsAsInt32(v)) return double(Math.abs(v));
    return v === -2147483648 ? 2147483648n : Math.abs(v);
  }
  if (typeof v === 'bigint') {
    if (v === -(2n ** 63n)) throw mongoError('Location28680', "can't take $abs of long long min");
    return v < 0n ? -v : v;
  }
  const text = v.toString();
  return text.startsWith('-') ? Decimal128.fromString(text.slice(1)) : v;
}

/** Functions computed in double precision; a Decimal128 operand gives a Decimal128 result. */
function doubleFunction(fn: (x: number) => number, check?: (x: number, name: string) => void): OperatorFn {
  return (args, scope, name) => {
    const v = singleNumeric(name, args, scope);
    if (v === null) return null;
    const x = toDouble(v);
    check?.(x, name);
    const result = fn(x);
    return isDecimal(v) ? Decimal128.fromString(String(result)) : double(result);
  };
}

function requireNonNegative(x: number): void {
  if (x < 0) throw mongoError('Location28714', "$sqrt's argument must be greater than or equal to 0");
}

function requirePositive(code: 'Location28766' | 'Location28761') {
  return (x: number, name: string) => {
    if (!(x > 0)) throw mongoError(code, `${name}'s argument must be a positive number, but is ${x}`);
  };
}

function powOperator(args: unknown, scope: Scope, name: string): unknown {
  const [base, exponent] = evaluateFixedArgs(name, args, scope, 2);
  if (isNullish(base) || isNullish(exponent)) return null;
  if (!isNumericValue(base)) throw mongoError('Location28762', `$pow's base must be numeric, not ${typeName(base)}`);
  if (!isNumericValue(exponent)) throw mongoError('Location28763', `$pow's exponent must be numeric, not ${typeName(exponent)}`);
  const b = toDouble(base);
  const e = toDouble(exponent);
  if (b === 0 && e < 0) throw mongoError('Location28764', '$pow cannot take a base of 0 and a negative exponent');
  if (isDecimal(base) || isDecimal(exponent)) return Decimal128.fromString(String(Math.pow(b, e)));
  const integral = (v: NumericValue) => typeof v === 'bigint' || (typeof v === 'number' && readsAsInt32(v));
  if (integral(base) && integral(exponent) && e >= 0) return integerPower(base as number | bigint, BigInt(exponent as number | bigint));
  return double(Math.pow(b, e));
}

/** int/long ** non-negative int stays integral (int, then long) while it fits, as MongoDB does; else double. */
function integerPower(base: number | bigint, exponent: bigint): NumericValue {
  const b = BigInt(base);
  if (exponent > 1024n && b !== 0n && b !== 1n && b !== -1n) return Math.pow(Number(b), Number(exponent));
  const result = b ** exponent;
  if (typeof base === 'number' && result >= -2147483648n && result <= 2147483647n) return Number(result);
  if (result >= -(2n ** 63n) && result < 2n ** 63n) return result;
  return Number(result);
}

function logOperator(args: unknown, scope: Scope, name: string): unknown {
  const [value, base] = evaluateFixedArgs(name, args, scope, 2);
  if (isNullish(value) || isNullish(base)) return null;
  if (!isNumericValue(value)) throw mongoError('Location28756', `$log's argument must be numeric, not ${typeName(value)}`);
  if (!isNumericValue(base)) throw mongoError('Location28757', `$log's base must be numeric, not ${typeName(base)}`);
  const x = toDouble(value);
  const b = toDouble(base);
  if (!(x > 0)) throw mongoError('Location28758', `$log's argument must be a positive number, but is ${x}`);
  if (!(b > 0) || b === 1) throw mongoError('Location28759', `$log's base must be a positive number not equal to 1, but is ${b}`);
  const result = Math.log(x) / Math.log(b);
  return isDecimal(value) || isDecimal(base) ? Decimal128.fromString(String(result)) : double(result);
}

export const arithmeticOperators: Record<string, OperatorFn> = {
  $add: addOperator,
  $subtract: subtractOperator,
  $multiply: multiplyOperator,
  $divide: divisionOperator(divide, 'Location16609', 'Location16608'),
  $mod: divisionOperator(mod, 'Location16611', 'Location16610'),
  $abs: absOperator,
  $ceil: unaryRounding('ceil'),
  $floor: unaryRounding('floor'),
  $round: roundingOperator('halfEven'),
  $trunc: roundingOperator('trunc'),
  $sqrt: doubleFunction(Math.sqrt, requireNonNegative),
  $exp: doubleFunction(Math.exp),
  $ln: doubleFunction(Math.log, requirePositive('Location28766')),
  $log10: doubleFunction(Math.log10, requirePositive('Location28761')),
  $log: logOperator,
  $pow: powOperator,
};
