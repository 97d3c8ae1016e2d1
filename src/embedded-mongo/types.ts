/**
 * Shared contracts between the parts of the embedded server (see DESIGN.md beside this file).
 *
 * Value representation (everywhere inside the server): documents are what `bson/decode.ts` makes of BSON bytes
 * (bson's `deserialize` with `{useBigInt64: true, promoteValues: true, promoteBuffers: false, bsonRegExp: true}`, then
 * exact number types and plain DBRef documents restored):
 *   int32 -> JS number in int32 range; double -> JS number, except a double whose value would read as an int32
 *   (integral, in int32 range, not -0), which is a bson.Double (`bson/double.ts`), so every type round-trips;
 *   int64 -> bigint, Decimal128 -> bson.Decimal128, ObjectId -> bson.ObjectId, binData -> bson.Binary,
 *   regex -> bson.BSONRegExp, timestamp -> bson.Timestamp, minKey/maxKey -> bson.MinKey/MaxKey, date -> Date,
 *   undefined -> undefined (deprecated BSON type), null -> null, arrays -> arrays, embedded docs -> plain objects
 *   (also those holding `$ref`/`$id`, which bson alone would turn into DBRef instances).
 * Serialising a reply with `bson.serialize` turns bigint back into int64 (cursor ids MUST be bigint).
 * Documents handed out by the storage engine are shared, read-only objects: nothing may mutate them.
 */
import type { Timestamp } from 'bson';
import type { ChangeHistory } from './storage/change-history';

export type Document = Record<string, unknown>;

/** `{locale, strength, caseLevel, caseFirst, numericOrdering, alternate, maxVariable, backwards, normalization}` */
export interface CollationSpec {
  locale: string;
  strength?: number;
  caseLevel?: boolean;
  caseFirst?: 'upper' | 'lower' | 'off';
  numericOrdering?: boolean;
  alternate?: 'non-ignorable' | 'shifted';
  maxVariable?: 'punct' | 'space';
  backwards?: boolean;
  normalization?: boolean;
}

/** String comparison under a collation; `undefined` collator means simple binary comparison. */
export interface Collator {
  readonly spec: CollationSpec;
  compare(a: string, b: string): number;
}

export interface IndexSpec {
  v: number;
  key: Document;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  collation?: CollationSpec;
  hidden?: boolean;
  [option: string]: unknown;
}

export interface CollectionOptions {
  capped?: boolean;
  size?: number;
  validator?: Document;
  validationLevel?: string;
  validationAction?: string;
  collation?: CollationSpec;
  [option: string]: unknown;
}

export interface CollectionInfo {
  name: string;
  type: 'collection';
  options: CollectionOptions;
  info: { readOnly: false; uuid: unknown };
  idIndex: IndexSpec;
}

/** What `explain` reports about how a read was planned. */
export interface PlanInfo {
  stage: 'IXSCAN' | 'COLLSCAN' | 'IDHACK' | 'EOF' | 'TEXT';
  indexName?: string;
  keyPattern?: Document;
  /** true when the documents come back already in the requested sort order (no in-memory sort needed). */
  providesSort: boolean;
  docsExamined: number;
  keysExamined: number;
  /** A `$text` search: the text index's prefix values, the parsed query and the terms looked up. */
  text?: { indexPrefix: Document; parsedTextQuery: Document; textIndexVersion: number; terms: string[] };
}

export interface FindRequest {
  filter: Document;
  sort?: Document;
  collation?: CollationSpec;
  hint?: string | Document;
}

export interface FindResult {
  /** Documents matching `filter` (already fully filtered), in `sort` order when `plan.providesSort`. */
  docs: Document[];
  plan: PlanInfo;
  /** For a `$text` filter: each returned document's text score (`{$meta: 'textScore'}`), keyed by the document. */
  textScores?: Map<Document, number>;
}

/** The logical session and transaction number a transaction ran under, as its change events show them. */
export interface TransactionOrigin {
  lsid: Document;
  txnNumber: bigint;
}

/** An open multi-document transaction (or undefined for a plain, auto-committed operation). */
export interface TransactionHandle {
  readonly id: number;
  readonly startedAt: number;
}

/** One step of a document path: a field name, or an array index (a number). */
export type PathStep = string | number;

/**
 * What an update changed, for its change event's `updateDescription`: the paths it set (their new values are read
 * from the new document, so they are not stored twice), the paths it removed, and the arrays it cut shorter.
 */
