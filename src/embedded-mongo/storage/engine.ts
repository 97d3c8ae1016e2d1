/**
 * The storage engine: catalog, documents, indexes, reads through the planner, transactions and the TTL sweep.
 * Every committed change is a list of change records applied by `applyCommit` (atomically: all or none) and then
 * handed to `Persistence`; start-up replays `loadState()` through the same function.
 */
import { Binary, UUID, type Timestamp } from 'bson';
import { numberOf } from '../bson/double';
import { MongoServerError } from '../errors';
import type {
  CatalogStats,
  CollectionInfo,
  CollectionOptions,
  Document,
  FindRequest,
  FindResult,
  IndexSpec,
  StorageEngine,
  TransactionHandle,
  TransactionOrigin,
  UpdateChange,
  WriteBatch,
} from '../types';
import { ChangeHistory, type CommitEntry } from './change-history';
import { ClusterClock, timestampKey, timestampOfKey } from './cluster-clock';
import { Collection, type Undo } from './collection';
import { ID_INDEX_NAME, type CollectionIndex } from './collection-index';
import { checkedSize, getDoc, type RecordFactory } from './doc-store';
import {
  duplicateIdError,
  indexesToDrop,
  indexModification,
  indexSize,
  namespaceExists,
  normaliseCollectionOptions,
  validNamespace,
  withValidId,
  writeConflict,
} from './catalog-rules';
import { alreadyExists, normaliseIndexSpec } from './index-spec';
import { planAndRun } from './planner';
import { namespace, splitNamespace, type ChangeRecord, type CommitMarker, type Persistence } from './persistence';
import { Transaction } from './transaction';
import { idKey } from './values';

export interface StorageLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EngineOptions {
  /** How often the TTL monitor runs (MongoDB: 60 s). 0 disables the background sweep. */
  ttlIntervalMs?: number;
  logger?: StorageLogger;
  /** Where documents live (default: in memory); the durable layer keeps big ones on disk. */
  recordFactory?: RecordFactory;
  /**
   * Bounds of the in-memory change history (defaults: 32 MB, 24 hours). A durable history is bounded by the
   * persistence instead (its journal files), the engine then keeping only the newest commits in memory.
   */
  changeHistory?: { maxBytes?: number; maxAgeMs?: number };
}

export const DEFAULT_MEMORY_HISTORY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_HISTORY_AGE_MS = 24 * 60 * 60 * 1000;
/** What a change record adds to the history's size when its document's stored size is not at hand. */
const RECORD_OVERHEAD_BYTES = 64;

const noLogger: StorageLogger = { info() {}, warn() {}, error() {} };
const MIN_DATE = new Date(-8.64e15);

export class EmbeddedStorage implements StorageEngine {
  private readonly databases = new Map<string, Map<string, Collection>>();
  private readonly transactions = new Map<number, Transaction>();
  /** "ns\0idKey" → id of the open transaction that has staged a write to that document. */
  private readonly stagedWriters = new Map<string, number>();
  private nextTransactionId = 1;
  private ttlTimer: NodeJS.Timeout | undefined;
  private readonly logger: StorageLogger;
  private closed = false;
  private readonly clock = new ClusterClock();
  /** The commits change streams read; built at `start`, once the clock has been brought forward by the replay. */
  private changeHistory: ChangeHistory | undefined;

  constructor(
    private readonly persistence: Persistence,
    private readonly options: EngineOptions = {},
  ) {
    this.logger = options.logger ?? noLogger;
  }

  /** Replays persisted state, opens the change history and starts the TTL monitor. */
  async start(): Promise<void> {
    const records = await this.persistence.loadState();
    if (records.length > 0) this.applyCommit(records);
    const limits = this.options.changeHistory ?? {};
    this.changeHistory = new ChangeHistory(this.clock.latest, {
      maxBytes: limits.maxBytes ?? DEFAULT_MEMORY_HISTORY_BYTES,
      maxAgeMs: limits.maxAgeMs ?? DEFAULT_HISTORY_AGE_MS,
      archive: this.persistence.history,
    });
    const interval = this.options.ttlIntervalMs ?? 60_000;
    if (interval > 0) {
      this.ttlTimer = setInterval(() => {
        this.sweepExpired().catch((err: unknown) => this.logger.error({ err }, 'TTL sweep failed'));
      }, interval);
      this.ttlTimer.unref();
    }
  }

  // ---------------------------------------------------------------- the one commit path

  /**
   * Applies `records` in order, all or none; `committing` is the transaction whose commit this is, if any. `live`:
   * a new commit (not one read back), whose removed and replaced documents are kept as pre-images where the
   * collection asks for them.
   */
  applyCommit(records: ChangeRecord[], committing?: Transaction, live = false): void {
    const undos: Undo[] = [];
    try {
      for (const record of records) {
        if (live) this.notePreImage(record);
        undos.push(this.applyRecord(record, committing));
      }
    } catch (err) {
      for (let i = undos.length - 1; i >= 0; i--) undos[i]();
      throw err;
    }
  }

