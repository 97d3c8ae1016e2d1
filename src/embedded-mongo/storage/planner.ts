/**
 * Query planning: turns a filter's equality / range / `$in` predicates into key ranges over an index, picks an index
 * (or `_id` IDHACK, or a collection scan), runs it and re-checks every candidate with the full matcher, so an index
 * only ever narrows the work and never changes the result.
 */
import { BSONRegExp, MaxKey, MinKey } from 'bson';
import { compareValues } from '../bson/compare';
import { numberOf } from '../bson/double';
import { MongoServerError } from '../errors';
import { createCollator, sameCollation as sameSpec } from '../query/collation';
import { compileFilter } from '../query/matcher';
import { compileSort, type Comparator } from '../query/sort';
import { textClauseOf } from '../text/filter';
import type { CollationSpec, Collator, Document, FindRequest, FindResult, PlanInfo } from '../types';
import type { Collection } from './collection';
import { ID_INDEX_NAME, type CollectionIndex, type KeyRange } from './collection-index';
import { getDoc } from './doc-store';
import { sameKey } from './index-spec';
import { runTextSearch } from './text-search';
import { isPlainObject } from './values';

/** One sargable condition on a path, before it is turned into intervals under an index's collation. */
type Constraint = { kind: 'points'; values: unknown[] } | { kind: 'range'; op: '$gt' | '$gte' | '$lt' | '$lte'; value: unknown };

interface Interval {
  lo: unknown;
  loInclusive: boolean;
  hi: unknown;
  hiInclusive: boolean;
}

interface IndexPlan {
  index: CollectionIndex;
  /** undefined: scan the whole index. */
  ranges: KeyRange[] | undefined;
  score: number;
  /** 1 or -1 when scanning forward/backward yields the requested sort order. */
  sortDirection: 1 | -1 | undefined;
}

export interface PlannedRead extends FindResult {
  /**
   * Whether a document this read did not see (a transaction's own write) belongs in its result; a text search
   * also scores it into `textScores`.
   */
  admits(doc: Document): boolean;
  /** The request's order; undefined when it has no sort. */
  compare: Comparator | undefined;
}

const FULL: Interval = { lo: new MinKey(), loInclusive: true, hi: new MaxKey(), hiInclusive: true };

export function effectiveCollation(request: FindRequest, collection: Collection | undefined): CollationSpec | undefined {
  return request.collation ?? collection?.options.collation;
}

/**
 * Runs `request` against the committed documents of `collection` (of namespace `ns`); docs come back sorted when
 * `request.sort` is set. A `$text` filter goes to the text index.
 */
export function planAndRun(collection: Collection | undefined, ns: string, request: FindRequest): PlannedRead {
  const text = textClauseOf(request.filter);
  if (text) return runTextSearch(collection, ns, request, text);
  const collator = createCollator(effectiveCollation(request, collection));
  const matcher = compileFilter(request.filter, { collator });
  const compare = request.sort && Object.keys(request.sort).length > 0 ? compileSort(request.sort, collator) : undefined;
  const admits = (doc: Document): boolean => matcher.test(doc);
  if (!collection) return { docs: [], plan: emptyPlan('EOF'), admits, compare };

  const chosen = idPointPlan(collection, request, collator) ?? planFromConstraints(collection, request, collator);
  const read = chosen === 'collscan' || chosen === 'reverse-collscan' ? collectionScan(collection, admits, chosen === 'reverse-collscan') : indexScan(collection, chosen, admits, isIdHack(request, chosen));
  if (compare && !read.plan.providesSort) read.docs.sort(compare);
  return { ...read, admits, compare };
}

export function emptyPlan(stage: PlanInfo['stage']): PlanInfo {
  return { stage, providesSort: false, docsExamined: 0, keysExamined: 0 };
}

/** Each stored document is read once (`getDoc` may go to disk); the matcher and the sort work on that copy. */
function collectionScan(collection: Collection, test: (doc: Document) => boolean, reverse: boolean): FindResult {
  const docs: Document[] = [];
  for (const record of collection.documents()) {
    const doc = getDoc(record);
    if (test(doc)) docs.push(doc);
  }
  if (reverse) docs.reverse();
  return { docs, plan: { ...emptyPlan('COLLSCAN'), docsExamined: collection.count } };
}

