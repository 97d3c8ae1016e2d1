/** Validation and comparison of index specs for createIndexes. */
import { numberOf } from '../bson/double';
import { MongoServerError } from '../errors';
import { normalizeCollation } from '../query/collation';
import { checkTextIndexCollation, isTextIndexKey, normaliseTextIndex } from '../text/index-spec';
import type { CollationSpec, Document, IndexSpec } from '../types';
import { ID_INDEX_NAME, keyDirection } from './collection-index';
import { isPlainObject } from './values';

/** Options that change what an index holds or how it is used; two specs with equal key, name and these are equal. */
const MEANINGFUL_OPTIONS = [
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'collation',
  'hidden',
  'weights',
  'default_language',
  'language_override',
] as const;
/** Accepted for compatibility and dropped (they mean nothing here). */
const IGNORED_OPTIONS = new Set(['background', 'ns', 'dropDups', '2dsphereIndexVersion']);
/** A text index's own options, validated by `normaliseTextIndex`. */
const TEXT_OPTIONS = new Set(['weights', 'default_language', 'language_override', 'textIndexVersion']);

/** A validated copy of `raw` in listIndexes form: `{v, key, name, ...options}`, collation normalised or inherited. */
export function normaliseIndexSpec(raw: IndexSpec, collectionCollation: CollationSpec | undefined): IndexSpec {
  if (!isPlainObject(raw.key) || Object.keys(raw.key).length === 0) throw new MongoServerError('CannotCreateIndex', 'Index keys cannot be empty.');
  if (typeof raw.name !== 'string' || raw.name.length === 0) throw new MongoServerError('CannotCreateIndex', 'The index name cannot be empty');
  if (isTextIndexKey(raw.key)) return normaliseTextIndexSpec(raw, collectionCollation);
  const key: Document = {};
  for (const [field, direction] of Object.entries(raw.key)) {
    if (field.length === 0 || field.startsWith('$') || field.split('.').some((p) => p.length === 0)) {
      throw new MongoServerError('CannotCreateIndex', `Index key contains an illegal field name: '${field}'`);
    }
    keyDirection(direction);
    key[field] = typeof direction === 'bigint' ? Number(direction) : direction;
  }
  const spec: IndexSpec = { v: 2, key, name: raw.name };
  for (const [option, value] of Object.entries(raw)) {
    if (option === 'v' || option === 'key' || option === 'name' || IGNORED_OPTIONS.has(option)) continue;
    // Text index options on another index were always accepted and dropped here.
    if (TEXT_OPTIONS.has(option)) continue;
    spec[option] = validateOption(option, value, key);
  }
  if (spec.name === ID_INDEX_NAME && (spec.unique !== undefined || spec.sparse !== undefined || spec.expireAfterSeconds !== undefined)) {
    throw new MongoServerError('InvalidIndexSpecificationOption', `The field '${spec.unique !== undefined ? 'unique' : spec.sparse !== undefined ? 'sparse' : 'expireAfterSeconds'}' is not valid for an _id index specification`);
  }
  // An index without a collation inherits the collection's; an explicit {locale: 'simple'} opts out of it.
  if (raw.collation === undefined && collectionCollation) spec.collation = collectionCollation;
  if (spec.collation === undefined) delete spec.collation;
  if (spec.unique === false) delete spec.unique;
  if (spec.sparse === false) delete spec.sparse;
  if (spec.hidden === false) delete spec.hidden;
  return spec;
}

/** A text index as mongod lists it: `{v, key: {…, _fts: 'text', _ftsx: 1, …}, name, …, weights, default_language, language_override, textIndexVersion}`. */
function normaliseTextIndexSpec(raw: IndexSpec, collectionCollation: CollationSpec | undefined): IndexSpec {
  const text = normaliseTextIndex(raw);
  checkTextIndexCollation(raw.collation, collectionCollation);
  const spec: IndexSpec = { v: 2, key: text.key, name: raw.name };
  for (const [option, value] of Object.entries(raw)) {
    if (option === 'v' || option === 'key' || option === 'name' || option === 'collation' || IGNORED_OPTIONS.has(option) || TEXT_OPTIONS.has(option)) continue;
    spec[option] = validateOption(option, value, text.key);
  }
  if (spec.unique === false) delete spec.unique;
  if (spec.sparse === false) delete spec.sparse;
  if (spec.hidden === false) delete spec.hidden;
  const { weights, default_language, language_override, textIndexVersion } = text;
  return { ...spec, weights, default_language, language_override, textIndexVersion };
}