  /** The change history (readable once the engine has started). */
  get history(): ChangeHistory {
    if (!this.changeHistory) throw new Error('the storage engine has not been started');
    return this.changeHistory;
  }

  clusterTime(): Timestamp {
    return timestampOfKey(this.clock.latest);
  }

  latestClusterTime(): bigint {
    return this.clock.latest;
  }

  /**
   * Applies a new commit, stamps it with the next cluster time and enters it in the change history; returns the
   * records to make durable (its marker first) and its time, which becomes readable once they are durable.
   * `previous`: the commit before it in the same journal frame, whose UUIDs its marker need not repeat.
   */
  private commitLive(
    records: ChangeRecord[],
    committing?: Transaction,
    origin?: TransactionOrigin,
    previous?: CommitEntry,
  ): { records: ChangeRecord[]; ts: bigint; entry: CommitEntry } {
    const uuids = this.uuidsOf(records);
    this.applyCommit(records, committing, true);
    const ts = this.clock.tick();
    const wallTime = new Date();
    const marker: CommitMarker = { op: 'commit', ts: timestampOfKey(ts), wallTime };
    if (!previous || !sameUuids(previous.uuids, uuids)) marker.uuids = [...uuids].map(([ns, uuid]) => ({ ns, uuid }));
    if (origin) {
      marker.lsid = origin.lsid;
      marker.txnNumber = origin.txnNumber;
    }
    const entry: CommitEntry = { ts, wallTime, lsid: origin?.lsid, txnNumber: origin?.txnNumber, uuids, records };
    this.history.append(entry, this.historyBytes(records));
    return { records: [marker, ...records], ts, entry };
  }

  /** Hands a commit's records to the persistence; once durable, its changes become readable to change streams. */
  private makeDurable(records: ChangeRecord[], ts: bigint): Promise<void> {
    return this.persistence.append(records).then(() => this.history.markDurable(ts));
  }

  /** The UUID of each namespace the records touch, as it is before they apply (a rename's target: its old one). */
  private uuidsOf(records: ChangeRecord[]): Map<string, unknown> {
    const uuids = new Map<string, unknown>();
    for (const record of records) {
      if (record.op === 'commit' || record.op === 'dropDatabase') continue;
      if (record.op === 'createCollection') {
        if (!uuids.has(record.ns)) uuids.set(record.ns, record.uuid);
        continue;
      }
      if (!uuids.has(record.ns)) {
        const collection = this.findCollection(record.ns);
        if (collection) uuids.set(record.ns, collection.uuid);
      }
      if (record.op === 'renameCollection' && !uuids.has(record.to)) {
        const target = this.findCollection(record.to);
        if (target) uuids.set(record.to, target.uuid);
      }
    }
    return uuids;
  }

  /** About the bytes a commit holds: the stored size of its documents, a small overhead for the rest. */
  private historyBytes(records: ChangeRecord[]): number {
    let bytes = 0;
    for (const record of records) {
      bytes += RECORD_OVERHEAD_BYTES;
      if (record.op === 'insert' || record.op === 'replace') bytes += this.findCollection(record.ns)?.findById(record.doc._id)?.size ?? 0;
      if ((record.op === 'replace' || record.op === 'remove') && record.preImage) bytes += RECORD_OVERHEAD_BYTES * 4;
    }
    return bytes;
  }

  /** A collection with changeStreamPreAndPostImages keeps the document a replace or remove changes. */
  private notePreImage(record: ChangeRecord): void {
    if (record.op !== 'replace' && record.op !== 'remove') return;
    const collection = this.findCollection(record.ns);
    if (!preAndPostImagesEnabled(collection?.options)) return;
    const old = collection?.findById(record.op === 'replace' ? record.doc._id : record.id);
    if (old) record.preImage = getDoc(old);
  }

  /**
   * Start-up replay of a commit that was applied and made durable before: no undo (a failure stops the start-up,
   * nothing to roll back to) and no transactions to keep before-images for. Inserts go through the bulk path
   * (index entries deferred and built in one sort each); `finishReplay` completes the indexes.
   */
  replayCommit(records: ChangeRecord[]): void {
    // Runs of inserts into one collection look it up once (any other record may change the catalog).
    let last: { ns: string; collection: Collection } | undefined;
    for (const record of records) {
      if (record.op !== 'insert') {
        last = undefined;
        this.applyRecord(record, undefined);
        continue;
      }
      if (last?.ns !== record.ns) last = { ns: record.ns, collection: this.findCollection(record.ns) ?? this.collectionForWrite(record.ns).collection };
      const collection = last.collection;
      if (collection.options.capped) this.applyRecord(record, undefined);
      else collection.loadInsert(record.doc, record.size);
    }
  }