export interface UpdateChange {
  updated: PathStep[][];
  removed: PathStep[][];
  truncated: Array<{ path: PathStep[]; newSize: number }>;
}

/** Writes staged inside `StorageEngine.write`; each call is atomic on its own (all indexes or none). */
export interface WriteBatch {
  /** Creates the collection (and database) implicitly. Throws MongoServerError DuplicateKey (11000, with keyPattern/keyValue). */
  insert(db: string, coll: string, doc: Document): void;
  /**
   * Replaces the stored document whose _id equals `newDoc._id`. Throws 11000 on a unique-index violation.
   * `update` describes the change when it came from an update (its change event is then an update, not a replace).
   */
  replace(db: string, coll: string, newDoc: Document, update?: UpdateChange): void;
  /** Removes the document with this _id; returns false if there was none. */
  remove(db: string, coll: string, id: unknown): boolean;
  /** Reads that see this batch's (and its transaction's) own writes. */
  find(db: string, coll: string, request: FindRequest): FindResult;
}

export interface CatalogStats {
  collections: number;
  objects: number;
  dataSize: number;
  storageSize: number;
  indexes: number;
  indexSize: number;
}

export interface StorageEngine {
  listDatabaseNames(): string[];
  databaseStats(db: string): CatalogStats;
  collectionStats(db: string, coll: string): CatalogStats & { count: number; avgObjSize: number; nindexes: number; indexSizes: Record<string, number> };
  listCollections(db: string): CollectionInfo[];
  /** The options `db.coll` was created with (shared, read-only), or undefined when there is no such collection. */
  collectionOptions(db: string, coll: string): CollectionOptions | undefined;
  /** Throws 48 NamespaceExists. */
  createCollection(db: string, coll: string, options: CollectionOptions): Promise<void>;
  /** Returns false when there was no such collection. */
  dropCollection(db: string, coll: string): Promise<boolean>;
  dropDatabase(db: string): Promise<void>;
  /** Throws 26 when the source is missing, 48 when the target exists and !dropTarget. */
  renameCollection(fromDb: string, fromColl: string, toDb: string, toColl: string, dropTarget: boolean): Promise<void>;
  /** Changes options such as an index's expireAfterSeconds; returns the fields collMod reports. */
  collMod(db: string, coll: string, command: Document): Promise<Document>;
  /** Creates the collection implicitly. Fails (leaving no index) when existing data violates a new unique index. */
  createIndexes(db: string, coll: string, specs: IndexSpec[]): Promise<{ numIndexesBefore: number; numIndexesAfter: number; createdCollectionAutomatically: boolean; note?: string }>;
  /** Throws 26 NamespaceNotFound for a missing collection. */
  listIndexes(db: string, coll: string): IndexSpec[];
  /** `which` is an index name, an array of names, '*' or a key pattern. Throws 27 IndexNotFound. */
  dropIndexes(db: string, coll: string, which: string | string[] | Document): Promise<{ nIndexesWas: number }>;

  /** Reads committed data (or the transaction's snapshot plus its own writes). A missing collection reads as empty. */
  find(txn: TransactionHandle | undefined, db: string, coll: string, request: FindRequest): FindResult;

  /**
   * Runs `fn` synchronously against a write batch, then makes its writes durable as one unit (journal + fsync,
   * shared with concurrent writers) before the promise resolves. If `fn` throws, the writes it staged before
   * the throw are still committed (MongoDB batches are not atomic); callers catch per-document errors themselves.
   * Inside a transaction the writes are staged in the transaction and become visible/durable at commit.
   * `durable: false` (w:0) may skip waiting for the fsync.
   */
  write<T>(txn: TransactionHandle | undefined, fn: (batch: WriteBatch) => T, options?: { durable?: boolean }): Promise<T>;

  beginTransaction(): TransactionHandle;
  /**
   * Throws 112 WriteConflict (with TransientTransactionError label) if another writer committed first. `origin`
   * names the session for the transaction's change events.
   */
  commitTransaction(txn: TransactionHandle, origin?: TransactionOrigin): Promise<void>;
  abortTransaction(txn: TransactionHandle): void;

  /** The cluster time of the latest commit (what replies report as operationTime and $clusterTime). */
  clusterTime(): Timestamp;
  /** Every commit in cluster-time order, for change streams. */
  readonly history: ChangeHistory;

  /** Flush, write a checkpoint, release the data directory. */
  close(): Promise<void>;
}
