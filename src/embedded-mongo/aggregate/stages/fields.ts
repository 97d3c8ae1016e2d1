/** Copy-on-write access to dotted fields for stages that write one path ($unwind, $lookup's `as`). */
import { defineField } from '../../bson/fields';
import type { Document } from '../../types';
import { isDocument } from '../values';

/** The value at `parts` following embedded documents only (no array traversal); undefined when missing. */
export function getField(doc: Document, parts: readonly string[]): unknown {
  let value: unknown = doc;
  for (const part of parts) {
    if (!isDocument(value)) return undefined;
    value = value[part];
  }
  return value;
}

/** A copy of `doc` with `parts` set to `value` (or removed when `value` is undefined); non-documents on the way become {}. */
export function setField(doc: Document, parts: readonly string[], value: unknown): Document {
  const [head, ...rest] = parts;
  const out: Document = { ...doc };
  if (rest.length === 0) {
    if (value === undefined) delete out[head];
    else defineField(out, head, value);
    return out;
  }
  const child = out[head];
  if (!isDocument(child) && value === undefined) return out;
  defineField(out, head, setField(isDocument(child) ? child : {}, rest, value));
  return out;
}
