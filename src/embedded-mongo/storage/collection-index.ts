/** One index of a collection: its spec, its ordered key entries, uniqueness and the key range scan. */
import { ObjectId } from 'bson';
import { compareStrings, compareValues } from '../bson/compare';
import { numberOf } from '../bson/double';
import { MongoServerError } from '../errors';
import { createCollator } from '../query/collation';
import { compileFilter } from '../query/matcher';
import { isTextIndexKey } from '../text/index-spec';
import { TextIndexDefinition } from '../text/text-index';
import type { Collator, Document, IndexSpec } from '../types';
import { getDoc, type StoredRecord } from './doc-store';
import { documentKeys } from './index-keys';
import { SortedList } from './sorted-list';
import { describeFields } from './values';

export interface IndexEntry {
  readonly key: unknown[];
  readonly rid: number;
}

/** A key range over the index in index order; bounds cover a prefix of the fields. */
export interface KeyRange {
  start: unknown[];
  startInclusive: boolean;
  end: unknown[];
  endInclusive: boolean;
}

export const ID_INDEX_NAME = '_id_';

export class CollectionIndex {
  readonly fields: string[];
  readonly directions: number[];
  readonly collator: Collator | undefined;
  /** Set for a text index: its keys are `[...prefix, term, score, ...suffix]` (see text/text-index.ts). */
  readonly text: TextIndexDefinition | undefined;
  multikey = false;
  private readonly partial: { test(doc: Document): boolean } | undefined;
  private readonly entries: SortedList<IndexEntry>;
  /** Path segments of each field, split once (key extraction runs per document). */
  private readonly paths: string[][];
  /**
   * Entries of a bulk load not merged into `entries` yet (start-up replay): merged, and checked for uniqueness,
   * before anything reads the index.
   */
  private pending: IndexEntry[] = [];
  /** The namespace named by a duplicate key error found while merging `pending`. */
  private pendingNs = '';

