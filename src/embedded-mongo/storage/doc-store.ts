/**
 * How a stored document is held. Today every document lives in memory; a later disk-backed store keeps big
 * documents (GridFS chunks) in the data files with only their location here, so all reads go through `getDoc`.
 */
import { calculateObjectSize } from 'bson';
import type { Document } from '../types';

export interface StoredRecord {
  /** Record id: the collection-local insertion counter that gives natural order. */
  readonly rid: number;
  /** BSON size in bytes (for stats and, later, the memory budget). */
  readonly size: number;
  readonly doc: Document;
}

export function makeRecord(rid: number, doc: Document): StoredRecord {
  return { rid, size: calculateObjectSize(doc, { ignoreUndefined: false }), doc };
}

export function getDoc(record: StoredRecord): Document {
  return record.doc;
}
