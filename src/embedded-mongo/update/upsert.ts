/**
 * The base of a document created by an upsert: the query's equality conditions (`{a: 1}`, `{a: {$eq: 1}}`,
 * `{a: {$in: [1]}}`, `{a: {$all: [1]}}`, those inside `$and`), with dotted paths building embedded documents, fields
 * in path order, `_id` first.
 */
import { bsonTag } from '../bson/compare';
import { deepClone } from '../bson/clone';
import { idFirst } from '../bson/fields';
import { mongoError } from '../errors';
import { isPlainDocument } from '../query/paths';
import type { Document } from '../types';
import { hasField, withField } from './walk';

function isOperatorObject(v: unknown): v is Document {
  if (!isPlainDocument(v)) return false;
  const first = Object.keys(v)[0];
  return first !== undefined && first.startsWith('$');
}

function isRegex(v: unknown): boolean {
  return v instanceof RegExp || bsonTag(v) === 'BSONRegExp';
}

/**
 * The values a field condition pins the field to: mongod's equality match expressions after optimisation. `$eq`,
 * a one-element `$in`, and each plain element of `$all` (two of them pin the path twice, which is an error).
 */
function equalityValues(condition: unknown): unknown[] {
  if (isRegex(condition)) return [];
  if (!isOperatorObject(condition)) return [condition];
  const values: unknown[] = [];
  if (hasField(condition, '$eq')) values.push(condition.$eq);
  const { $in: inList, $all: allList } = condition;
  if (Array.isArray(inList) && inList.length === 1 && !isRegex(inList[0])) values.push(inList[0]);
  if (Array.isArray(allList)) {
    values.push(...allList.filter((v) => !isRegex(v) && !(isPlainDocument(v) && hasField(v, '$elemMatch'))));
  }
  return values;
}

function collectEqualities(filter: Document, out: [string, unknown][]): void {
  for (const [key, condition] of Object.entries(filter)) {
    // A one-clause $or is the clause itself once mongod has optimised the query.
    const isAnd = key === '$and' || (key === '$or' && Array.isArray(condition) && condition.length === 1);
    if (isAnd && Array.isArray(condition)) {
      for (const clause of condition) if (isPlainDocument(clause)) collectEqualities(clause, out);
      continue;
    }
    if (key.startsWith('$')) continue;
    for (const value of equalityValues(condition)) out.push([key, value]);
  }
}

/** Two equalities may not pin the same path, or a path and one inside it. */
function assertSingleValuePaths(paths: string[]): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = 0; j < i; j++) {
      if (paths[i] === paths[j]) {
        throw mongoError('NotSingleValueField', `cannot infer query fields to set, path '${paths[i]}' is matched twice`);
      }
      if (paths[i].startsWith(`${paths[j]}.`) || paths[j].startsWith(`${paths[i]}.`)) {
        throw mongoError('NotSingleValueField', `cannot infer query fields to set, both paths '${paths[i]}' and '${paths[j]}' are matched`);
      }
    }
  }
}

function setAtPath(doc: Document, names: string[], value: unknown): Document {
  const [head, ...rest] = names;
  if (rest.length === 0) return withField(doc, head, value);
  const existing = hasField(doc, head) && isPlainDocument(doc[head]) ? doc[head] : {};
  return withField(doc, head, setAtPath(existing, rest, value));
}

export function upsertSeed(filter: unknown): Document {
  if (!isPlainDocument(filter)) return {};
  const equalities: [string, unknown][] = [];
  collectEqualities(filter, equalities);
  assertSingleValuePaths(equalities.map(([path]) => path));
  // mongod keeps the equalities in a map ordered by path, and builds the document in that order.
  equalities.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let seed: Document = {};
  for (const [path, value] of equalities) seed = setAtPath(seed, path.split('.'), deepClone(value));
  return idFirst(seed);
}