  constructor(public spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.text = isTextIndexKey(spec.key) ? new TextIndexDefinition(spec) : undefined;
    // A text index's term and score fields are ordered ascending like the rest.
    this.directions = this.fields.map((f) => (this.text && (f === '_fts' || f === '_ftsx') ? 1 : keyDirection(spec.key[f])));
    this.collator = createCollator(spec.collation);
    this.partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression, { collator: this.collator }) : undefined;
    this.entries = new SortedList(this.compareEntries.bind(this));
    this.paths = this.fields.map((field) => field.split('.'));
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.unique === true || this.spec.name === ID_INDEX_NAME;
  }

  get size(): number {
    return this.entries.size + this.pending.length;
  }

  /** Whether the index's partial filter (if any) lets `doc` in. */
  covers(doc: Document): boolean {
    return !this.partial || this.partial.test(doc);
  }

  /** The key tuples `doc` has in this index, or [] when the index leaves it out (sparse or partial). */
  keysFor(doc: Document): unknown[][] {
    if (this.partial && !this.partial.test(doc)) return [];
    if (this.text) {
      const terms = this.text.keys(doc);
      if (terms.length > 1) this.multikey = true;
      return terms;
    }
    const keys = documentKeys(doc, this.fields, this.paths);
    if (this.spec.sparse === true && !keys.anyFieldPresent) return [];
    if (keys.multikey) this.multikey = true;
    return keys.keys;
  }

  /**
   * Whether a document that changed only in the top-level fields `changedFields` can have other keys here: its keys
   * are read at this index's paths (and its partial filter, which may read any field).
   */
  keysMayChange(changedFields: readonly string[]): boolean {
    if (this.text) return this.partial !== undefined || this.text.readsAnyOf(changedFields);
    return this.partial !== undefined || this.paths.some((parts) => changedFields.includes(parts[0]));
  }

  add(rid: number, keys: unknown[][]): void {
    this.mergePending();
    for (const key of keys) this.entries.insert({ key, rid });
  }

  remove(rid: number, keys: unknown[][]): void {
    this.mergePending();
    for (const key of keys) this.entries.remove({ key, rid });
  }

  /**
   * Adds entries without ordering or checking them yet (start-up replay: the records were checked when first
   * committed). They are merged in one sort, and a unique index's duplicates still reported (11000), the next time
   * the index is read or changed, or at `mergePending`.
   */
  defer(ns: string, rid: number, keys: unknown[][]): void {
    this.pendingNs = ns;
    for (const key of keys) this.pending.push({ key, rid });
  }

  /**
   * Merges deferred entries: one by one when they are few next to the index (so alternating replayed inserts and
   * reads stay linear overall), else by re-sorting everything (TimSort: near linear on the two sorted runs).
   */
  mergePending(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    if (pending.length * 16 < this.entries.size) {
      for (const entry of pending) {
        if (this.unique && this.findOtherRid(entry.key, entry.rid) !== undefined) throw this.duplicateKeyError(this.pendingNs, entry.key);
        this.entries.insert(entry);
      }
      return;
    }
    const all: IndexEntry[] = this.entries.size === 0 ? pending : [];
    if (all !== pending) {
      this.entries.scanAll((entry) => {
        all.push(entry);
        return true;
      });
      for (const entry of pending) all.push(entry);
    }
    this.loadEntries(all, this.pendingNs);
  }

  /** Builds the entries of many documents at once (sort + chunk), checking uniqueness across them. */
  load(records: Iterable<StoredRecord>, ns: string): void {
    const all: IndexEntry[] = [];
    for (const record of records) for (const key of this.keysFor(getDoc(record))) all.push({ key, rid: record.rid });
    this.mergePending();
    this.loadEntries(all, ns);
  }

  private loadEntries(all: IndexEntry[], ns: string): void {
    const kinds = this.simpleKinds(all);
    const compare = kinds && this.bulkComparator(kinds);
    // Entries often come in order already (ids, dates of inserts); otherwise they are presorted by ranks, and the
    // list's own sort then only confirms the order (one comparison per entry).
    if (kinds && compare && !inOrder(all, compare)) sortByRanks(all, kinds, this.directions);
    this.entries.load(all, compare);
    if (!this.unique) return;
    let previous: IndexEntry | undefined;
    this.entries.scanAll((entry) => {
      if (previous && previous.rid !== entry.rid && this.compareKeys(previous.key, entry.key) === 0) throw this.duplicateKeyError(ns, entry.key);
      previous = entry;
      return true;
    });
  }

  /** Throws 11000 when one of `keys` is already held by another record (unique indexes only). */
  checkUnique(ns: string, rid: number, keys: unknown[][]): void {
    if (!this.unique) return;
    for (const key of keys) if (this.findOtherRid(key, rid) !== undefined) throw this.duplicateKeyError(ns, key);
  }

  /** The record holding exactly `key` other than `exceptRid`. */
  findOtherRid(key: unknown[], exceptRid = -1): number | undefined {
    this.mergePending();
    let found: number | undefined;
    this.entries.scanFrom(
      (e) => this.compareKeys(e.key, key),
      (e) => {
        if (this.compareKeys(e.key, key) !== 0) return false;
        if (e.rid !== exceptRid) found = e.rid;
        return found === undefined;
      },
    );
    return found;
  }

  /** Visits the entries inside `range` in index order; `visit` returning false stops the scan. */
  scanRange(range: KeyRange, visit: (entry: IndexEntry) => boolean): void {
    this.mergePending();
    const startProbe = (e: IndexEntry): number => {
      const c = this.comparePrefix(e.key, range.start);
      return c === 0 && !range.startInclusive ? -1 : c;
    };
    this.entries.scanFrom(startProbe, (e) => {
      const c = this.comparePrefix(e.key, range.end);
      if (c > 0 || (c === 0 && !range.endInclusive)) return false;
      return visit(e);
    });
  }

  scanAll(visit: (entry: IndexEntry) => boolean): void {
    this.mergePending();
    this.entries.scanAll(visit);
  }

  duplicateKeyError(ns: string, key: unknown[]): MongoServerError {
    const keyValue: Record<string, unknown> = {};
    this.fields.forEach((f, i) => (keyValue[f] = key[i]));
    const keyPattern = { ...this.spec.key };
    return new MongoServerError(
      'DuplicateKey',
      `E11000 duplicate key error collection: ${ns} index: ${this.name} dup key: ${describeFields(keyValue)}`,
      { keyPattern, keyValue },
    );
  }

  /**
   * For sorting many entries at once: when every field holds one simple kind of value throughout (numbers, dates,
   * or strings without surrogates and no collation), a comparator that skips the per-comparison type dispatch; it
   * orders exactly as `compareEntries`. Undefined otherwise.
   */
  private bulkComparator(kinds: SimpleKind[]): (a: IndexEntry, b: IndexEntry) => number {
    const directions = this.directions;
    return (a, b) => {
      for (let i = 0; i < kinds.length; i++) {
        let x = a.key[i] as number | string | Date;
        let y = b.key[i] as number | string | Date;
        if (kinds[i] === 'date') {
          x = (x as Date).getTime();
          y = (y as Date).getTime();
        }
        if (x !== y) return x < y ? -directions[i] : directions[i];
      }
      return a.rid - b.rid;
    };
  }

  /** The one simple kind each field holds across `entries`, or undefined (mixed or other values, or collation). */
  private simpleKinds(entries: IndexEntry[]): SimpleKind[] | undefined {
    if (entries.length < 2) return undefined;
    const kinds: SimpleKind[] = [];
    for (let i = 0; i < this.fields.length; i++) {
      const kind = simpleKind(entries[0].key[i], this.collator);
      if (!kind) return undefined;
      kinds.push(kind);
    }
    for (const entry of entries) {
      for (let i = 0; i < kinds.length; i++) if (simpleKind(entry.key[i], this.collator) !== kinds[i]) return undefined;
    }
    return kinds;
  }

  private compareEntries(a: IndexEntry, b: IndexEntry): number {
    return this.compareKeys(a.key, b.key) || a.rid - b.rid;
  }

  /** Index order of two full key tuples. */
  compareKeys(a: unknown[], b: unknown[]): number {
    for (let i = 0; i < this.fields.length; i++) {
      const c = this.compareKeyValues(a[i], b[i]);
      if (c !== 0) return c * this.directions[i];
    }
    return 0;
  }

  /** `compareValues` with shortcuts for the common key types (index maintenance is dominated by comparisons). */
  private compareKeyValues(a: unknown, b: unknown): number {
    if (typeof a === 'number' && typeof b === 'number' && a === a && b === b) return a < b ? -1 : a > b ? 1 : 0;
    if (typeof a === 'string' && typeof b === 'string' && !this.collator) return compareStrings(a, b);
    if (a instanceof Date && b instanceof Date) {
      const x = a.getTime();
      const y = b.getTime();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a instanceof ObjectId && b instanceof ObjectId) return compareObjectIds(a, b);
    return compareValues(a, b, this.collator);
  }

  /** Index order of a key against a bound that covers only its first `bound.length` fields. */
  comparePrefix(key: unknown[], bound: unknown[]): number {
    for (let i = 0; i < bound.length; i++) {
      const c = this.compareKeyValues(key[i], bound[i]);
      if (c !== 0) return c * this.directions[i];
    }
    return 0;
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;

type SimpleKind = 'number' | 'string' | 'date';

/**
 * Sorts entries of simple kinds (see `simpleKinds`) without a comparator: each field's distinct values are ranked
 * once, and one number per entry (its ranks combined, then its position, which is rid order) is sorted natively.
 * Leaves `entries` untouched when they are not in rid order or the combined number would not be exact.
 */
function sortByRanks(entries: IndexEntry[], kinds: SimpleKind[], directions: number[]): void {
  const n = entries.length;
  for (let p = 1; p < n; p++) if (entries[p].rid < entries[p - 1].rid) return;
  const ranks: Array<Map<unknown, number>> = [];
  let combinations = 1;
  for (let f = 0; f < kinds.length; f++) {
    const rank = rankValues(entries, f, kinds[f], directions[f]);
    combinations *= rank.size;
    if (combinations * n >= Number.MAX_SAFE_INTEGER) return;
    ranks.push(rank);
  }
  const order = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const key = entries[p].key;
    let combined = 0;
    for (let f = 0; f < kinds.length; f++) {
      const value = kinds[f] === 'date' ? (key[f] as Date).getTime() : key[f];
      combined = combined * ranks[f].size + (ranks[f].get(value) as number);
    }
    order[p] = combined * n + p;
  }
  order.sort();
  const sorted = order.map((value) => value % n);
  const copy = entries.slice();
  for (let p = 0; p < n; p++) entries[p] = copy[sorted[p]];
}

