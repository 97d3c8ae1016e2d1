/**
 * Index key generation: one key tuple per document (several for a multikey index), following MongoDB: a missing
 * field indexes as null, an array indexes each element (an empty array as undefined), and the fields of a compound
 * index may only cross arrays on one path (171 "cannot index parallel arrays"; `answers.q` with `answers.v` is fine).
 * Fields under a shared array are combined as a cross product: a superset of MongoDB's keys, which only widens
 * index scans (the matcher re-checks) and is slightly stricter for unique compound indexes over arrays.
 */
import { compareValues } from '../bson/compare';
import { MongoServerError } from '../errors';
import type { Document } from '../types';
import { isPlainObject } from './values';

export interface DocumentKeys {
  /** Distinct key tuples, each with one value per indexed field. */
  keys: unknown[][];
  /** true when some indexed field reached an array (the index becomes multikey). */
  multikey: boolean;
  /** true when at least one indexed field exists (sparse indexes skip documents where none does). */
  anyFieldPresent: boolean;
}

interface FieldValues {
  values: unknown[];
  /** Dotted paths at which this field's traversal met an array. */
  arrayPaths: Set<string>;
  present: boolean;
}

/** `paths`: each field split on '.', when the caller has it already (an index splits its fields once). */
export function documentKeys(doc: Document, fields: string[], paths?: string[][]): DocumentKeys {
  const simple = scalarKey(doc, paths ?? fields.map((field) => field.split('.')));
  if (simple) return simple;
  const perField = fields.map((path) => fieldValues(doc, path));
  checkParallelArrays(fields, perField);
  let keys: unknown[][] = [[]];
  for (const field of perField) keys = keys.flatMap((prefix) => field.values.map((v) => [...prefix, v]));
  return { keys, multikey: perField.some((f) => f.arrayPaths.size > 0), anyFieldPresent: perField.some((f) => f.present) };
}

/**
 * The common case without allocating per-field state: no indexed path meets an array, so the document has exactly
 * one key tuple. Undefined when some path meets an array (the general walk handles it).
 */
function scalarKey(doc: Document, paths: string[][]): DocumentKeys | undefined {
  const key: unknown[] = new Array(paths.length);
  let anyFieldPresent = false;
  for (let f = 0; f < paths.length; f++) {
    const parts = paths[f];
    let value: unknown = doc;
    let present = true;
    for (let depth = 0; depth < parts.length; depth++) {
      if (Array.isArray(value)) return undefined;
      if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, parts[depth])) {
        present = false;
        break;
      }
      value = value[parts[depth]];
    }
    if (!present) {
      key[f] = null;
      continue;
    }
    if (Array.isArray(value)) return undefined;
    key[f] = value;
    anyFieldPresent = true;
  }
  return { keys: [key], multikey: false, anyFieldPresent };
}

/** Two fields crossing arrays at unrelated paths (neither a prefix of the other) cannot share an index. */
function checkParallelArrays(fields: string[], perField: FieldValues[]): void {
  const seen: Array<{ field: string; path: string }> = [];
  perField.forEach((values, i) => {
    for (const path of values.arrayPaths) {
      const clash = seen.find((other) => other.field !== fields[i] && !pathsNest(other.path, path));
      if (clash) throw new MongoServerError('CannotIndexParallelArrays', `cannot index parallel arrays [${fields[i]}] [${clash.field}]`);
      seen.push({ field: fields[i], path });
    }
  });
}

function pathsNest(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

function fieldValues(doc: Document, path: string): FieldValues {
  const state: FieldValues = { values: [], arrayPaths: new Set(), present: false };
  walk(doc, path.split('.'), 0, state);
  state.values = distinct(state.values);
  return state;
}

function walk(value: unknown, parts: string[], depth: number, state: FieldValues): void {
  if (depth === parts.length) {
    state.present = true;
    if (!Array.isArray(value)) state.values.push(value);
    else {
      state.arrayPaths.add(parts.join('.'));
      if (value.length === 0) state.values.push(undefined);
      else state.values.push(...value);
    }
    return;
  }
  const part = parts[depth];
  if (Array.isArray(value)) {
    state.arrayPaths.add(parts.slice(0, depth).join('.'));
    if (/^\d+$/.test(part) && Number(part) < value.length) {
      walk(value[Number(part)], parts, depth + 1, state);
      return;
    }
    if (value.length === 0) state.values.push(null);
    for (const element of value) {
      if (isPlainObject(element)) walk(element, parts, depth, state);
      else state.values.push(null);
    }
    return;
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, part)) {
    walk(value[part], parts, depth + 1, state);
    return;
  }
  state.values.push(null);
}

/** Removes duplicates (by MongoDB equality, binary string comparison) so a document has each key once. */
function distinct(values: unknown[]): unknown[] {
  if (values.length < 2) return values;
  const sorted = [...values].sort((a, b) => compareValues(a, b));
  return sorted.filter((v, i) => i === 0 || compareValues(sorted[i - 1], v) !== 0);
}
