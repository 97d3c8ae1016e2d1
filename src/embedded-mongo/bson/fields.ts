/** Writing document fields: safely whatever their name, and `_id` first as MongoDB stores and answers it. */
import type { Document } from '../types';

/**
 * Sets `key` as an own data property: plain assignment would treat a field literally named "__proto__" (legal in
 * BSON) as the object's prototype, losing the field and changing what the document inherits.
 */
export function defineField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** `doc` with `_id` (when it has one) as its first field; `doc` itself when it already is. */
export function idFirst(doc: Document): Document {
  if (!Object.prototype.hasOwnProperty.call(doc, '_id') || Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}
