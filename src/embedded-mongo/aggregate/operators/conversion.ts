/** $type, $isNumber and the type conversions ($convert and its $toX shorthands), with MongoDB's conversion table. */
import { Decimal128, ObjectId } from 'bson';
import { bsonTag } from '../../bson/compare';
import { double, isDouble, jsNumber } from '../../bson/double';
import { mongoError, MongoServerError } from '../../errors';
import { evaluate, evaluateFixedArgs, readSpec, type OperatorFn, type Scope } from '../evaluate';
import { isDecimal, isNullish, isNumericValue, isObjectId, toDouble, typeName, toBool, type NumericValue } from '../values';
import { decimalIntegerPart } from './arithmetic';
import { parseDateString, toDateOperand } from './dates';

type TargetType = 'double' | 'string' | 'objectId' | 'bool' | 'date' | 'int' | 'long' | 'decimal';

const TYPE_CODES: Record<number, TargetType> = { 1: 'double', 2: 'string', 7: 'objectId', 8: 'bool', 9: 'date', 16: 'int', 18: 'long', 19: 'decimal' };
const TARGETS = new Set<string>(Object.values(TYPE_CODES));
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function conversionError(input: unknown, target: TargetType, detail?: string): MongoServerError {
  const reason = detail ?? `Unsupported conversion from ${typeName(input)} to ${target}`;
  return mongoError('ConversionFailure', `${reason} in $convert with no onError value`);
}

function parseTarget(value: unknown): TargetType {
  if (typeof value === 'string') {
    if (TARGETS.has(value)) return value as TargetType;
    throw mongoError('BadValue', `Unknown type name: ${value}`);
  }
  if (isNumericValue(value)) {
    const target = TYPE_CODES[toDouble(value)];
    if (target) return target;
    throw mongoError('FailedToParse', `In $convert, numeric value for 'to' does not correspond to a BSON type: ${toDouble(value)}`);
  }
  throw mongoError('FailedToParse', `$convert's 'to' argument must be a string or number, but is ${typeName(value)}`);
}

/** Text of a number as MongoDB prints it in $toString / $convert. */
export function numberToString(value: NumericValue): string {
  const v = isDouble(value) ? value.value : value;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return Object.is(v, -0) ? '-0' : String(v);
  }
  return v.toString();
}

function toStringValue(input: unknown): string {
  if (typeof input === 'string') return input;
  if (isNumericValue(input)) return numberToString(input);
  if (typeof input === 'boolean') return input ? 'true' : 'false';
  if (input instanceof Date) return input.toISOString();
  if (isObjectId(input)) return input.toHexString();
  throw conversionError(input, 'string');
}

function integerFromDouble(input: number, target: 'int' | 'long'): bigint {
  if (!Number.isFinite(input)) throw conversionError(input, target, `Attempt to convert ${numberToString(input)} value to integer type`);
  return BigInt(Math.trunc(input));
}

function integerFromString(input: string, target: 'int' | 'long'): bigint {
  if (!/^[-+]?\d+$/.test(input)) throw conversionError(input, target, `Failed to parse number '${input}'`);
  return BigInt(input);
}

function toIntegerValue(input: unknown, target: 'int' | 'long'): bigint {
  if (typeof input === 'boolean') return input ? 1n : 0n;
  if (typeof input === 'bigint') return input;
  const n = jsNumber(input);
  if (n !== undefined) return integerFromDouble(n, target);
  if (isDecimal(input)) {
    const integer = decimalIntegerPart(input);
    if (integer === undefined) throw conversionError(input, target, `Attempt to convert ${input.toString()} value to integer type`);
    return integer;
  }
  if (typeof input === 'string') return integerFromString(input, target);
  if (input instanceof Date && target === 'long') return BigInt(input.getTime());
  throw conversionError(input, target);
}

function toInt(input: unknown): number {
  const n = toIntegerValue(input, 'int');
  if (n < BigInt(INT32_MIN) || n > BigInt(INT32_MAX)) throw conversionError(input, 'int', `Conversion would overflow target type`);
  return Number(n);
}

function toLong(input: unknown): bigint {
  const n = toIntegerValue(input, 'long');
  if (n < INT64_MIN || n > INT64_MAX) throw conversionError(input, 'long', `Conversion would overflow target type`);
  return n;
}