  /** Builds the index entries replay deferred; throws 11000 when the replayed documents break a unique index. */
  finishReplay(): void {
    for (const colls of this.databases.values()) for (const collection of colls.values()) collection.mergePendingEntries();
  }

  private applyRecord(record: ChangeRecord, committing: Transaction | undefined): Undo {
    switch (record.op) {
      case 'commit':
        this.clock.advanceTo(timestampKey(record.ts));
        return noop;
      case 'insert': {
        const { collection, undo: undoCreate } = this.collectionForWrite(record.ns);
        const undoImage = this.rememberBeforeImages(record.ns, record.doc._id, null, committing);
        try {
          const undo = collection.insert(record.doc);
          const undoEvict = this.evictFromCapped(collection, committing);
          return chain(undoEvict, undo, undoImage, undoCreate);
        } catch (err) {
          chain(undoImage, undoCreate)();
          throw err;
        }
      }
      case 'replace': {
        const collection = this.requireCollection(record.ns);
        const old = collection.findById(record.doc._id);
        if (!old) throw new Error(`replace of a missing document in ${record.ns}`);
        const undoImage = this.rememberBeforeImages(record.ns, record.doc._id, getDoc(old), committing);
        try {
          return chain(collection.replace(record.doc), undoImage);
        } catch (err) {
          undoImage();
          throw err;
        }
      }
      case 'remove': {
        const collection = this.findCollection(record.ns);
        const old = collection?.findById(record.id);
        if (!collection || !old) return noop;
        const undoImage = this.rememberBeforeImages(record.ns, record.id, getDoc(old), committing);
        const removed = collection.remove(record.id);
        return chain(removed ? removed.undo : noop, undoImage);
      }
      case 'createCollection': {
        if (this.findCollection(record.ns)) throw namespaceExists(record.ns);
        const { db, coll } = splitNamespace(record.ns);
        return this.attach(new Collection(db, coll, record.options, record.uuid, this.options.recordFactory));
      }
      case 'dropCollection':
        return this.detach(record.ns);
      case 'createIndex': {
        const { collection, undo: undoCreate } = this.collectionForWrite(record.ns);
        try {
          return chain(collection.addIndex(record.spec), undoCreate);
        } catch (err) {
          undoCreate();
          throw err;
        }
      }
      case 'dropIndex':
        return this.requireCollection(record.ns).dropIndex(record.name);
      case 'renameCollection':
        return this.applyRename(record.ns, record.to, record.dropTarget);
      case 'collMod':
        return this.applyCollMod(record);
      case 'dropDatabase':
        return this.applyDropDatabase(record.db);
    }
  }

  private collectionForWrite(ns: string): { collection: Collection; undo: Undo } {
    const existing = this.findCollection(ns);
    if (existing) return { collection: existing, undo: noop };
    const { db, coll } = splitNamespace(ns);
    const collection = new Collection(db, coll, {}, new UUID(), this.options.recordFactory);
    return { collection, undo: this.attach(collection) };
  }

  private attach(collection: Collection): Undo {
    let db = this.databases.get(collection.db);
    if (!db) {
      db = new Map();
      this.databases.set(collection.db, db);
    }
    const colls = db;
    colls.set(collection.name, collection);
    return () => colls.delete(collection.name);
  }

  private detach(ns: string): Undo {
    const collection = this.findCollection(ns);
    if (!collection) return noop;
    this.databases.get(collection.db)?.delete(collection.name);
    this.markCatalogConflicts(ns);
    return () => this.attach(collection);
  }

  private applyRename(fromNs: string, toNs: string, dropTarget: boolean): Undo {
    const source = this.requireCollection(fromNs);
    const target = this.findCollection(toNs);
    if (target && !dropTarget) throw namespaceExists(toNs);
    const undoTarget = target ? this.detach(toNs) : noop;
    const undoSource = this.detach(fromNs);
    const from = { db: source.db, name: source.name };
    const to = splitNamespace(toNs);
    source.db = to.db;
    source.name = to.coll;
    const undoAttach = this.attach(source);
    return () => {
      undoAttach();
      source.db = from.db;
      source.name = from.name;
      undoSource();
      undoTarget();
    };
  }

