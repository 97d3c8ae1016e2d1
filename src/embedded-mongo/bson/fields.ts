/** Writing a document field safely, whatever its name. */

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
