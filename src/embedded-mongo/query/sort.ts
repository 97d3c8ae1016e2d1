/**
 * Sort specifications (`{a: 1, 'b.c': -1}`) as comparators with MongoDB's rules: a missing field sorts as null,
 * an array sorts by its smallest element ascending and its largest descending, an empty array sorts before null,
 * strings use the collator when one is given. An ordering other than 1 or -1 fails with MongoDB's code 15975
 * (what a real server answers to `find` and `$sort` alike).
 */
import type { Collator } from '../types';
import { mongoError } from '../errors';
import { compareWithBottom, isNumeric } from '../bson/compare';
import { isMetaObject, TEXT_SCORE, textScoreUnavailable } from '../text/metadata';
import type { Document } from '../types';
import { isPlainDocument, splitPath, walkPath } from './paths';

export type Comparator = (a: unknown, b: unknown) => number;

export interface SortKeySpec {
  path: string;
  direction: 1 | -1;
  /** `{$meta: 'textScore'}`: the document's text score, highest first. */
  textScore?: true;
}

/** The text score of each document a `$text` search returned (what `{$meta: 'textScore'}` sort keys read). */
export interface SortMetadata {
  textScore(doc: Document): number | undefined;
}

/** Stands for an empty array, which sorts after MinKey and before null. */
const EMPTY_ARRAY = Symbol('empty array');

const NATURAL = '$natural';

const MAX_CACHED_KEYS = 250_000;

const ORDER_MESSAGE = '$sort key ordering must be 1 (for ascending) or -1 (for descending)';

function directionOf(v: unknown): 1 | -1 {
  if (isNumeric(v)) {
    const n = Number(v);
    if (n === 1) return 1;
    if (n === -1) return -1;
  }
  if (isPlainDocument(v) && '$meta' in v) throw mongoError('BadValue', '$meta sort is not supported by this server');
  throw mongoError('Location15975', ORDER_MESSAGE);
}

function isTextScoreKey(v: unknown): boolean {
  return isMetaObject(v) && v.$meta === TEXT_SCORE;
}

/** Validates a sort document and lists its keys in order. */
export function parseSortSpec(sortSpec: unknown): SortKeySpec[] {
  if (sortSpec === undefined || sortSpec === null) return [];
  if (!isPlainDocument(sortSpec)) throw mongoError('BadValue', 'sort must be an object');
  return Object.entries(sortSpec).map(([path, value]) => {
    if (path === '' || path.split('.').some((part) => part === '')) {
      throw mongoError('BadValue', `Empty field name in sort key: '${path}'`);
    }
    if (path.startsWith('$') && path !== NATURAL) {
      throw mongoError('BadValue', `FieldPath field names may not start with '$'. Consider using $getField or $setField.`);
    }
    if (isTextScoreKey(value)) return { path, direction: -1, textScore: true };
    return { path, direction: directionOf(value) };
  });
}

function compareKeys(a: unknown, b: unknown, collator: Collator | undefined): number {
  return compareWithBottom(a, b, EMPTY_ARRAY, collator);
}

/** The value a document sorts by on one key: the extreme (min or max) of every value the path reaches. */
export function sortKeyOf(doc: unknown, parts: string[], direction: 1 | -1, collator?: Collator): unknown {
  if (parts.length === 1 && isPlainDocument(doc)) {
    const v = Object.prototype.hasOwnProperty.call(doc, parts[0]) ? doc[parts[0]] : undefined;
    if (!Array.isArray(v)) return v === undefined ? null : v;
  }
  let best: unknown;
  let found = false;
  const consider = (value: unknown): void => {
    if (!found || compareKeys(value, best, collator) * direction < 0) {
      best = value;
      found = true;
    }
  };
  for (const candidate of walkPath(doc, parts)) {
    if (candidate.missing) consider(null);
    else if (candidate.expanded || !Array.isArray(candidate.value)) consider(candidate.value === undefined ? null : candidate.value);
    else if (candidate.value.length === 0) consider(EMPTY_ARRAY);
    // A leaf array's elements come as their own candidates, except after an explicit index ("a.0").
    else if (candidate.indexed) candidate.value.forEach(consider);
  }
  return found ? best : null;
}

