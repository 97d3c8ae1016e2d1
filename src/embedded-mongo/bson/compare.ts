/**
 * MongoDB's total order over BSON values (the order used by sort, comparison operators and index keys).
 *
 * Values are in the representation described in `../types.ts`. Numbers of every kind (JS number or `Double`, bigint
 * for int64, Decimal128) compare by exact mathematical value; strings compare by code point (the order of their UTF-8 bytes)
 * unless a collator is given, in which case every string, also inside objects and arrays, uses it.
 */
import type { Collator } from '../types';
import { isDouble } from './double';

export type BsonTypeName =
  | 'double'
  | 'string'
  | 'object'
  | 'array'
  | 'binData'
  | 'undefined'
  | 'objectId'
  | 'bool'
  | 'date'
  | 'null'
  | 'regex'
  | 'javascript'
  | 'int'
  | 'timestamp'
  | 'long'
  | 'decimal'
  | 'minKey'
  | 'maxKey';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The `_bsontype` tag of a bson class instance, or undefined for anything else. */
export function bsonTag(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const tag: unknown = (v as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

const TAG_TYPES: Record<string, BsonTypeName> = {
  ObjectId: 'objectId',
  Decimal128: 'decimal',
  Binary: 'binData',
  BSONRegExp: 'regex',
  Timestamp: 'timestamp',
  MinKey: 'minKey',
  MaxKey: 'maxKey',
  Code: 'javascript',
  Long: 'long',
  Int32: 'int',
  Double: 'double',
  BSONSymbol: 'string',
  DBRef: 'object',
};

export function bsonType(v: unknown): BsonTypeName {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX && !Object.is(v, -0) ? 'int' : 'double';
    case 'bigint':
      return 'long';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'object':
      break;
    default:
      throw new TypeError(`not a BSON value: ${typeof v}`);
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  if (v instanceof Uint8Array) return 'binData';
  const tag = bsonTag(v);
  if (tag !== undefined && TAG_TYPES[tag]) return TAG_TYPES[tag];
  return 'object';
}

/** MongoDB's canonical type rank: values of different rank compare by rank alone. */
const TYPE_ORDER: Record<BsonTypeName, number> = {
  minKey: -1,
  undefined: 5,
  null: 5,
  int: 10,
  long: 10,
  double: 10,
  decimal: 10,
  string: 15,
  object: 20,
  array: 25,
  binData: 30,
  objectId: 35,
  bool: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  javascript: 60,
  maxKey: 127,
};

export function typeOrder(v: unknown): number {
  return TYPE_ORDER[bsonType(v)];
}

export function isNumeric(v: unknown): boolean {
  if (typeof v === 'number' || typeof v === 'bigint') return true;
  const tag = bsonTag(v);
  return tag === 'Decimal128' || tag === 'Long' || tag === 'Int32' || tag === 'Double';
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers: exact comparison through rationals when the fast paths do not apply.

type NumericValue =
  | { kind: 'nan' }
  | { kind: 'inf'; sign: 1 | -1 }
  | { kind: 'finite'; num: bigint; den: bigint };

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d*))?(?:E([+-]?\d+))?$/i;

function rationalFromDouble(n: number): NumericValue {
  if (Number.isNaN(n)) return { kind: 'nan' };
  if (!Number.isFinite(n)) return { kind: 'inf', sign: n > 0 ? 1 : -1 };
  if (Number.isInteger(n)) return { kind: 'finite', num: BigInt(n), den: 1n };
  // A finite double is m * 2^e exactly; scale by powers of two until it is an integer.
  let den = 1n;
  let scaled = n;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    den *= 2n;
  }
  return { kind: 'finite', num: BigInt(scaled), den };
}

function rationalFromDecimalString(s: string): NumericValue {
  if (/^[+-]?nan$/i.test(s)) return { kind: 'nan' };
  if (/^[+-]?inf(inity)?$/i.test(s)) return { kind: 'inf', sign: s.startsWith('-') ? -1 : 1 };
  const m = DECIMAL_RE.exec(s);
  if (!m) return { kind: 'nan' };
  const fraction = m[3] ?? '';
  let digits = BigInt(m[2] + fraction);
  if (m[1] === '-') digits = -digits;
  const exponent = Number(m[4] ?? '0') - fraction.length;
  if (exponent >= 0) return { kind: 'finite', num: digits * 10n ** BigInt(exponent), den: 1n };
  return { kind: 'finite', num: digits, den: 10n ** BigInt(-exponent) };
}

