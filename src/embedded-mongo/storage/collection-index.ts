/** One index of a collection: its spec, its ordered key entries, uniqueness and the key range scan. */
import { compareValues } from '../bson/compare';
import { MongoServerError } from '../errors';
import { createCollator } from '../query/collation';
import { compileFilter } from '../query/matcher';
import type { Collator, Document, IndexSpec } from '../types';
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
  multikey = false;
  private readonly partial: { test(doc: Document): boolean } | undefined;
  private readonly entries: SortedList<IndexEntry>;

  constructor(public spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.directions = this.fields.map((f) => keyDirection(spec.key[f]));
    this.collator = createCollator(spec.collation);
    this.partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression, {}) : undefined;
    this.entries = new SortedList((a, b) => this.compareKeys(a.key, b.key) || a.rid - b.rid);
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.unique === true || this.spec.name === ID_INDEX_NAME;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The key tuples `doc` has in this index, or [] when the index leaves it out (sparse or partial). */
  keysFor(doc: Document): unknown[][] {
    if (this.partial && !this.partial.test(doc)) return [];
    const keys = documentKeys(doc, this.fields);
    if (this.spec.sparse === true && !keys.anyFieldPresent) return [];
    if (keys.multikey) this.multikey = true;
    return keys.keys;
  }

  add(rid: number, keys: unknown[][]): void {
    for (const key of keys) this.entries.insert({ key, rid });
  }

  remove(rid: number, keys: unknown[][]): void {
    for (const key of keys) this.entries.remove({ key, rid });
  }

  /** Builds the entries of many documents at once (sort + chunk), checking uniqueness across them. */
  load(items: Array<{ rid: number; keys: unknown[][] }>, ns: string): void {
    const all: IndexEntry[] = items.flatMap(({ rid, keys }) => keys.map((key) => ({ key, rid })));
    this.entries.load(all);
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

  /** Index order of two full key tuples. */
  compareKeys(a: unknown[], b: unknown[]): number {
    for (let i = 0; i < this.fields.length; i++) {
      const c = compareValues(a[i], b[i], this.collator);
      if (c !== 0) return c * this.directions[i];
    }
    return 0;
  }

  /** Index order of a key against a bound that covers only its first `bound.length` fields. */
  comparePrefix(key: unknown[], bound: unknown[]): number {
    for (let i = 0; i < bound.length; i++) {
      const c = compareValues(key[i], bound[i], this.collator);
      if (c !== 0) return c * this.directions[i];
    }
    return 0;
  }
}

/** 1 or -1 for an ascending/descending key; special index types are refused (67 CannotCreateIndex). */
export function keyDirection(value: unknown): 1 | -1 {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : NaN;
  if (typeof value === 'string') {
    throw new MongoServerError('CannotCreateIndex', `index type '${value}' is not supported by the embedded server`);
  }
  if (!Number.isFinite(n) || n === 0) {
    throw new MongoServerError('CannotCreateIndex', `Values in the index key pattern can't be ${String(value)}`);
  }
  return n > 0 ? 1 : -1;
}
