/**
 * Index key generation: one key tuple per document (several for a multikey index), following MongoDB: a missing
 * field indexes as null, an array indexes each element (an empty array as undefined), and a compound index may
 * have at most one array field per document (171 "cannot index parallel arrays").
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
  throughArray: boolean;
  present: boolean;
}

export function documentKeys(doc: Document, fields: string[]): DocumentKeys {
  const perField = fields.map((path) => fieldValues(doc, path));
  const arrayFields = fields.filter((_, i) => perField[i].throughArray);
  if (arrayFields.length > 1) {
    throw new MongoServerError('CannotIndexParallelArrays', `cannot index parallel arrays [${arrayFields[1]}] [${arrayFields[0]}]`);
  }
  let keys: unknown[][] = [[]];
  for (const field of perField) keys = keys.flatMap((prefix) => field.values.map((v) => [...prefix, v]));
  return { keys, multikey: arrayFields.length > 0, anyFieldPresent: perField.some((f) => f.present) };
}

function fieldValues(doc: Document, path: string): FieldValues {
  const state: FieldValues = { values: [], throughArray: false, present: false };
  walk(doc, path.split('.'), 0, state);
  state.values = distinct(state.values);
  return state;
}

function walk(value: unknown, parts: string[], depth: number, state: FieldValues): void {
  if (depth === parts.length) {
    state.present = true;
    if (!Array.isArray(value)) state.values.push(value);
    else {
      state.throughArray = true;
      if (value.length === 0) state.values.push(undefined);
      else state.values.push(...value);
    }
    return;
  }
  const part = parts[depth];
  if (Array.isArray(value)) {
    state.throughArray = true;
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