function indexScan(collection: Collection, chosen: IndexPlan, test: (doc: Document) => boolean, idHack: boolean): FindResult {
  const docs: Document[] = [];
  const seen = new Set<number>();
  let keysExamined = 0;
  const visit = (entry: { rid: number }): boolean => {
    keysExamined++;
    if (seen.has(entry.rid)) return true;
    seen.add(entry.rid);
    const record = collection.records.get(entry.rid);
    const doc = record && getDoc(record);
    if (doc && test(doc)) docs.push(doc);
    return true;
  };
  if (chosen.ranges) for (const range of chosen.ranges) chosen.index.scanRange(range, visit);
  else chosen.index.scanAll(visit);
  if (chosen.sortDirection === -1) docs.reverse();
  const plan: PlanInfo = {
    stage: idHack ? 'IDHACK' : 'IXSCAN',
    indexName: chosen.index.name,
    keyPattern: { ...chosen.index.spec.key },
    providesSort: chosen.sortDirection !== undefined,
    docsExamined: seen.size,
    keysExamined,
  };
  return { docs, plan };
}

function planFromConstraints(collection: Collection, request: FindRequest, collator: Collator | undefined): IndexPlan | 'collscan' | 'reverse-collscan' {
  const constraints = extractConstraints(request.filter);
  return hasHint(request.hint) ? hintedPlan(collection, request, constraints, collator) : choosePlan(collection, request, constraints, collator);
}

/**
 * The plan `choosePlan` makes, found without its general work, for the commonest write filter: `_id` equal to one
 * value, maybe with other conditions (`{_id: X, status: 'draft'}`), no hint, no sort, and no other index whose
 * first field the filter names. The `_id` index then scores 2 (one point) and every other index 0, so it is the
 * choice, with the one key range [X, X].
 */
function idPointPlan(collection: Collection, request: FindRequest, collator: Collator | undefined): IndexPlan | undefined {
  const filter = request.filter;
  if (hasHint(request.hint) || (request.sort && Object.keys(request.sort).length > 0)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(filter, '_id')) return undefined;
  const id: unknown = filter._id;
  if (id === null || isOperatorObject(id) || !boundable(id)) return undefined;
  const index = collection.idIndex;
  if (index.spec.hidden === true || (containsString(id) && !sameCollation(index.collator, collator))) return undefined;
  for (const key of Object.keys(filter)) if (key.startsWith('$')) return undefined;
  for (const other of collection.indexes.values()) {
    if (other !== index && Object.prototype.hasOwnProperty.call(filter, other.fields[0])) return undefined;
  }
  const point = [id];
  return { index, ranges: [{ start: point, startInclusive: true, end: point, endInclusive: true }], score: 2, sortDirection: undefined };
}

/** An empty hint (`{}` or '') means no hint, as in MongoDB. */
function hasHint(hint: FindRequest['hint']): boolean {
  if (hint === undefined || hint === '') return false;
  return !(isPlainObject(hint) && Object.keys(hint).length === 0);
}

function isIdHack(request: FindRequest, chosen: IndexPlan): boolean {
  const keys = Object.keys(request.filter);
  return !hasHint(request.hint) && chosen.index.name === ID_INDEX_NAME && keys.length === 1 && keys[0] === '_id' && chosen.ranges?.length === 1 && chosen.score >= 2;
}

function choosePlan(collection: Collection, request: FindRequest, constraints: Map<string, Constraint[]>, collator: Collator | undefined): IndexPlan | 'collscan' {
  let best: IndexPlan | undefined;
  for (const index of collection.indexes.values()) {
    // A text index answers `$text` queries only (text-search.ts).
    if (index.spec.hidden === true || index.text) continue;
    // Under another collation the query's strings would match documents the partial filter left out.
    const partial = index.spec.partialFilterExpression;
    if (partial && (!sameCollation(index.collator, collator) || !impliesPartialFilter(request.filter, partial))) continue;
    const candidate = planForIndex(index, request, constraints, collator);
    if (candidate.score === 0 && (candidate.sortDirection === undefined || index.spec.sparse === true)) continue;
    if (candidate.score > 0 && index.spec.sparse === true && !excludesMissing(index, constraints, collator)) continue;
    if (!best || better(candidate, best)) best = candidate;
  }
  return best ?? 'collscan';
}

