/**
 * How a stored document is held. Today every document lives in memory; a later disk-backed store keeps big
 * documents (GridFS chunks) in the data files with only their location here, so all reads go through `getDoc`.
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

/** Throws 10334 BSONObjectTooLarge for a document over 16 MB. */
export function makeRecord(rid: number, doc: Document): StoredRecord {
  return { rid, size: checkedSize(doc), doc };
}

export function checkedSize(doc: Document): number {
  const size = calculateObjectSize(doc, { ignoreUndefined: false });
  if (size > MAX_DOCUMENT_BYTES) {
    throw new MongoServerError('BSONObjectTooLarge', `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_DOCUMENT_BYTES}(16MB)`);
  }
  return size;
}

export function getDoc(record: StoredRecord): Document {
  return record.doc;
}