  private applyCollMod(record: Extract<ChangeRecord, { op: 'collMod' }>): Undo {
    const collection = this.requireCollection(record.ns);
    const oldOptions = collection.options;
    if (record.options) collection.options = record.options;
    let undoIndex: Undo = noop;
    if (record.index) {
      const index = collection.indexes.get(record.index.name);
      if (!index) throw new MongoServerError('IndexNotFound', `cannot find index ${record.index.name} for ns ${record.ns}`);
      const oldSpec = index.spec;
      const spec: IndexSpec = { ...oldSpec };
      if (record.index.expireAfterSeconds !== undefined) spec.expireAfterSeconds = record.index.expireAfterSeconds;
      if (record.index.hidden !== undefined) {
        if (record.index.hidden) spec.hidden = true;
        else delete spec.hidden;
      }
      index.spec = spec;
      undoIndex = () => (index.spec = oldSpec);
    }
    return () => {
      undoIndex();
      collection.options = oldOptions;
    };
  }

  private applyDropDatabase(db: string): Undo {
    const colls = this.databases.get(db);
    if (!colls) return noop;
    for (const name of colls.keys()) this.markCatalogConflicts(namespace(db, name));
    this.databases.delete(db);
    return () => this.databases.set(db, colls);
  }

  /**
   * A capped collection drops its oldest documents once it exceeds `size` bytes or `max` documents. Replaying the
   * insert replays the eviction, so evictions are not records of their own.
   */
  private evictFromCapped(collection: Collection, committing: Transaction | undefined): Undo {
    const { capped, size, max } = collection.options;
    if (!capped) return noop;
    const maxBytes = positiveLimit(size);
    const maxDocs = positiveLimit(max);
    const undos: Undo[] = [];
    while (collection.count > 1 && (collection.count > maxDocs || collection.dataSize > maxBytes)) {
      const oldest = collection.documents().next();
      if (oldest.done) break;
      const id = getDoc(oldest.value)._id;
      undos.push(this.rememberBeforeImages(collection.ns, id, getDoc(oldest.value), committing));
      const removed = collection.remove(id);
      if (removed) undos.push(removed.undo);
    }
    return () => undos.reverse().forEach((undo) => undo());
  }

  /** Keeps, for every open transaction, the committed state a document had when that transaction started. */
  private rememberBeforeImages(ns: string, id: unknown, doc: Document | null, committing: Transaction | undefined): Undo {
    const undos: Undo[] = [];
    for (const txn of this.transactions.values()) {
      if (txn === committing) continue;
      const undo = txn.rememberBeforeImage(ns, id, doc);
      if (undo) undos.push(undo);
    }
    return () => undos.forEach((undo) => undo());
  }

  private markCatalogConflicts(ns: string): void {
    for (const txn of this.transactions.values()) if (txn.wroteTo(ns)) txn.catalogConflict = true;
  }

  /** Applies records and waits for them to be durable. */
  private async commit(records: ChangeRecord[]): Promise<void> {
    const stamped = this.commitLive(records);
    await this.makeDurable(stamped.records, stamped.ts);
  }

  // ---------------------------------------------------------------- catalog

  listDatabaseNames(): string[] {
    return [...this.databases].filter(([, colls]) => colls.size > 0).map(([name]) => name);
  }

  databaseStats(db: string): CatalogStats {
    const stats: CatalogStats = { collections: 0, objects: 0, dataSize: 0, storageSize: 0, indexes: 0, indexSize: 0 };
    for (const collection of this.databases.get(db)?.values() ?? []) {
      stats.collections++;
      stats.objects += collection.count;
      stats.dataSize += collection.dataSize;
      stats.storageSize += collection.dataSize;
      stats.indexes += collection.indexes.size;
      for (const index of collection.indexes.values()) stats.indexSize += indexSize(index);
    }
    return stats;
  }

  collectionStats(db: string, coll: string): ReturnType<StorageEngine['collectionStats']> {
    const collection = this.findCollection(namespace(db, coll));
    if (!collection) throw new MongoServerError('NamespaceNotFound', `Collection [${db}.${coll}] not found.`);
    const indexSizes: Record<string, number> = {};
    for (const index of collection.indexes.values()) indexSizes[index.name] = indexSize(index);
    const totalIndexSize = Object.values(indexSizes).reduce((a, b) => a + b, 0);
    return {
      collections: 1,
      objects: collection.count,
      count: collection.count,
      dataSize: collection.dataSize,
      storageSize: collection.dataSize,
      avgObjSize: collection.count ? Math.round(collection.dataSize / collection.count) : 0,
      indexes: collection.indexes.size,
      nindexes: collection.indexes.size,
      indexSize: totalIndexSize,
      indexSizes,
    };
  }

  listCollections(db: string): CollectionInfo[] {
    return [...(this.databases.get(db)?.values() ?? [])].map((c) => ({
      name: c.name,
      type: 'collection',
      options: { ...c.options },
      info: { readOnly: false, uuid: c.uuid },
      idIndex: { ...c.idIndex.spec },
    }));
  }

