/**
 * Value helpers shared by the expression evaluator and the pipeline stages.
 *
 * Inside aggregation a JS `undefined` stands for a *missing* value (MongoDB's EOO). The deprecated BSON `undefined`
 * type is treated the same way, which is also how MongoDB's aggregation compares it.
 */
import type { Decimal128, ObjectId } from 'bson';
import { bsonTag, bsonType, compareWithBottom } from '../bson/compare';
import { isDouble } from '../bson/double';
import { isNumericValue, isTruthy, isZero, type NumericValue } from '../bson/numeric';
import { isPlainDocument } from '../query/paths';
import { bsonTypeAlias } from '../query/type-codes';
import type { Collator, Document } from '../types';

export { isNumericValue, isZero, type NumericValue };

export function isNullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** A plain embedded document (not an array and not a BSON class instance such as ObjectId or Date). */
export function isDocument(v: unknown): v is Document {
  return isPlainDocument(v);
}

export function isObjectId(v: unknown): v is ObjectId {
  return bsonTag(v) === 'ObjectId';
}

export function isDecimal(v: unknown): v is Decimal128 {
  return bsonTag(v) === 'Decimal128';
}

/** `$type` names: 'missing' for a missing value, otherwise the BSON type alias. */
export function typeName(v: unknown): string {
  if (v === undefined) return 'missing';
  return bsonTypeAlias(v);
}

export function toDouble(v: NumericValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (isDouble(v)) return v.value;
  return Number(v.toString());
}

export { isTruthy as toBool };

/**
 * Aggregation comparison: like the query order, except that missing sorts below null
 * (so `{$eq: ['$nothing', null]}` is false, as in MongoDB).
 */
export function compareAgg(a: unknown, b: unknown, collator?: Collator): number {
  return compareWithBottom(a, b, undefined, collator);
}

export function equalsAgg(a: unknown, b: unknown, collator?: Collator): boolean {
  return compareAgg(a, b, collator) === 0;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Key of a number such that equal values of different numeric types share it: safe integers (the common case,
 * kept cheap) as 'I<n>', everything else as 'N<digits>e<exponent>' with trailing zeros folded into the exponent.
 */
function numericKey(value: NumericValue): string {
  const v = isDouble(value) ? value.value : value;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? `I${v}` : `N${canonicalNumber(numberText(v))}`;
  if (typeof v === 'bigint') return v >= -MAX_SAFE && v <= MAX_SAFE ? `I${v}` : `N${canonicalNumber(v.toString())}`;
  const canonical = canonicalNumber(v.toString());
  if (canonical === '0') return 'I0';
  const m = /^(-?)(\d+)e(\d+)$/.exec(canonical);
  if (m && Number(m[3]) < 16) {
    const integer = BigInt(m[2]) * 10n ** BigInt(m[3]);
    if (integer <= MAX_SAFE) return `I${m[1]}${integer}`;
  }
  return `N${canonical}`;
}

function canonicalNumber(text: string): string {
  const special = /^([-+]?)(NaN|Inf(inity)?)$/i.exec(text);
  if (special) return special[2].toLowerCase() === 'nan' ? 'NaN' : `${special[1] === '-' ? '-' : ''}Inf`;
  const match = /^([-+]?)(\d*)(?:\.(\d*))?(?:e([-+]?\d+))?$/i.exec(text);
  if (!match) return text;
  const [, sign, intPart = '', fracPart = '', expPart = '0'] = match;
  let digits = (intPart + fracPart).replace(/^0+/, '');
  let exponent = Number(expPart) - fracPart.length;
  if (digits === '') return '0';
  const trailing = /0+$/.exec(digits);
  if (trailing) {
    exponent += trailing[0].length;
    digits = digits.slice(0, -trailing[0].length);
  }
  return `${sign === '-' ? '-' : ''}${digits}e${exponent}`;
}

function numberText(n: number): string {
  if (Number.isInteger(n) && Number.isFinite(n)) return BigInt(n).toString();
  return String(n);
}

/** A string key that is equal for values MongoDB considers equal (used for grouping and set operators). */
export function valueKey(v: unknown): string {
  if (v === undefined || v === null) return v === null ? 'n' : 'u';
  if (isNumericValue(v)) return numericKey(v);
  if (typeof v === 'string') return `S${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return v ? 'B1' : 'B0';
  if (v instanceof Date) return `D${v.getTime()}`;
  if (isObjectId(v)) return `O${v.toHexString()}`;
  if (Array.isArray(v)) return `A[${v.map(valueKey).join(',')}]`;
  if (isDocument(v)) {
    return `M{${Object.entries(v).map(([k, val]) => `${JSON.stringify(k)}:${valueKey(val)}`).join(',')}}`;
  }
  const type = bsonType(v);
  return `${type}:${stableText(v)}`;
}

function stableText(v: unknown): string {
  if (typeof v === 'object' && v !== null && 'toJSON' in v && typeof v.toJSON === 'function') {
    return JSON.stringify(v.toJSON());
  }
  return String(v);
}

/** Short description used in error messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}`;
  if (v instanceof Date) return v.toISOString();
  try {
    return JSON.stringify(v, (_k, val: unknown) => (typeof val === 'bigint' ? val.toString() : val)) ?? String(v);
  } catch {
    return String(v);
  }
}

export function hasOwn(doc: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(doc, key);
}