function better(a: IndexPlan, b: IndexPlan): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if ((a.sortDirection !== undefined) !== (b.sortDirection !== undefined)) return a.sortDirection !== undefined;
  return a.index.fields.length < b.index.fields.length;
}

function hintedPlan(collection: Collection, request: FindRequest, constraints: Map<string, Constraint[]>, collator: Collator | undefined): IndexPlan | 'collscan' | 'reverse-collscan' {
  const hint = request.hint;
  if (isPlainObject(hint) && Object.keys(hint).length === 1 && '$natural' in hint) {
    return Number(hint.$natural) < 0 ? 'reverse-collscan' : 'collscan';
  }
  const index = [...collection.indexes.values()].find((ix) => (typeof hint === 'string' ? ix.name === hint : isPlainObject(hint) && sameKey(ix.spec.key, hint)));
  if (!index || index.spec.hidden === true || index.text) throw new MongoServerError('BadValue', 'hint provided does not correspond to an existing index');
  return planForIndex(index, request, constraints, collator);
}

/**
 * True when every document matching `filter` also matches the index's partial filter, judged conservatively: each
 * condition of the partial filter must appear in the query's top-level conjunction as the same value or operator
 * object, except that `{$exists: true}` also follows from an equality to a non-null value or a range.
 */
export function impliesPartialFilter(filter: Document, partial: Document): boolean {
  const conditions = topLevelConditions(filter);
  return Object.entries(partial).every(([key, wanted]) => {
    if (key === '$and') return Array.isArray(wanted) && wanted.every((member) => isPlainObject(member) && impliesPartialFilter(filter, member));
    const present = conditions.get(key) ?? [];
    const wantedValue = isOperatorObject(wanted) && Object.keys(wanted).length === 1 && '$eq' in wanted ? wanted.$eq : wanted;
    if (present.some((condition) => sameCondition(condition, wantedValue))) return true;
    return isExistsTrue(wanted) && present.some(impliesExists);
  });
}

/** The query's conditions per field from its top level and nested `$and`s (each field may have several). */
function topLevelConditions(filter: Document, out = new Map<string, unknown[]>()): Map<string, unknown[]> {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const member of value) if (isPlainObject(member)) topLevelConditions(member, out);
    } else if (!key.startsWith('$')) {
      const list = out.get(key) ?? [];
      list.push(isOperatorObject(value) && Object.keys(value).length === 1 && '$eq' in value ? value.$eq : value);
      out.set(key, list);
    }
  }
  return out;
}

function sameCondition(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0 && sameShape(a, b);
}

/** compareValues treats 1 and 1.0 alike, which is fine for matching, but an operator object must be the same operator. */
function sameShape(a: unknown, b: unknown): boolean {
  return isOperatorObject(a) === isOperatorObject(b);
}

function isExistsTrue(condition: unknown): boolean {
  return isOperatorObject(condition) && Object.keys(condition).length === 1 && (condition.$exists === true || condition.$exists === 1);
}

function impliesExists(condition: unknown): boolean {
  if (!isOperatorObject(condition)) return condition !== null && condition !== undefined && !Array.isArray(condition);
  return ['$gt', '$gte', '$lt', '$lte'].some((op) => op in condition && condition[op] !== null && condition[op] !== undefined) || isExistsTrue(condition);
}

/** Key ranges for `index`: equality on a prefix of its fields, then intervals on the next field. */
function planForIndex(index: CollectionIndex, request: FindRequest, constraints: Map<string, Constraint[]>, collator: Collator | undefined): IndexPlan {
  const collationMatches = sameCollation(index.collator, collator);
  const points: unknown[] = [];
  let intervals: Interval[] | undefined;
  for (const field of index.fields) {
    const fieldIntervals = intervalsFor(constraints.get(field), index, collationMatches);
    if (!fieldIntervals) break;
    if (fieldIntervals.length === 1 && isPoint(fieldIntervals[0], index.collator)) {
      points.push(fieldIntervals[0].lo);
      continue;
    }
    intervals = fieldIntervals;
    break;
  }
  const score = points.length * 2 + (intervals ? 1 : 0);
  const ranges = score === 0 ? undefined : keyRanges(index, points, intervals);
  const sortDirection = request.sort && collationMatches && !index.multikey ? sortDirectionFor(index, request.sort, points.length) : undefined;
  return { index, ranges, score, sortDirection };
}