function inOrder(entries: IndexEntry[], compare: (a: IndexEntry, b: IndexEntry) => number): boolean {
  for (let p = 1; p < entries.length; p++) if (compare(entries[p - 1], entries[p]) > 0) return false;
  return true;
}

/** Field `f`'s distinct values (dates by time) mapped to their rank in index order. */
function rankValues(entries: IndexEntry[], f: number, kind: SimpleKind, direction: number): Map<unknown, number> {
  const distinct = new Set<unknown>();
  for (const entry of entries) distinct.add(kind === 'date' ? (entry.key[f] as Date).getTime() : entry.key[f]);
  const values: ArrayLike<number | string> = kind === 'string' ? ([...distinct] as string[]).sort() : Float64Array.from(distinct as Set<number>).sort();
  const rank = new Map<unknown, number>();
  for (let i = 0; i < values.length; i++) rank.set(values[i], direction === 1 ? i : values.length - 1 - i);
  return rank;
}

/** The kind of a key value `bulkComparator` can compare natively (UTF-16 order is code point order without surrogates). */
function simpleKind(value: unknown, collator: Collator | undefined): 'number' | 'string' | 'date' | undefined {
  if (typeof value === 'number') return value === value ? 'number' : undefined;
  if (typeof value === 'string') return collator || SURROGATE.test(value) ? undefined : 'string';
  if (value instanceof Date) return value.getTime() === value.getTime() ? 'date' : undefined;
  return undefined;
}

