/**
 * A collection's documents and indexes. Every mutation checks all indexes before it changes anything (so a failed
 * write leaves no trace) and returns an undo function, which lets `applyCommit` make a whole record list atomic.
 */
import { MongoServerError } from '../errors';
import type { CollectionOptions, Document, IndexSpec } from '../types';
import { CollectionIndex, ID_INDEX_NAME } from './collection-index';
import { checkedKnownSize, checkedSize, getDoc, inMemoryRecords, type RecordFactory, type StoredRecord } from './doc-store';
import { changedFieldsFrom } from '../bson/derived';
import { sizeAfterUpdate } from './size-delta';

export type Undo = () => void;

export class Collection {
  readonly records = new Map<number, StoredRecord>();
  readonly indexes = new Map<string, CollectionIndex>();
  dataSize = 0;
  private nextRid = 1;
  /** Set when an undo put back a record out of rid order (Map iteration order is insertion order). */
  private outOfOrder = false;
  private nsOf = { db: '', name: '', ns: '' };

  constructor(
    public db: string,
    public name: string,
    public options: CollectionOptions,
    public readonly uuid: unknown,
    private readonly recordFactory: RecordFactory = inMemoryRecords,
  ) {
    const idSpec: IndexSpec = { v: 2, key: { _id: 1 }, name: ID_INDEX_NAME };
    if (options.collation) idSpec.collation = options.collation;
    this.indexes.set(ID_INDEX_NAME, new CollectionIndex(idSpec));
  }

  get ns(): string {
    // Built once per name (a rename assigns db and name): replay asks for it per document.
    if (this.nsOf.db !== this.db || this.nsOf.name !== this.name) this.nsOf = { db: this.db, name: this.name, ns: `${this.db}.${this.name}` };
    return this.nsOf.ns;
  }

  get idIndex(): CollectionIndex {
    const index = this.indexes.get(ID_INDEX_NAME);
    if (!index) throw new Error(`collection ${this.ns} lost its _id index`);
    return index;
  }

  get count(): number {
    return this.records.size;
  }

  findById(id: unknown): StoredRecord | undefined {
    const rid = this.idIndex.findOtherRid([id]);
    return rid === undefined ? undefined : this.records.get(rid);
  }

  insert(doc: Document): Undo {
    const rid = this.nextRid++;
    const record = this.makeRecord(rid, doc);
    const keys = this.keysChecked(doc, rid);
    this.records.set(rid, record);
    this.dataSize += record.size;
    for (const [index, indexKeys] of keys) index.add(rid, indexKeys);
    return () => this.forget(record, keys);
  }

  /**
   * Start-up replay of an insert that was checked when first committed: stored, its index entries deferred (each
   * index is built in one sort when next read, see `CollectionIndex.defer`), no undo. `size`: its BSON size when
   * the reader already knows it.
   */
  loadInsert(doc: Document, size?: number): void {
    const rid = this.nextRid++;
    const record = this.recordFactory(this.ns, rid, doc, size === undefined ? checkedSize(doc) : checkedKnownSize(size));
    this.records.set(rid, record);
    this.dataSize += record.size;
    const ns = this.ns;
    for (const index of this.indexes.values()) index.defer(ns, rid, index.keysFor(doc));
  }

  /** Builds every index's deferred entries now (throws 11000 when they break a unique index). */
  mergePendingEntries(): void {
    for (const index of this.indexes.values()) index.mergePending();
  }

  /** Replaces the document with `doc._id`; throws when there is none (callers check first). */
  replace(doc: Document): Undo {
    const old = this.findById(doc._id);
    if (!old) throw new Error(`replace of a missing document in ${this.ns}`);
    const oldDoc = getDoc(old);
    const changedFields = changedFieldsFrom(doc, oldDoc);
    const record = this.recordFactory(this.ns, old.rid, doc, checkedKnownSize(sizeAfterUpdate(oldDoc, old.size, doc, changedFields)));
    const { before, after } = this.changedKeys(oldDoc, doc, changedFields);
    for (const [index, indexKeys] of after) index.checkUnique(this.ns, old.rid, indexKeys);
    this.swap(old, record, before, after);
    return () => this.swap(record, old, after, before);
  }

