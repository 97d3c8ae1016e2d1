/**
 * The BSON size of a document that replaces another, measured from the old size and what changed. An update builds
 * its result copy-on-write, so the new document shares every untouched value with the old one: those elements are
 * the same size in both and are not measured again (`calculateObjectSize` of the whole document was the largest
 * single cost of an update). Exact by construction, equal to `calculateObjectSize(next, {ignoreUndefined: false})`:
 * a BSON document's size is 5 bytes plus the sum of its elements' sizes, whatever their order, so only elements
 * added, removed or changed are measured, each with `calculateObjectSize` itself. This relies on stored documents
 * never being mutated (DESIGN.md): a value that is the same object in both documents has the same content.
 */
import { calculateObjectSize } from 'bson';
import type { Document } from '../types';

/** `calculateObjectSize(next)` for `next` replacing `prev`, whose BSON size is `prevSize`. */
export function sizeAfterReplace(prev: Document, prevSize: number, next: Document): number {
  if (!isPlainDocument(prev) || !isPlainDocument(next)) return bsonSize(next);
  return prevSize + documentDelta(prev, next);
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

/** Size of the element `key: value` inside a document: its type byte, key, and value bytes. */
function elementSize(key: string, value: unknown): number {
  return bsonSize({ [key]: value }) - 5;
}

/** Size change of an element kept under the same key whose value went from `before` to `after`. */
function elementDelta(key: string, before: unknown, after: unknown): number {
  if (Object.is(before, after)) return 0;
  if (isPlainDocument(before) && isPlainDocument(after)) return documentDelta(before, after);
  if (isPlainArray(before) && isPlainArray(after)) return arrayDelta(before, after);
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