/**
 * The direction of a `{$natural: 1 | -1}` sort key (storage order, which only the storage engine knows), or
 * undefined when the spec has none. `compileSort` ignores `$natural`.
 */
export function naturalSortDirection(sortSpec: unknown): 1 | -1 | undefined {
  return parseSortSpec(sortSpec).find((k) => k.path === NATURAL)?.direction;
}

interface SortKey {
  parts: string[];
  direction: 1 | -1;
  textScore?: true;
}

/** The keys a sort compares documents on (`$natural` left to storage); a text score key needs `metadata` (40218). */
function sortKeys(sortSpec: unknown, metadata: SortMetadata | undefined): SortKey[] {
  const keys = parseSortSpec(sortSpec)
    .filter((k) => k.path !== NATURAL)
    .map((k) => ({ parts: splitPath(k.path), direction: k.direction, textScore: k.textScore }));
  if (!metadata && keys.some((k) => k.textScore)) throw textScoreUnavailable();
  return keys;
}

function keyValuesOf(doc: unknown, keys: SortKey[], collator: Collator | undefined, metadata: SortMetadata | undefined): unknown[] {
  return keys.map((k) => (k.textScore ? (metadata?.textScore(doc as Document) ?? null) : sortKeyOf(doc, k.parts, k.direction, collator)));
}

/** Compares two documents' key values, key by key, each in its direction. */
function compareKeyValues(a: unknown[], b: unknown[], keys: SortKey[], collator: Collator | undefined): number {
  for (let i = 0; i < keys.length; i++) {
    const c = compareKeys(a[i], b[i], collator);
    if (c !== 0) return c * keys[i].direction;
  }
  return 0;
}

/** A comparator for `Array.prototype.sort` (stable: ties keep their input order). */
export function compileSort(sortSpec: unknown, collator?: Collator, metadata?: SortMetadata): Comparator {
  const keys = sortKeys(sortSpec, metadata);
  if (keys.length === 0) return () => 0;
  // A Map, not a WeakMap: the comparator lives for one sort, and large WeakMaps make garbage collection slow.
  const cache = new Map<unknown, unknown[]>();
  // Sorting compares one document against many in a row; remembering the last lookup saves most Map probes.
  let lastDoc: unknown;
  let lastKeys: unknown[] = [];
  const forget = (): void => {
    cache.clear();
    lastDoc = undefined;
    lastKeys = [];
  };
  const keyValues = (doc: unknown): unknown[] => {
    if (doc === lastDoc) return lastKeys;
    let values = cache.get(doc);
    if (!values) {
      values = keyValuesOf(doc, keys, collator, metadata);
      // The cache serves one synchronous sort: it is dropped at the next microtask, so a comparator kept around
      // (a compiled pipeline, an accumulator) neither pins old documents nor sees stale keys.
      if (cache.size === 0) queueMicrotask(forget);
      else if (cache.size >= MAX_CACHED_KEYS) cache.clear();
      cache.set(doc, values);
    }
    lastDoc = doc;
    lastKeys = values;
    return values;
  };
  return (a, b) => compareKeyValues(keyValues(a), keyValues(b), keys, collator);
}

/**
 * Sorts documents (returning a new array, stable) computing each document's sort key once; faster than
 * `docs.sort(compileSort(spec))` for large inputs.
 */
export function sortDocuments<T>(docs: readonly T[], sortSpec: unknown, collator?: Collator, metadata?: SortMetadata): T[] {
  const keys = sortKeys(sortSpec, metadata);
  if (keys.length === 0) return [...docs];
  const decorated = docs.map((doc, index) => ({ doc, index, values: keyValuesOf(doc, keys, collator, metadata) }));
  decorated.sort((a, b) => compareKeyValues(a.values, b.values, keys, collator) || a.index - b.index);
  return decorated.map((d) => d.doc);
}