function validateOption(option: string, value: unknown, key: Document): unknown {
  switch (option) {
    case 'unique':
    case 'sparse':
    case 'hidden':
      if (typeof value !== 'boolean' && numberOf(value) === undefined) throw badOption(`The field '${option}' must be a boolean`);
      return typeof value === 'boolean' ? value : numberOf(value) !== 0;
    case 'expireAfterSeconds': {
      const n = numberOf(value);
      if (n === undefined || !Number.isFinite(n) || n < 0 || n > 2147483647) {
        throw badOption(`TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number`);
      }
      if (Object.keys(key).length > 1) throw new MongoServerError('CannotCreateIndex', 'TTL indexes are single-field indexes, compound indexes do not support TTL');
      return Math.floor(n);
    }
    case 'partialFilterExpression':
      if (!isPlainObject(value)) throw badOption("The field 'partialFilterExpression' must be an object");
      return value;
    case 'collation': {
      const collation = normalizeCollation(value);
      return collation;
    }
    default:
      throw badOption(`The field '${option}' is not valid for an index specification. Specification: { key: ${JSON.stringify(key)} }`);
  }
}

function badOption(message: string): MongoServerError {
  return new MongoServerError('InvalidIndexSpecificationOption', message);
}

export function sameKey(a: Document, b: Document): boolean {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return ak.length === bk.length && ak.every((k, i) => k === bk[i] && (a[k] === b[k] || Number(a[k]) === Number(b[k])));
}

/** Same key pattern and the same meaningful options. */
export function sameIndex(a: IndexSpec, b: IndexSpec): boolean {
  return sameKey(a.key, b.key) && MEANINGFUL_OPTIONS.every((option) => canonical(a[option]) === canonical(b[option]));
}

/** Two indexes on the same key pattern may coexist only when their collations differ (or, one is partial). */
export function sameKeyAndCollation(a: IndexSpec, b: IndexSpec): boolean {
  return sameKey(a.key, b.key) && canonical(a.collation) === canonical(b.collation) && canonical(a.partialFilterExpression) === canonical(b.partialFilterExpression);
}

function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (isPlainObject(value)) return `{${Object.keys(value).sort().map((k) => `${k}:${canonical(value[k])}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'bigint') return `${value}`;
  return JSON.stringify(value) ?? String(value);
}

/**
 * Whether `spec` is already among `current` (identical but for the order of its options); throws mongod's error
 * when it clashes with one of them: the same name for another index (86, or 85 for a text index that differs only
 * in weights or languages), the same key under another name (85), or a second text index (67).
 */
export function alreadyExists(current: IndexSpec[], spec: IndexSpec): boolean {
  const text = isTextIndexKey(spec.key);
  const sameName = current.find((s) => s.name === spec.name);
  if (sameName) {
    if (sameIndex(sameName, spec)) return true;
    if (text && sameKeyAndCollation(sameName, spec)) {
      throw new MongoServerError(
        'IndexOptionsConflict',
        `An equivalent index already exists with the same name but different options. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(sameName)}`,
      );
    }
    throw new MongoServerError(
      'IndexKeySpecsConflict',
      `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(sameName)}`,
    );
  }
  const sameKeyDifferentName = current.find((s) => sameKeyAndCollation(s, spec));
  if (sameKeyDifferentName) {
    if (text && !sameIndex(sameKeyDifferentName, spec)) {
      throw new MongoServerError(
        'IndexOptionsConflict',
        `An equivalent index already exists with a different name and options. Requested index: ${describeSpec(spec)}, existing index: ${describeSpec(sameKeyDifferentName)}`,
      );
    }
    throw new MongoServerError('IndexOptionsConflict', `Index already exists with a different name: ${sameKeyDifferentName.name}`);
  }
  const otherText = text ? current.find((s) => isTextIndexKey(s.key)) : undefined;
  if (otherText) throw new MongoServerError('CannotCreateIndex', `only one text index per collection allowed, found existing text index "${otherText.name}"`);
  return false;
}

export function describeSpec(spec: IndexSpec): string {
  return `{ ${Object.entries(spec).map(([k, v]) => `${k}: ${canonical(v)}`).join(', ')} }`;
}
