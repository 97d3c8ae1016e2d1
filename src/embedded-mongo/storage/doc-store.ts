/**
 * How a stored document is held. By default every document lives in memory; the durable layer can supply a
 * `RecordFactory` whose records keep big documents (GridFS chunks) in the data files with only their location in
 * memory (`doc` then being a getter that reads them back), which is why all reads go through `getDoc`.
 */
import { calculateObjectSize } from 'bson';
import { MongoServerError } from '../errors';
import type { Document } from '../types';

/** MongoDB's maximum document size. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

export interface StoredRecord {
  /** Record id: the collection-local insertion counter that gives natural order. */
  readonly rid: number;
  /** BSON size in bytes (for stats and, later, the memory budget). */
  readonly size: number;
  readonly doc: Document;
}

/**
 * Makes the record holding `doc` for namespace `ns` ("db.coll" at insert time). `size` is its BSON size, already
 * checked. The record's `doc` must always yield this document's content (a fresh copy is fine: documents are
 * read-only).
 */
export type RecordFactory = (ns: string, rid: number, doc: Document, size: number) => StoredRecord;

export const inMemoryRecords: RecordFactory = (_ns, rid, doc, size) => ({ rid, size, doc });

/** The document's BSON size; throws 10334 BSONObjectTooLarge over 16 MB. */
export function checkedSize(doc: Document): number {
  return checkedKnownSize(calculateObjectSize(doc, { ignoreUndefined: false }));
}

/** `checkedSize` for a document whose BSON size is already known (read from its bytes). */
export function checkedKnownSize(size: number): number {
  if (size > MAX_DOCUMENT_BYTES) {
    throw new MongoServerError('BSONObjectTooLarge', `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_DOCUMENT_BYTES}(16MB)`);
  }
  return size;
}

export function getDoc(record: StoredRecord): Document {
  return record.doc;
}
