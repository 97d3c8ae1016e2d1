/**
 * Doubles whose value a JS number would misreport. The server holds int32 and double values as JS numbers and
 * reads an integral number in int32 range (other than -0) as an int32, which is also how bson's serializer writes
 * it. A double holding such a value (`42.0`) is therefore kept as bson's `Double`, so it stays a double for `$type`,
 * for arithmetic result types, in the journal and in replies. Every other double is a plain JS number.
 */
import { Double } from 'bson';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Whether a plain JS number stands for an int32 (and so cannot stand for a double of the same value). */
export function readsAsInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);
}

export function isDouble(v: unknown): v is Double {
  return typeof v === 'object' && v !== null && (v as { _bsontype?: unknown })._bsontype === 'Double';
}

/** A double result of value `n`: a `Double` when a plain number would read as an int32, the number itself otherwise. */
export function double(n: number): number | Double {
  return readsAsInt32(n) ? new Double(n) : n;
}

/** The value of an int32 or a double (a number or a `Double`); undefined for anything else. */
export function jsNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return isDouble(v) ? v.value : undefined;
}

/** A number a client sent as int32, int64 or double, as a JS number; undefined for anything else. */
export function numberOf(v: unknown): number | undefined {
  return typeof v === 'bigint' ? Number(v) : jsNumber(v);
}