/** 1 or -1 for an ascending/descending key; special index types are refused (67 CannotCreateIndex). */
export function keyDirection(value: unknown): 1 | -1 {
  const n = numberOf(value) ?? NaN;
  if (typeof value === 'string') {
    throw new MongoServerError('CannotCreateIndex', `index type '${value}' is not supported by the embedded server`);
  }
  if (!Number.isFinite(n) || n === 0) {
    throw new MongoServerError('CannotCreateIndex', `Values in the index key pattern can't be ${String(value)}`);
  }
  return n > 0 ? 1 : -1;
}

/** Packed 24-bit words of bson 7's ObjectId; reading them avoids the 12-byte Buffer that `.id` allocates per call. */
interface PackedObjectId {
  i0?: unknown;
  i1?: unknown;
  i2?: unknown;
  i3?: unknown;
}

function compareObjectIds(a: ObjectId, b: ObjectId): number {
  const x = a as unknown as PackedObjectId;
  const y = b as unknown as PackedObjectId;
  if (typeof x.i0 !== 'number' || typeof x.i3 !== 'number' || typeof y.i0 !== 'number' || typeof y.i3 !== 'number') return compareValues(a, b);
  for (const word of ['i0', 'i1', 'i2', 'i3'] as const) {
    const p = x[word] as number;
    const q = y[word] as number;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}