function toNumericValue(v: unknown): NumericValue {
  if (typeof v === 'number') return rationalFromDouble(v);
  if (typeof v === 'bigint') return { kind: 'finite', num: v, den: 1n };
  const tag = bsonTag(v);
  if (tag === 'Long') return { kind: 'finite', num: BigInt(String(v)), den: 1n };
  if (tag === 'Int32' || tag === 'Double') return rationalFromDouble(Number((v as { valueOf(): unknown }).valueOf()));
  return rationalFromDecimalString(String(v));
}

/** -1/0/1 comparing numeric values exactly. NaN equals NaN and sorts below every other number (as in MongoDB). */
export function compareNumbers(first: unknown, second: unknown): number {
  const a = isDouble(first) ? first.value : first;
  const b = isDouble(second) ? second.value : second;
  if (typeof a === 'number' && typeof b === 'number') {
    if (a < b) return -1;
    if (a > b) return 1;
    if (a === b) return 0;
    return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = toNumericValue(a);
  const y = toNumericValue(b);
  if (x.kind === 'nan' || y.kind === 'nan') return x.kind === y.kind ? 0 : x.kind === 'nan' ? -1 : 1;
  if (x.kind === 'inf' || y.kind === 'inf') {
    const sx = x.kind === 'inf' ? x.sign * 2 : 0;
    const sy = y.kind === 'inf' ? y.sign * 2 : 0;
    return Math.sign(sx - sy);
  }
  const left = x.num * y.den;
  const right = y.num * x.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------

/** Compares strings by Unicode code point, which is the order of their UTF-8 bytes (MongoDB's simple collation). */
const SURROGATE = /[\uD800-\uDFFF]/;

export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order equals code point order unless a surrogate is involved (the native comparison is much faster).
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // UTF-16 puts surrogates (astral code points) below U+E000..U+FFFF; code point order puts them above.
    if (ca >= 0xd800 && cb >= 0xd800) {
      ca = ca >= 0xe000 ? ca - 0x800 : ca + 0x2000;
      cb = cb >= 0xe000 ? cb - 0x800 : cb + 0x2000;
    }
    return ca < cb ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return sign(a.length - b.length);
}

function binaryParts(v: unknown): { bytes: Uint8Array; subtype: number } {
  if (v instanceof Uint8Array) return { bytes: v, subtype: 0 };
  const bin = v as { buffer: Uint8Array; position: number; sub_type: number };
  return { bytes: bin.buffer.subarray(0, bin.position), subtype: bin.sub_type };
}

function regexParts(v: unknown): { pattern: string; flags: string } {
  if (v instanceof RegExp) return { pattern: v.source, flags: v.flags.split('').sort().join('') };
  const r = v as { pattern: string; options: string };
  return { pattern: r.pattern, flags: r.options };
}

function objectIdBytes(v: unknown): Uint8Array {
  return (v as { id: Uint8Array }).id;
}

function stringValue(v: unknown): string {
  return typeof v === 'string' ? v : String((v as { value: unknown }).value);
}

function timestampParts(v: unknown): { t: number; i: number } {
  const ts = v as { t: number; i: number };
  return { t: ts.t, i: ts.i };
}

/** The entries of a plain or DBRef object in BSON field order. */
function objectEntries(v: unknown): [string, unknown][] {
  if (bsonTag(v) === 'DBRef') {
    const ref = v as { toJSON(): Record<string, unknown> };
    return Object.entries(ref.toJSON());
  }
  return Object.entries(v as Record<string, unknown>);
}

function compareObjects(a: unknown, b: unknown, collator: Collator | undefined): number {
  const ea = objectEntries(a);
  const eb = objectEntries(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    const byType = sign(typeOrder(ea[i][1]) - typeOrder(eb[i][1]));
    if (byType !== 0) return byType;
    const byName = compareStrings(ea[i][0], eb[i][0]);
    if (byName !== 0) return byName;
    const byValue = compareValues(ea[i][1], eb[i][1], collator);
    if (byValue !== 0) return byValue;
  }
  return sign(ea.length - eb.length);
}

function compareArrays(a: unknown[], b: unknown[], collator: Collator | undefined): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const byValue = compareValues(a[i], b[i], collator);
    if (byValue !== 0) return byValue;
  }
  return sign(a.length - b.length);
}

