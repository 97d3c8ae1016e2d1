/**
 * Whether two values would serialise to the same BSON bytes: same types, same field order, same values. This is
 * how mongod decides an update was a no-op (nModified 0); `valuesEqual` is too lenient (1 equals 1.0 and 1n).
 */
import { bsonTag, compareValues } from '../bson/compare';

export function identical(a: unknown, b: unknown): boolean {
  // Object.is tells -0 (a double) from 0 (an int32) and lets NaN equal itself.
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
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
