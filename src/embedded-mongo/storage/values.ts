/** Small value helpers the storage engine needs beside `bson/compare`. */
import { Binary, ObjectId } from 'bson';
import { jsNumber, readsAsInt32 } from '../bson/double';

/** A plain embedded document (not an array, Date or BSON class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A string identifying an `_id` value for hash maps, equal for values MongoDB treats as the same `_id`
 * (1, 1.0 and 1n are one key). Only used where the `_id` index is not available (transaction overlays).
 */
export function idKey(value: unknown): string {
  if (typeof value === 'string') return `s:${value}`;
  const n = jsNumber(value);
  if (n !== undefined) return Number.isInteger(n) ? `n:${BigInt(n)}` : `n:${n}`;
  if (typeof value === 'bigint') return `n:${value}`;
  if (value instanceof ObjectId) return `o:${value.toHexString()}`;
  if (value instanceof Date) return `d:${value.getTime()}`;
  if (value instanceof Binary) return `b:${value.sub_type}:${Buffer.from(value.buffer).toString('base64')}`;
  return `x:${describeValue(value)}`;
}

/** MongoDB-shell-like rendering used in error messages such as `dup key: { email: "a@b.c" }`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  const n = jsNumber(value);
  if (n !== undefined) return describeNumber(n, typeof value === 'number' && readsAsInt32(n));
  if (typeof value === 'bigint') return `${value}`;
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (Array.isArray(value)) return `[ ${value.map(describeValue).join(', ')} ]`;
  if (isPlainObject(value)) return describeFields(value);
  return String(value);
}

/** mongod prints an int32 as "3" and a double with an integral value as "3.0". */
function describeNumber(n: number, int32: boolean): string {
  if (int32 || !Number.isInteger(n)) return String(n);
  return Object.is(n, -0) ? '-0.0' : n.toFixed(1);
}

export function describeFields(fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k}: ${describeValue(v)}`);
  return parts.length ? `{ ${parts.join(', ')} }` : '{}';
}