function keyRanges(index: CollectionIndex, points: unknown[], intervals: Interval[] | undefined): KeyRange[] {
  if (!intervals) return [{ start: points, startInclusive: true, end: points, endInclusive: true }];
  const direction = index.directions[points.length];
  const ordered = direction === 1 ? intervals : [...intervals].reverse();
  return ordered.map((iv) =>
    direction === 1
      ? { start: [...points, iv.lo], startInclusive: iv.loInclusive, end: [...points, iv.hi], endInclusive: iv.hiInclusive }
      : { start: [...points, iv.hi], startInclusive: iv.hiInclusive, end: [...points, iv.lo], endInclusive: iv.loInclusive },
  );
}

/**
 * 1 / -1 when scanning the index forward / backward returns documents in `sort` order: the sort fields must be a
 * run of index fields starting at or before the first non-equality field, all in the same relation to the index
 * directions (fields pinned by equality may point either way).
 */
function sortDirectionFor(index: CollectionIndex, sort: Document, pointCount: number): 1 | -1 | undefined {
  const sortFields = Object.keys(sort);
  const sortDirs = sortFields.map((f) => sort[f]);
  if (sortDirs.some((d) => !numberOf(d))) return undefined;
  for (let start = 0; start <= pointCount; start++) {
    if (start + sortFields.length > index.fields.length) break;
    let relation: 1 | -1 | undefined;
    let ok = true;
    for (let i = 0; i < sortFields.length && ok; i++) {
      const at = start + i;
      if (index.fields[at] !== sortFields[i]) ok = false;
      else if (at >= pointCount) {
        const r = Math.sign(Number(sortDirs[i])) * index.directions[at] > 0 ? 1 : -1;
        if (relation !== undefined && relation !== r) ok = false;
        relation = r;
      }
    }
    if (ok) return relation ?? 1;
  }
  return undefined;
}

/** A sparse index leaves out documents missing all its fields: usable only when the query cannot match those. */
function excludesMissing(index: CollectionIndex, constraints: Map<string, Constraint[]>, collator: Collator | undefined): boolean {
  const collationMatches = sameCollation(index.collator, collator);
  return index.fields.some((field) => {
    const intervals = intervalsFor(constraints.get(field), index, collationMatches);
    return intervals !== undefined && intervals.every((iv) => !contains(iv, null, index.collator));
  });
}

function sameCollation(a: Collator | undefined, b: Collator | undefined): boolean {
  return sameSpec(a?.spec, b?.spec);
}

/**
 * The filter's sargable conditions per path: top-level fields and `$and` members. Anything else (`$or`, `$expr`,
 * operators without bounds) is simply not used for bounds; the matcher still applies it.
 */
export function extractConstraints(filter: Document, out = new Map<string, Constraint[]>()): Map<string, Constraint[]> {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const member of value) if (isPlainObject(member)) extractConstraints(member, out);
      continue;
    }
    if (key.startsWith('$') || key.split('.').some((part) => /^\d+$/.test(part))) continue;
    for (const constraint of constraintsOf(value)) {
      const list = out.get(key) ?? [];
      list.push(constraint);
      out.set(key, list);
    }
  }
  return out;
}