function toDoubleValue(input: unknown): number {
  if (typeof input === 'boolean') return input ? 1 : 0;
  if (isNumericValue(input)) return toDouble(input);
  if (input instanceof Date) return input.getTime();
  if (typeof input === 'string') {
    const trimmed = input.trim();
    if (trimmed !== input || trimmed === '' || !/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|Infinity|inf|NaN)$/i.test(trimmed)) {
      throw conversionError(input, 'double', `Failed to parse number '${input}'`);
    }
    return /^[-+]?inf/i.test(trimmed) ? (trimmed.startsWith('-') ? -Infinity : Infinity) : Number(trimmed);
  }
  throw conversionError(input, 'double');
}

function toDecimalValue(input: unknown): Decimal128 {
  if (isDecimal(input)) return input;
  if (typeof input === 'boolean') return Decimal128.fromString(input ? '1' : '0');
  if (typeof input === 'bigint') return Decimal128.fromString(input.toString());
  if (typeof input === 'number' && Number.isInteger(input) && Math.abs(input) <= INT32_MAX) return Decimal128.fromString(String(input));
  // A double (of any value, 2.0 included) converts with 15 significant digits, as mongod's Decimal128(double) does.
  const n = jsNumber(input);
  if (n !== undefined) return Decimal128.fromString(Number.isFinite(n) ? n.toPrecision(15) : numberToString(n));
  if (input instanceof Date) return Decimal128.fromString(String(input.getTime()));
  if (typeof input === 'string') {
    try {
      return Decimal128.fromString(input);
    } catch {
      throw conversionError(input, 'decimal', `Failed to parse number '${input}'`);
    }
  }
  throw conversionError(input, 'decimal');
}

function toDateValue(input: unknown): Date {
  if (input instanceof Date || isObjectId(input) || bsonTag(input) === 'Timestamp') return toDateOperand(input);
  if (typeof input === 'bigint') return new Date(Number(input));
  const n = jsNumber(input);
  if (n !== undefined) {
    if (!Number.isFinite(n)) throw conversionError(input, 'date', 'Attempt to convert a non-finite double to date');
    return new Date(Math.trunc(n));
  }
  if (isDecimal(input)) return new Date(Math.trunc(toDouble(input)));
  if (typeof input === 'string') {
    const parsed = parseDateString(input, undefined, undefined);
    if (!parsed) throw conversionError(input, 'date', `Error parsing date string '${input}'`);
    return parsed;
  }
  throw conversionError(input, 'date');
}

function toObjectIdValue(input: unknown): ObjectId {
  if (isObjectId(input)) return input;
  if (typeof input === 'string') {
    if (!/^[0-9a-fA-F]{24}$/.test(input)) throw conversionError(input, 'objectId', `Failed to parse objectId '${input}'`);
    return ObjectId.createFromHexString(input);
  }
  throw conversionError(input, 'objectId');
}

export function convertValue(input: unknown, target: TargetType): unknown {
  switch (target) {
    case 'double':
      return double(toDoubleValue(input));
    case 'string':
      return toStringValue(input);
    case 'objectId':
      return toObjectIdValue(input);
    case 'bool':
      return toBool(input);
    case 'date':
      return toDateValue(input);
    case 'int':
      return toInt(input);
    case 'long':
      return toLong(input);
    case 'decimal':
      return toDecimalValue(input);
  }
}

function convertOperator(args: unknown, scope: Scope, name: string): unknown {
  const spec = readSpec(name, args, ['input', 'to'], ['onError', 'onNull', 'format', 'base']);
  const target = parseTarget(evaluate(spec.to, scope));
  let input: unknown;
  try {
    input = evaluate(spec.input, scope);
    if (isNullish(input)) return spec.onNull === undefined ? null : evaluate(spec.onNull, scope);
    return convertValue(input, target);
  } catch (err) {
    if (spec.onError !== undefined && err instanceof MongoServerError && err.codeName === 'ConversionFailure') {
      return evaluate(spec.onError, scope);
    }
    throw err;
  }
}

function shorthand(target: TargetType): OperatorFn {
  return (args, scope, name) => {
    const [input] = evaluateFixedArgs(name, args, scope, 1);
    if (isNullish(input)) return null;
    return convertValue(input, target);
  };
}

export const conversionOperators: Record<string, OperatorFn> = {
  $type: (args, scope, name) => typeName(evaluateFixedArgs(name, args, scope, 1)[0]),
  $isNumber: (args, scope, name) => isNumericValue(evaluateFixedArgs(name, args, scope, 1)[0]),
  $convert: convertOperator,
  $toString: shorthand('string'),
  $toObjectId: shorthand('objectId'),
  $toInt: shorthand('int'),
  $toLong: shorthand('long'),
  $toDouble: shorthand('double'),
  $toDecimal: shorthand('decimal'),
  $toBool: shorthand('bool'),
  $toDate: shorthand('date'),
};
