/**
 * The BSON size of a document an update built from another, measured from the old size and the fields that
 * changed. An update builds its result copy-on-write and notes which top-level fields it touched (`bson/derived.ts`):
 * every other field is the very same value in both documents, so it is not measured again (`calculateObjectSize` of
 * the whole document was the largest single cost of an update). Exact by construction, equal to
 * `calculateObjectSize(next, {ignoreUndefined: false})`: a BSON document's size is 5 bytes plus the sum of its
 * elements' sizes, whatever their order, so only the elements added, removed or changed are measured, by bson's own
 * rules. Inside a changed field, values that are the same object in both are skipped too: stored documents are never
 * mutated (DESIGN.md), so the same object has the same content.
 */
import { calculateObjectSize } from 'bson';
import type { Document } from '../types';

/**
 * `calculateObjectSize(next)` for `next` replacing `prev`, whose BSON size is `prevSize`. `changedFields`: a superset
 * of the top-level fields in which they differ; without it the whole document is measured.
 */
export function sizeAfterUpdate(prev: Document, prevSize: number, next: Document, changedFields: readonly string[] | undefined): number {
  if (changedFields === undefined || !isPlainDocument(prev) || !isPlainDocument(next)) return bsonSize(next);
  let delta = 0;
  for (const key of changedFields) {
    const before = isField(prev, key);
    const after = isField(next, key);
    if (before && after) delta += elementDelta(key, prev[key], next[key]);
    else if (after) delta += elementSize(key, next[key]);
    else if (before) delta -= elementSize(key, prev[key]);
  }
  return prevSize + delta;
}

function bsonSize(doc: Document): number {
  return calculateObjectSize(doc, { ignoreUndefined: false });
}

/**
 * Whether BSON serialises `value` as an embedded document made of its own enumerable keys: a plain object that is
 * neither a BSON value class (`_bsontype`) nor converted first (`toBSON`).
 */
function isPlainDocument(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const fields = value as Record<string, unknown>;
  return typeof fields.toBSON !== 'function' && typeof fields._bsontype !== 'string';
}

/** A plain array, serialised as a document whose keys are its indexes "0", "1", … up to its length. */
function isPlainArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype && typeof (value as { toBSON?: unknown }).toBSON !== 'function';
}

/** Size of the element `key: value` inside a document: its type byte, key and its NUL, and value bytes. */
function elementSize(key: string, value: unknown): number {
  const bytes = scalarBytes(value);
  return bytes === undefined ? bsonSize({ [key]: value }) - 5 : 2 + Buffer.byteLength(key, 'utf8') + bytes;
}

/**
 * Value bytes of the common scalars, by the rules of bson's `calculateObjectSize` (an integral number in int32 range
 * other than -0 is an int32, any other number a double; undefined is kept as null); undefined for anything else,
 * which is then measured by bson itself.
 */
function scalarBytes(value: unknown): number | undefined {
  switch (typeof value) {
    case 'string':
      return 4 + Buffer.byteLength(value, 'utf8') + 1;
    case 'number':
      return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0) ? 4 : 8;
    case 'boolean':
      return 1;
    case 'undefined':
      return 0;
    case 'object':
      if (value === null) return 0;
      return value instanceof Date ? 8 : undefined;
    default:
      return undefined;
  }
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/** Size change of an element kept under the same key whose value went from `before` to `after`. */
function elementDelta(key: string, before: unknown, after: unknown): number {
  if (Object.is(before, after)) return 0;
  if (isPlainDocument(before) && isPlainDocument(after)) return documentDelta(before, after);
  if (isPlainArray(before) && isPlainArray(after)) return arrayDelta(before, after);
  const beforeBytes = scalarBytes(before);
  const afterBytes = scalarBytes(after);
  if (beforeBytes !== undefined && afterBytes !== undefined) return afterBytes - beforeBytes;
  return elementSize(key, after) - elementSize(key, before);
}

function documentDelta(prev: Document, next: Document): number {
  let delta = 0;
  let kept = 0;
  for (const key of Object.keys(next)) {
    if (isField(prev, key)) {
      kept++;
      delta += elementDelta(key, prev[key], next[key]);
    } else {
      delta += elementSize(key, next[key]);
    }
  }
  const prevKeys = Object.keys(prev);
  if (kept === prevKeys.length) return delta;
  for (const key of prevKeys) if (!isField(next, key)) delta -= elementSize(key, prev[key]);
  return delta;
}

function arrayDelta(prev: unknown[], next: unknown[]): number {
  let delta = 0;
  const common = Math.min(prev.length, next.length);
  for (let i = 0; i < common; i++) delta += elementDelta(String(i), prev[i], next[i]);
  for (let i = common; i < next.length; i++) delta += elementSize(String(i), next[i]);
  for (let i = common; i < prev.length; i++) delta -= elementSize(String(i), prev[i]);
  return delta;
}

/** An own enumerable key: the keys `calculateObjectSize` counts. */
function isField(doc: Document, key: string): boolean {
  return Object.prototype.propertyIsEnumerable.call(doc, key);
}