function compareCode(a: unknown, b: unknown, collator: Collator | undefined): number {
  const ca = a as { code: string; scope?: unknown };
  const cb = b as { code: string; scope?: unknown };
  const byCode = compareStrings(ca.code, cb.code);
  if (byCode !== 0) return byCode;
  const sa = ca.scope ?? null;
  const sb = cb.scope ?? null;
  if (sa === null || sb === null) return sa === sb ? 0 : sa === null ? -1 : 1;
  return compareObjects(sa, sb, collator);
}

/** Compares two values of the same canonical type rank. */
function compareSameRank(type: BsonTypeName, a: unknown, b: unknown, collator: Collator | undefined): number {
  switch (type) {
    case 'minKey':
    case 'maxKey':
    case 'null':
    case 'undefined':
      return 0;
    case 'int':
    case 'long':
    case 'double':
    case 'decimal':
      return compareNumbers(a, b);
    case 'string': {
      const sa = stringValue(a);
      const sb = stringValue(b);
      return collator ? sign(collator.compare(sa, sb)) : compareStrings(sa, sb);
    }
    case 'object':
      return compareObjects(a, b, collator);
    case 'array':
      return compareArrays(a as unknown[], b as unknown[], collator);
    case 'binData': {
      const x = binaryParts(a);
      const y = binaryParts(b);
      if (x.bytes.length !== y.bytes.length) return sign(x.bytes.length - y.bytes.length);
      if (x.subtype !== y.subtype) return sign(x.subtype - y.subtype);
      return compareBytes(x.bytes, y.bytes);
    }
    case 'objectId':
      return compareBytes(objectIdBytes(a), objectIdBytes(b));
    case 'bool':
      return a === b ? 0 : a ? 1 : -1;
    case 'date': {
      const ta = (a as Date).getTime();
      const tb = (b as Date).getTime();
      return compareNumbers(ta, tb);
    }
    case 'timestamp': {
      const x = timestampParts(a);
      const y = timestampParts(b);
      return x.t !== y.t ? sign(x.t - y.t) : sign(x.i - y.i);
    }
    case 'regex': {
      const x = regexParts(a);
      const y = regexParts(b);
      return compareStrings(x.pattern, y.pattern) || compareStrings(x.flags, y.flags);
    }
    case 'javascript':
      return compareCode(a, b, collator);
  }
}

/** MongoDB's total order: -1, 0 or 1. */
export function compareValues(a: unknown, b: unknown, collator?: Collator): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return collator ? sign(collator.compare(a, b)) : compareStrings(a, b);
  const ta = bsonType(a);
  const tb = bsonType(b);
  const byRank = sign(TYPE_ORDER[ta] - TYPE_ORDER[tb]);
  if (byRank !== 0) return byRank;
  return compareSameRank(ta, a, b, collator);
}

export function valuesEqual(a: unknown, b: unknown, collator?: Collator): boolean {
  if (a === b) return true;
  return compareValues(a, b, collator) === 0;
}

/**
 * `compareValues` with one extra value, `bottom`, that sorts right above MinKey and below everything else: a missing
 * value in aggregation comparisons, an empty array among sort keys.
 */
export function compareWithBottom(a: unknown, b: unknown, bottom: unknown, collator?: Collator): number {
  if (a !== bottom && b !== bottom) return compareValues(a, b, collator);
  if (a === b) return 0;
  const other = a === bottom ? b : a;
  const bottomFirst = bsonType(other) === 'minKey' ? 1 : -1;
  return a === bottom ? bottomFirst : -bottomFirst;
}