  /** Removes the document with this `_id`; undefined when there is none. */
  remove(id: unknown): { doc: Document; undo: Undo } | undefined {
    const record = this.findById(id);
    if (!record) return undefined;
    const keys = this.keysOf(getDoc(record));
    this.forget(record, keys);
    return {
      doc: getDoc(record),
      undo: () => {
        this.outOfOrder = true;
        this.records.set(record.rid, record);
        this.dataSize += record.size;
        for (const [index, indexKeys] of keys) index.add(record.rid, indexKeys);
      },
    };
  }

  /** Builds a new index over the existing documents; 11000 (and no index) when they violate its uniqueness. */
  addIndex(spec: IndexSpec): Undo {
    const index = new CollectionIndex(spec);
    index.load(this.records.values(), this.ns);
    this.indexes.set(spec.name, index);
    return () => this.indexes.delete(spec.name);
  }

  dropIndex(name: string): Undo {
    const index = this.indexes.get(name);
    if (!index) throw new MongoServerError('IndexNotFound', `index not found with name [${name}]`);
    this.indexes.delete(name);
    return () => this.indexes.set(name, index);
  }

  /** The documents in natural (insertion) order. */
  *documents(): IterableIterator<StoredRecord> {
    if (this.outOfOrder) this.restoreNaturalOrder();
    yield* this.records.values();
  }

  private makeRecord(rid: number, doc: Document): StoredRecord {
    return this.recordFactory(this.ns, rid, doc, checkedSize(doc));
  }

  private restoreNaturalOrder(): void {
    const sorted = [...this.records.values()].sort((a, b) => a.rid - b.rid);
    this.records.clear();
    for (const record of sorted) this.records.set(record.rid, record);
    this.outOfOrder = false;
  }

  private keysOf(doc: Document): Map<CollectionIndex, unknown[][]> {
    const keys = new Map<CollectionIndex, unknown[][]>();
    for (const index of this.indexes.values()) keys.set(index, index.keysFor(doc));
    return keys;
  }

  /**
   * The index keys of a document before and after a replace, for the indexes where they differ. An index whose keys
   * are the very same values needs no change (same record id, same entries), which spares most index work of an
   * update touching unindexed fields. `changedFields`, when known, names the only top-level fields that differ: an
   * index reading none of them is skipped without computing keys.
   */
  private changedKeys(
    before: Document,
    after: Document,
    changedFields: readonly string[] | undefined,
  ): { before: Map<CollectionIndex, unknown[][]>; after: Map<CollectionIndex, unknown[][]> } {
    const changed = { before: new Map<CollectionIndex, unknown[][]>(), after: new Map<CollectionIndex, unknown[][]>() };
    for (const index of this.indexes.values()) {
      if (changedFields && !index.keysMayChange(changedFields)) continue;
      const oldKeys = index.keysFor(before);
      const newKeys = index.keysFor(after);
      if (identicalKeys(oldKeys, newKeys)) continue;
      changed.before.set(index, oldKeys);
      changed.after.set(index, newKeys);
    }
    return changed;
  }

  private keysChecked(doc: Document, rid: number): Map<CollectionIndex, unknown[][]> {
    const keys = this.keysOf(doc);
    for (const [index, indexKeys] of keys) index.checkUnique(this.ns, rid, indexKeys);
    return keys;
  }

  private forget(record: StoredRecord, keys: Map<CollectionIndex, unknown[][]>): void {
    this.records.delete(record.rid);
    this.dataSize -= record.size;
    for (const [index, indexKeys] of keys) index.remove(record.rid, indexKeys);
  }

  private swap(from: StoredRecord, to: StoredRecord, fromKeys: Map<CollectionIndex, unknown[][]>, toKeys: Map<CollectionIndex, unknown[][]>): void {
    for (const [index, indexKeys] of fromKeys) index.remove(from.rid, indexKeys);
    for (const [index, indexKeys] of toKeys) index.add(to.rid, indexKeys);
    this.records.set(to.rid, to);
    this.dataSize += to.size - from.size;
  }
}

/** Same key tuples holding the very same values (not merely equal in index order: 1 and Long(1), or "a" and "A" under a collation, are different entries). */
function identicalKeys(a: unknown[][], b: unknown[][]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    const y = b[k];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  }
  return true;
}