  collectionOptions(db: string, coll: string): CollectionOptions | undefined {
    return this.databases.get(db)?.get(coll)?.options;
  }

  async createCollection(db: string, coll: string, options: CollectionOptions): Promise<void> {
    const ns = validNamespace(db, coll);
    if (this.findCollection(ns)) throw namespaceExists(ns);
    await this.commit([{ op: 'createCollection', ns, options: normaliseCollectionOptions(options), uuid: new UUID() }]);
  }

  async dropCollection(db: string, coll: string): Promise<boolean> {
    const ns = namespace(db, coll);
    if (!this.findCollection(ns)) return false;
    await this.commit([{ op: 'dropCollection', ns }]);
    return true;
  }

  async dropDatabase(db: string): Promise<void> {
    const colls = this.databases.get(db);
    if (!colls) return;
    // Each collection is dropped first, as mongod does (change streams see a drop for each, then dropDatabase).
    const drops: ChangeRecord[] = [...colls.keys()].map((name) => ({ op: 'dropCollection', ns: namespace(db, name) }));
    await this.commit([...drops, { op: 'dropDatabase', db }]);
  }

  async renameCollection(fromDb: string, fromColl: string, toDb: string, toColl: string, dropTarget: boolean): Promise<void> {
    const from = namespace(fromDb, fromColl);
    const to = validNamespace(toDb, toColl);
    if (!this.findCollection(from)) throw new MongoServerError('NamespaceNotFound', `Source collection ${from} does not exist`);
    if (from === to) throw new MongoServerError('IllegalOperation', "Can't rename a collection to itself");
    if (this.findCollection(to) && !dropTarget) throw new MongoServerError('NamespaceExists', 'target namespace exists');
    await this.commit([{ op: 'renameCollection', ns: from, to, dropTarget }]);
  }

  async collMod(db: string, coll: string, command: Document): Promise<Document> {
    const ns = namespace(db, coll);
    const collection = this.findCollection(ns);
    if (!collection) throw new MongoServerError('NamespaceNotFound', `ns does not exist: ${ns}`);
    const record: Extract<ChangeRecord, { op: 'collMod' }> = { op: 'collMod', ns, before: { collectionOptions: collection.options } };
    const reply: Document = {};
    const optionChanges: CollectionOptions = {};
    for (const field of ['validator', 'validationLevel', 'validationAction', 'changeStreamPreAndPostImages'] as const) {
      if (command[field] !== undefined) optionChanges[field] = command[field] as never;
    }
    if (Object.keys(optionChanges).length > 0) record.options = { ...collection.options, ...optionChanges };
    if (command.index !== undefined) {
      const { index, change } = indexModification(collection, command.index);
      record.index = change;
      record.before = { collectionOptions: collection.options, indexOptions: { expireAfterSeconds: index.spec.expireAfterSeconds, hidden: index.spec.hidden === true } };
      if (change.expireAfterSeconds !== undefined) {
        reply.expireAfterSeconds_old = index.spec.expireAfterSeconds;
        reply.expireAfterSeconds_new = change.expireAfterSeconds;
      }
      if (change.hidden !== undefined) {
        reply.hidden_old = index.spec.hidden === true;
        reply.hidden_new = change.hidden;
      }
    }
    if (record.options || record.index) await this.commit([record]);
    return reply;
  }

  async createIndexes(db: string, coll: string, specs: IndexSpec[]): ReturnType<StorageEngine['createIndexes']> {
    const ns = validNamespace(db, coll);
    const existing = this.findCollection(ns);
    const records: ChangeRecord[] = [];
    const options = existing?.options ?? {};
    if (!existing) records.push({ op: 'createCollection', ns, options, uuid: new UUID() });
    const current = existing ? [...existing.indexes.values()].map((i) => i.spec) : [{ v: 2, key: { _id: 1 }, name: ID_INDEX_NAME }];
    const before = current.length;
    for (const raw of specs) {
      const spec = normaliseIndexSpec(raw, options.collation);
      if (alreadyExists(current, spec)) continue;
      current.push(spec);
      records.push({ op: 'createIndex', ns, spec });
    }
    const result = { numIndexesBefore: before, numIndexesAfter: current.length, createdCollectionAutomatically: !existing };
    if (records.length > 0) await this.commit(records);
    return current.length === before ? { ...result, note: 'all indexes already exist' } : result;
  }

  listIndexes(db: string, coll: string): IndexSpec[] {
    const ns = namespace(db, coll);
    const collection = this.findCollection(ns);
    if (!collection) throw new MongoServerError('NamespaceNotFound', `ns does not exist: ${ns}`);
    return [...collection.indexes.values()].map((index) => ({ ...index.spec }));
  }

