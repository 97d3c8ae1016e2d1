/**
 * Dotted-path lookups with MongoDB's implicit array traversal, shared by the matcher, sort, projection, update,
 * aggregation and index keys.
 */
import type { Document } from '../types';
import { bsonTag } from '../bson/compare';

/** One value a query path reaches in a document. */
export interface PathCandidate {
  /** The value, or undefined when `missing`. */
  value: unknown;
  /** True when the path does not exist along this branch. */
  missing: boolean;
  /** True when this is an element of the array found at the end of the path (not the array itself). */
  expanded: boolean;
  /** Index, in the first array the path went through, of the element this candidate came from. */
  arrayIndex: number | undefined;
  /** True when the path ended on an explicit array index ("a.0"): an array value here was not expanded. */
  indexed?: boolean;
}

/** A plain embedded document (not an array, not a bson class instance, not a Date). */
export function isPlainDocument(v: unknown): v is Document {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  if (v instanceof Date || v instanceof RegExp || v instanceof Uint8Array) return false;
  const tag = bsonTag(v);
  return tag === undefined;
}

export function splitPath(path: string): string[] {
  return path.split('.');
}

/** A path component usable as an array index ("0", "12"; not "01", "-1", "1e2"). */
export function arrayIndexOf(part: string): number | undefined {
  if (!/^(0|[1-9]\d*)$/.test(part)) return undefined;
  const n = Number(part);
  return Number.isSafeInteger(n) ? n : undefined;
}

function pushLeaf(out: PathCandidate[], value: unknown, arrayIndex: number | undefined): void {
  if (Array.isArray(value)) {
    value.forEach((element, i) => out.push({ value: element, missing: false, expanded: true, arrayIndex: arrayIndex ?? i }));
  }
  out.push({ value, missing: false, expanded: false, arrayIndex });
}

function walk(value: unknown, parts: string[], i: number, arrayIndex: number | undefined, out: PathCandidate[]): void {
  if (i === parts.length) {
    pushLeaf(out, value, arrayIndex);
    return;
  }
  const key = parts[i];
  if (Array.isArray(value)) {
    const index = arrayIndexOf(key);
    if (index !== undefined && index < value.length) walkIndexed(value[index], parts, i + 1, arrayIndex, out);
    value.forEach((element, j) => {
      if (isPlainDocument(element)) walkField(element, parts, i, arrayIndex ?? j, out);
    });
    return;
  }
  if (isPlainDocument(value)) {
    walkField(value, parts, i, arrayIndex, out);
    return;
  }
  out.push({ value: undefined, missing: true, expanded: false, arrayIndex });
}

/**
 * Continues a path through an explicit array index ("a.0"), following MongoDB's iterator: the element at the end
 * of the path is yielded as it is (an array there is not expanded), an indexed scalar cannot continue a longer path
 * (it yields nothing, not "missing"), and an explicit index is no implicit traversal, so it sets no `$` position.
 */
function walkIndexed(element: unknown, parts: string[], i: number, arrayIndex: number | undefined, out: PathCandidate[]): void {
  if (i === parts.length) {
    out.push({ value: element, missing: false, expanded: false, arrayIndex, indexed: true });
    return;
  }
  if (isPlainDocument(element) || Array.isArray(element)) walk(element, parts, i, arrayIndex, out);
}

function walkField(doc: Document, parts: string[], i: number, arrayIndex: number | undefined, out: PathCandidate[]): void {
  if (!Object.prototype.hasOwnProperty.call(doc, parts[i])) {
    out.push({ value: undefined, missing: true, expanded: false, arrayIndex });
    return;
  }
  walk(doc[parts[i]], parts, i + 1, arrayIndex, out);
}

/**
 * Every value a query path reaches, as the matcher sees them: arrays in the middle of the path are traversed
 * (elements that are documents are searched, numeric components also index the array), and an array at the end
 * yields each of its elements plus the array itself. Missing branches yield a `missing` candidate.
 */
export function walkPath(doc: unknown, path: string | string[]): PathCandidate[] {
  const parts = typeof path === 'string' ? splitPath(path) : path;
  const out: PathCandidate[] = [];
  walk(doc, parts, 0, undefined, out);
  return out;
}

/**
 * The values stored at a path, arrays traversed at every level and arrays at the end replaced by their elements
 * (the values an index or a sort key is built from). A missing path or an empty leaf array gives [].
 */
export function getPathValues(doc: unknown, path: string | string[]): unknown[] {
  const values: unknown[] = [];
  for (const c of walkPath(doc, path)) {
    if (c.missing) continue;
    if (!Array.isArray(c.value) || c.expanded) values.push(c.value);
    else if (c.indexed) values.push(...c.value);
  }
  return values;
}

/**
 * Aggregation-style field path lookup ("$a.b" in an expression): "a.b" on `{a: [{b: 1}, {b: 2}, {c: 3}]}` gives
 * `[1, 2]`. An array maps over its documents only (scalars and nested arrays are skipped, as in MongoDB); numeric
 * components are field names, never array indexes; only own fields are read. Undefined when missing.
 */
export function readFieldPath(value: unknown, parts: readonly string[], index = 0): unknown {
  if (index === parts.length) return value;
  if (isPlainDocument(value)) return readFieldPath(ownValue(value, parts[index]), parts, index + 1);
  if (!Array.isArray(value)) return undefined;
  const found: unknown[] = [];
  for (const element of value) {
    if (!isPlainDocument(element)) continue;
    const nested = readFieldPath(ownValue(element, parts[index]), parts, index + 1);
    if (nested !== undefined) found.push(nested);
  }
  return found;
}

function ownValue(doc: Document, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(doc, key) ? doc[key] : undefined;
}

export function getPathValue(doc: unknown, path: string | string[]): unknown {
  return readFieldPath(doc, typeof path === 'string' ? splitPath(path) : path);
}

/** True when the path exists (through arrays as the matcher sees it). */
export function pathExists(doc: unknown, path: string | string[]): boolean {
  return walkPath(doc, path).some((c) => !c.missing);
}