function constraintsOf(value: unknown): Constraint[] {
  if (!isOperatorObject(value)) return boundable(value) ? [{ kind: 'points', values: [value] }] : [];
  const result: Constraint[] = [];
  for (const [op, operand] of Object.entries(value)) {
    if (op === '$eq' && boundable(operand)) result.push({ kind: 'points', values: [operand] });
    else if (op === '$in' && Array.isArray(operand) && operand.every(boundable)) result.push({ kind: 'points', values: operand });
    else if ((op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') && boundable(operand) && operand !== null) {
      result.push({ kind: 'range', op, value: operand });
    }
  }
  return result;
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const first = Object.keys(value)[0];
  return first !== undefined && first.startsWith('$');
}

/** Values whose matches are exactly the index keys equal to them (arrays and regexes match more). */
function boundable(value: unknown): boolean {
  return !Array.isArray(value) && !(value instanceof BSONRegExp) && !(value instanceof RegExp) && value !== undefined && !(value instanceof MinKey) && !(value instanceof MaxKey);
}

function containsString(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (Array.isArray(value)) return value.some(containsString);
  if (isPlainObject(value)) return Object.values(value).some(containsString);
  return false;
}

/**
 * Intervals (sorted, disjoint) allowed by the constraints on a field; undefined when they do not bound it.
 * On a multikey index different elements may satisfy different predicates ({a: [0, 5]} matches {$gt: 3, $lt: 2}),
 * so only one constraint bounds the scan there, preferring equality.
 */
function intervalsFor(constraints: Constraint[] | undefined, index: CollectionIndex, collationMatches: boolean): Interval[] | undefined {
  if (!constraints) return undefined;
  const usable = constraints.filter((c) => collationMatches || !(c.kind === 'points' ? c.values : [c.value]).some(containsString));
  if (usable.length === 0) return undefined;
  const chosen = index.multikey ? [usable.find((c) => c.kind === 'points') ?? usable[0]] : usable;
  let result: Interval[] = [FULL];
  for (const constraint of chosen) result = intersect(result, constraintIntervals(constraint, index.collator), index.collator);
  return result;
}

function constraintIntervals(constraint: Constraint, collator: Collator | undefined): Interval[] {
  if (constraint.kind === 'range') {
    const { op, value } = constraint;
    if (op === '$gt' || op === '$gte') return [{ lo: value, loInclusive: op === '$gte', hi: FULL.hi, hiInclusive: true }];
    return [{ lo: FULL.lo, loInclusive: true, hi: value, hiInclusive: op === '$lte' }];
  }
  // {a: null} also matches missing fields (indexed as null) and undefined values.
  const values = constraint.values.flatMap((v) => (v === null ? [null, undefined] : [v]));
  return normalise(values.map((v) => ({ lo: v, loInclusive: true, hi: v, hiInclusive: true })), collator);
}

function intersect(a: Interval[], b: Interval[], collator: Collator | undefined): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const loCmp = compareValues(x.lo, y.lo, collator);
      const hiCmp = compareValues(x.hi, y.hi, collator);
      const lo = loCmp > 0 ? x : loCmp < 0 ? y : { lo: x.lo, loInclusive: x.loInclusive && y.loInclusive };
      const hi = hiCmp < 0 ? x : hiCmp > 0 ? y : { hi: x.hi, hiInclusive: x.hiInclusive && y.hiInclusive };
      const iv: Interval = { lo: lo.lo, loInclusive: lo.loInclusive, hi: hi.hi, hiInclusive: hi.hiInclusive };
      if (!isEmpty(iv, collator)) out.push(iv);
    }
  }
  return normalise(out, collator);
}

/** Sorts intervals by their low end and merges overlapping ones. */
function normalise(intervals: Interval[], collator: Collator | undefined): Interval[] {
  const sorted = [...intervals].sort((x, y) => compareValues(x.lo, y.lo, collator) || (x.loInclusive === y.loInclusive ? 0 : x.loInclusive ? -1 : 1));
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    const c = last ? compareValues(iv.lo, last.hi, collator) : 1;
    if (last && (c < 0 || (c === 0 && (iv.loInclusive || last.hiInclusive)))) {
      const hiCmp = compareValues(iv.hi, last.hi, collator);
      if (hiCmp > 0) out[out.length - 1] = { ...last, hi: iv.hi, hiInclusive: iv.hiInclusive };
      else if (hiCmp === 0) out[out.length - 1] = { ...last, hiInclusive: last.hiInclusive || iv.hiInclusive };
    } else out.push(iv);
  }
  return out;
}

function isEmpty(iv: Interval, collator: Collator | undefined): boolean {
  const c = compareValues(iv.lo, iv.hi, collator);
  return c > 0 || (c === 0 && !(iv.loInclusive && iv.hiInclusive));
}

function isPoint(iv: Interval, collator: Collator | undefined): boolean {
  return iv.loInclusive && iv.hiInclusive && compareValues(iv.lo, iv.hi, collator) === 0;
}

function contains(iv: Interval, value: unknown, collator: Collator | undefined): boolean {
  const lo = compareValues(iv.lo, value, collator);
  const hi = compareValues(value, iv.hi, collator);
  return (lo < 0 || (lo === 0 && iv.loInclusive)) && (hi < 0 || (hi === 0 && iv.hiInclusive));
}