  async dropIndexes(db: string, coll: string, which: string | string[] | Document): Promise<{ nIndexesWas: number }> {
    const ns = namespace(db, coll);
    const collection = this.findCollection(ns);
    if (!collection) throw new MongoServerError('NamespaceNotFound', `ns not found ${ns}`);
    const nIndexesWas = collection.indexes.size;
    const names = indexesToDrop(collection, which);
    if (names.length > 0) await this.commit(names.map((name) => ({ op: 'dropIndex', ns, name, spec: collection.indexes.get(name)?.spec })));
    return { nIndexesWas };
  }

  // ---------------------------------------------------------------- reads

  find(txn: TransactionHandle | undefined, db: string, coll: string, request: FindRequest): FindResult {
    const ns = namespace(db, coll);
    const collection = this.findCollection(ns);
    const read = planAndRun(collection, ns, request);
    const transaction = txn ? this.requireTransaction(txn) : undefined;
    const overlay = transaction?.overlay(ns);
    if (!overlay || overlay.size === 0) return { docs: read.docs, plan: read.plan, textScores: read.textScores };

    // The transaction's view: committed results minus documents it sees differently, plus its visible versions.
    const docs = read.docs.filter((doc) => !overlay.has(idKey(doc._id)));
    for (const { doc } of overlay.values()) if (doc && read.admits(doc)) docs.push(doc);
    if (read.compare) docs.sort(read.compare);
    return { docs, plan: { ...read.plan, providesSort: false }, textScores: read.textScores };
  }

  // ---------------------------------------------------------------- writes

  async write<T>(txn: TransactionHandle | undefined, fn: (batch: WriteBatch) => T, options?: { durable?: boolean }): Promise<T> {
    if (txn) return fn(this.transactionBatch(this.requireTransaction(txn)));
    const committed: ChangeRecord[] = [];
    const stamp = { ts: 0n };
    let result: T | undefined;
    let failure: { error: unknown } | undefined;
    try {
      result = fn(this.directBatch(committed, stamp));
    } catch (error) {
      failure = { error };
    }
    if (committed.length > 0) {
      const durable = this.makeDurable(committed, stamp.ts);
      if (options?.durable === false) durable.catch((err: unknown) => this.logger.error({ err }, 'journal append failed'));
      else await durable;
    }
    if (failure) throw failure.error;
    return result as T;
  }

  /** Writes that commit one by one as they are made (MongoDB batches are not atomic); `stamp` gets the last one's time. */
  private directBatch(committed: ChangeRecord[], stamp: { ts: bigint }): WriteBatch {
    let previous: CommitEntry | undefined;
    const apply = (records: ChangeRecord[]): void => {
      const stamped = this.commitLive(records, undefined, undefined, previous);
      for (const record of stamped.records) committed.push(record);
      stamp.ts = stamped.ts;
      previous = stamped.entry;
    };
    return {
      insert: (db, coll, doc) => {
        const ns = validNamespace(db, coll);
        const stored = withValidId(doc);
        const records: ChangeRecord[] = [];
        if (!this.findCollection(ns)) records.push({ op: 'createCollection', ns, options: {}, uuid: new UUID() });
        records.push({ op: 'insert', ns, doc: stored });
        apply(records);
      },
      replace: (db, coll, newDoc, update) => {
        const ns = namespace(db, coll);
        if (!this.findCollection(ns)?.findById(newDoc._id)) throw new Error(`replace of a missing document in ${ns}`);
        apply([replaceRecord(ns, newDoc, update)]);
      },
      remove: (db, coll, id) => {
        const ns = namespace(db, coll);
        if (!this.findCollection(ns)?.findById(id)) return false;
        apply([{ op: 'remove', ns, id }]);
        return true;
      },
      find: (db, coll, request) => this.find(undefined, db, coll, request),
    };
  }

  /** Writes staged in a transaction: checked against its view now, applied at commit. */
  private transactionBatch(txn: Transaction): WriteBatch {
    return {
      insert: (db, coll, doc) => {
        const ns = validNamespace(db, coll);
        const stored = withValidId(doc);
        this.checkWritable(txn, ns, stored._id);
        if (this.visibleDoc(txn, ns, stored._id)) {
          throw this.findCollection(ns)?.idIndex.duplicateKeyError(ns, [stored._id]) ?? duplicateIdError(ns, stored._id);
        }
        checkedSize(stored);
        this.checkIndexesInTransaction(txn, ns, stored);
        this.stage(txn, { op: 'insert', ns, doc: stored }, ns, stored._id, stored);
      },
      replace: (db, coll, newDoc, update) => {
        const ns = namespace(db, coll);
        this.checkWritable(txn, ns, newDoc._id);
        if (!this.visibleDoc(txn, ns, newDoc._id)) throw new Error(`replace of a missing document in ${ns}`);
        checkedSize(newDoc);
        this.checkIndexesInTransaction(txn, ns, newDoc);
        this.stage(txn, replaceRecord(ns, newDoc, update), ns, newDoc._id, newDoc);
      },
      remove: (db, coll, id) => {
        const ns = namespace(db, coll);
        if (!this.visibleDoc(txn, ns, id)) return false;
        this.checkWritable(txn, ns, id);
        this.stage(txn, { op: 'remove', ns, id }, ns, id, null);
        return true;
      },
      find: (db, coll, request) => this.find(txn, db, coll, request),
    };
  }

