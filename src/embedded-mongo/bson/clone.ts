/**
 * Deep copy of a BSON value. Plain objects and arrays are copied recursively; Dates and Binary payloads are copied
 * because they are mutable; the other bson class instances (ObjectId, Decimal128, Timestamp, ...) are immutable and
 * shared as they are, so their class (and `_bsontype`) survives the copy.
 */
import { Binary } from 'bson';
import { bsonTag } from './compare';
import { defineField } from './fields';

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function deepClone<T>(v: T): T {
  return cloneValue(v) as T;
}

function cloneValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof Uint8Array) return Uint8Array.prototype.slice.call(v);
  if (bsonTag(v) === 'Binary') {
    const bin = v as Binary;
    return new Binary(Uint8Array.prototype.slice.call(bin.buffer, 0, bin.position), bin.sub_type);
  }
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) defineField(out, key, cloneValue(value));
  return out;
}
