/**
 * Whether two values would serialise to the same BSON bytes: same types, same field order, same values. This is
 * how mongod decides an update was a no-op (nModified 0); `valuesEqual` is too lenient (1 equals 1.0 and 1n).
 */
import { bsonTag, bsonType, compareValues } from '../bson/compare';
import { jsNumber } from '../bson/double';

export function identical(a: unknown, b: unknown): boolean {
  const x = jsNumber(a);
  const y = jsNumber(b);
  // Same type (an int32 is not the double 1.0), then Object.is: -0 is not 0, and NaN equals itself.
  if (x !== undefined || y !== undefined) return x !== undefined && y !== undefined && bsonType(a) === bsonType(b) && Object.is(x, y);
  if (a === b) return true;
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return identicalArrays(a, b);
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  const tag = bsonTag(a);
  if (tag !== bsonTag(b)) return false;
  if (tag === 'Decimal128') return String(a) === String(b);
  if (tag !== undefined) return compareValues(a, b) === 0;
  return identicalDocuments(a as Record<string, unknown>, b as Record<string, unknown>);
}

function identicalArrays(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  return a.every((element, i) => identical(element, b[i]));
}

function identicalDocuments(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((key, i) => key === kb[i] && identical(a[key], b[key]));
}