  private visibleDoc(txn: Transaction, ns: string, id: unknown): Document | null {
    const seen = txn.visible(ns, id);
    if (seen) return seen.doc;
    const record = this.findCollection(ns)?.findById(id);
    return record ? getDoc(record) : null;
  }

  /**
   * Writing a document someone else committed since the transaction began is a conflict (first committer wins), and
   * so is writing one another open transaction has already written (as in MongoDB, the second writer fails at once).
   */
  private checkWritable(txn: Transaction, ns: string, id: unknown): void {
    if (txn.changedByOthers(ns, id)) throw writeConflict();
    const owner = this.stagedWriters.get(stagedKey(ns, id));
    if (owner !== undefined && owner !== txn.id && this.transactions.has(owner)) throw writeConflict();
  }

  private stage(txn: Transaction, record: ChangeRecord, ns: string, id: unknown, doc: Document | null): void {
    txn.stage(record, ns, id, doc);
    this.stagedWriters.set(stagedKey(ns, id), txn.id);
  }

  private endTransaction(txn: Transaction): void {
    this.transactions.delete(txn.id);
    for (const [ns, writes] of txn.writes) {
      for (const { id } of writes.values()) {
        const key = stagedKey(ns, id);
        if (this.stagedWriters.get(key) === txn.id) this.stagedWriters.delete(key);
      }
    }
  }

  /** Index keys must be valid, and unique as the transaction sees them: committed keys it did not override, plus its own. */
  private checkIndexesInTransaction(txn: Transaction, ns: string, doc: Document): void {
    const collection = this.findCollection(ns);
    if (!collection) return;
    const overlay = txn.overlay(ns);
    const selfKey = idKey(doc._id);
    for (const index of collection.indexes.values()) {
      const keys = index.keysFor(doc); // throws 171 for parallel arrays now rather than at commit
      if (!index.unique || index.name === ID_INDEX_NAME) continue;
      for (const key of keys) {
        let clash = false;
        index.scanRange({ start: key, startInclusive: true, end: key, endInclusive: true }, (entry) => {
          const record = collection.records.get(entry.rid);
          const otherKey = record ? idKey(getDoc(record)._id) : selfKey;
          clash = otherKey !== selfKey && !overlay.has(otherKey);
          return !clash;
        });
        for (const [otherKey, { doc: other }] of overlay) {
          if (clash) break;
          if (otherKey === selfKey || !other) continue;
          clash = index.keysFor(other).some((k) => index.compareKeys(k, key) === 0);
        }
        if (clash) throw index.duplicateKeyError(ns, key);
      }
    }
  }

  // ---------------------------------------------------------------- transactions

  beginTransaction(): TransactionHandle {
    const txn = new Transaction(this.nextTransactionId++, Date.now());
    this.transactions.set(txn.id, txn);
    return txn;
  }

  async commitTransaction(handle: TransactionHandle, origin?: TransactionOrigin): Promise<void> {
    const txn = this.requireTransaction(handle);
    this.endTransaction(txn);
    if (txn.hasConflict()) throw writeConflict();
    if (txn.records.length === 0) return;
    const records: ChangeRecord[] = [];
    const created = new Set<string>();
    for (const record of txn.records) {
      if (record.op === 'insert' && !this.findCollection(record.ns) && !created.has(record.ns)) {
        created.add(record.ns);
        records.push({ op: 'createCollection', ns: record.ns, options: {}, uuid: new UUID() });
      }
      records.push(record);
    }
    const stamped = this.commitLive(records, txn, origin);
    await this.makeDurable(stamped.records, stamped.ts);
  }

  abortTransaction(handle: TransactionHandle): void {
    const txn = this.transactions.get(handle.id);
    if (txn) this.endTransaction(txn);
  }

  private requireTransaction(handle: TransactionHandle): Transaction {
    const txn = this.transactions.get(handle.id);
    if (!txn) throw new MongoServerError('NoSuchTransaction', `Transaction ${handle.id} has been aborted.`, {}, ['TransientTransactionError']);
    return txn;
  }

  // ---------------------------------------------------------------- TTL

