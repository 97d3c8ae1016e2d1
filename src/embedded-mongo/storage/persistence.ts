/**
 * Every committed change to the storage engine is an ordered list of change records. The engine applies a list with
 * one function (`applyCommit`) and hands the same list to a `Persistence`; replaying a journal at start-up is
 * `applyCommit` again, and a transaction commit is one list, so it is durable all or nothing.
 */
import type { Timestamp } from 'bson';
import type { CollectionOptions, Document, IndexSpec, UpdateChange } from '../types';
import type { HistoryArchive } from './change-history';

/**
 * Opens each commit of a record list: its cluster time, wall time and, for a transaction, the session it ran in.
 * Applying it only moves the cluster clock; the change history reads the commits back from these markers.
 * `uuids`: the collection UUID of every namespace the commit touches, for change events; left out when the commit
 * before it in the same journal frame had the same ones.
 */
export interface CommitMarker {
  op: 'commit';
  ts: Timestamp;
  wallTime: Date;
  lsid?: Document;
  txnNumber?: bigint;
  uuids?: Array<{ ns: string; uuid: unknown }>;
}

/** `ns` is "db.coll" (database names cannot contain '.', so the first '.' splits it). */
export type ChangeRecord =
  /** `size`: the document's BSON size, set only by the journal reader, which has its bytes (never written). */
  | { op: 'insert'; ns: string; doc: Document; size?: number }
  /**
   * `update`: present when the replacement came from an update (the change event is then an update with this
   * description, otherwise a replace). `preImage`: the document before, kept only for collections with
   * changeStreamPreAndPostImages enabled (also on removes).
   */
  | { op: 'replace'; ns: string; doc: Document; update?: UpdateChange; preImage?: Document }
  | { op: 'remove'; ns: string; id: unknown; preImage?: Document }
  | { op: 'createCollection'; ns: string; options: CollectionOptions; uuid: unknown }
  | { op: 'dropCollection'; ns: string }
  | { op: 'createIndex'; ns: string; spec: IndexSpec }
  /** `spec`: the dropped index, for the change event. */
  | { op: 'dropIndex'; ns: string; name: string; spec?: IndexSpec }
  | { op: 'renameCollection'; ns: string; to: string; dropTarget: boolean }
  /** `before`: the options and index options it changes, as they were (for the change event). */
  | { op: 'collMod'; ns: string; options?: CollectionOptions; index?: { name: string; expireAfterSeconds?: number; hidden?: boolean }; before?: CollModBefore }
  | { op: 'dropDatabase'; db: string }
  | CommitMarker;

export interface CollModBefore {
  collectionOptions: CollectionOptions;
  indexOptions?: Document;
}

export interface Persistence {
  /** Where a durable history's older commits are read back from (none in memory). */
  readonly history?: HistoryArchive;
  /** Resolves once `records` are durable. Calls are ordered: records of an earlier call are never lost after a later one. */
  append(records: ChangeRecord[]): Promise<void>;
  /** The record lists to replay at start-up (a checkpoint expressed as records, then the journal), in order. */
  loadState(): Promise<ChangeRecord[]>;
  close(): Promise<void>;
}

/** Nothing survives the process: `append` resolves at once. */
export class InMemoryPersistence implements Persistence {
  async append(_records: ChangeRecord[]): Promise<void> {}

  async loadState(): Promise<ChangeRecord[]> {
    return [];
  }

  async close(): Promise<void> {}
}

export function splitNamespace(ns: string): { db: string; coll: string } {
  const dot = ns.indexOf('.');
  if (dot <= 0) throw new Error(`invalid namespace in change record: ${ns}`);
  return { db: ns.slice(0, dot), coll: ns.slice(dot + 1) };
}

export function namespace(db: string, coll: string): string {
  return `${db}.${coll}`;
}