  /** Deletes documents whose TTL index date is older than its expireAfterSeconds; returns how many. */
  async sweepExpired(now: number = Date.now()): Promise<number> {
    if (this.closed) return 0;
    const expired: Array<{ db: string; coll: string; id: unknown }> = [];
    for (const colls of this.databases.values()) {
      for (const collection of colls.values()) {
        for (const index of collection.indexes.values()) {
          const seconds = index.spec.expireAfterSeconds;
          if (typeof seconds !== 'number' || index.fields.length !== 1) continue;
          for (const id of expiredIds(collection, index, new Date(now - seconds * 1000))) expired.push({ db: collection.db, coll: collection.name, id });
        }
      }
    }
    if (expired.length === 0) return 0;
    const removed = await this.write(undefined, (batch) => expired.filter(({ db, coll, id }) => batch.remove(db, coll, id)).length);
    if (removed > 0) this.logger.info({ removed }, 'TTL sweep removed expired documents');
    return removed;
  }

  /**
   * The whole current state as one record list (collections, their documents in natural order, then their
   * indexes, which builds each index in one sorted pass). Replaying it with `applyCommit` rebuilds this state;
   * the durability layer writes it as a checkpoint.
   */
  checkpointRecords(): ChangeRecord[] {
    // The clock first: a restart from this checkpoint alone must not hand out a time again.
    const records: ChangeRecord[] = [{ op: 'commit', ts: timestampOfKey(this.clock.latest), wallTime: new Date() }];
    for (const colls of this.databases.values()) {
      for (const collection of colls.values()) {
        const ns = collection.ns;
        records.push({ op: 'createCollection', ns, options: collection.options, uuid: collection.uuid });
        // A getter: documents kept on disk are read one at a time as the checkpoint writes them, not all at once.
        for (const record of collection.documents()) records.push({ op: 'insert', ns, get doc() { return getDoc(record); } });
        for (const index of collection.indexes.values()) if (index.name !== ID_INDEX_NAME) records.push({ op: 'createIndex', ns, spec: index.spec });
      }
    }
    return records;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ttlTimer) clearInterval(this.ttlTimer);
    this.changeHistory?.wakeAll();
    this.transactions.clear();
    this.stagedWriters.clear();
    await this.persistence.close();
  }

  // ---------------------------------------------------------------- helpers

  private findCollection(ns: string): Collection | undefined {
    const { db, coll } = splitNamespace(ns);
    return this.databases.get(db)?.get(coll);
  }

  private requireCollection(ns: string): Collection {
    const collection = this.findCollection(ns);
    if (!collection) throw new MongoServerError('NamespaceNotFound', `ns does not exist: ${ns}`);
    return collection;
  }
}

/** A capped collection's size or max as sent by a client (int32, int64 or double); Infinity when unset or <= 0. */
function positiveLimit(value: unknown): number {
  const n = numberOf(value);
  return n !== undefined && n > 0 ? n : Infinity;
}

function stagedKey(ns: string, id: unknown): string {
  return `${ns}\0${idKey(id)}`;
}

function expiredIds(collection: Collection, index: CollectionIndex, cutoff: Date): unknown[] {
  const ids: unknown[] = [];
  const ascending = index.directions[0] === 1;
  const range = ascending
    ? { start: [MIN_DATE], startInclusive: true, end: [cutoff], endInclusive: true }
    : { start: [cutoff], startInclusive: true, end: [MIN_DATE], endInclusive: true };
  const seen = new Set<number>();
  index.scanRange(range, (entry) => {
    const record = collection.records.get(entry.rid);
    if (record && !seen.has(entry.rid)) {
      seen.add(entry.rid);
      ids.push(getDoc(record)._id);
    }
    return true;
  });
  return ids;
}

function noop(): void {}

function sameUuids(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [ns, uuid] of b) if (!a.has(ns) || !uuidEquals(a.get(ns), uuid)) return false;
  return true;
}

function uuidEquals(a: unknown, b: unknown): boolean {
  return a === b || (a instanceof UUID && b instanceof UUID && a.equals(b)) || (a instanceof Binary && b instanceof Binary && a.toString('hex') === b.toString('hex'));
}

function replaceRecord(ns: string, doc: Document, update: UpdateChange | undefined): ChangeRecord {
  return update ? { op: 'replace', ns, doc, update } : { op: 'replace', ns, doc };
}

export function preAndPostImagesEnabled(options: CollectionOptions | undefined): boolean {
  const setting = options?.changeStreamPreAndPostImages;
  return typeof setting === 'object' && setting !== null && (setting as { enabled?: unknown }).enabled === true;
}

function chain(...undos: Undo[]): Undo {
  return () => undos.forEach((undo) => undo());
}
