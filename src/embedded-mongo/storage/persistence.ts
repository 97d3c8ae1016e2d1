/**
 * Every committed change to the storage engine is an ordered list of change records. The engine applies a list with
 * one function (`applyCommit`) and hands the same list to a `Persistence`; replaying a journal at start-up is
 * `applyCommit` again, and a transaction commit is one list, so it is durable all or nothing.
 */
import type { CollectionOptions, Document, IndexSpec } from '../types';

/** `ns` is "db.coll" (database names cannot contain '.', so the first '.' splits it). */
export type ChangeRecord =
  /** `size`: the document's BSON size, set only by the journal reader, which has its bytes (never written). */
  | { op: 'insert'; ns: string; doc: Document; size?: number }
  | { op: 'replace'; ns: string; doc: Document }
  | { op: 'remove'; ns: string; id: unknown }
  | { op: 'createCollection'; ns: string; options: CollectionOptions; uuid: unknown }
  | { op: 'dropCollection'; ns: string }
  | { op: 'createIndex'; ns: string; spec: IndexSpec }
  | { op: 'dropIndex'; ns: string; name: string }
  | { op: 'renameCollection'; ns: string; to: string; dropTarget: boolean }
  | { op: 'collMod'; ns: string; options?: CollectionOptions; index?: { name: string; expireAfterSeconds?: number; hidden?: boolean } }
  | { op: 'dropDatabase'; db: string };

export interface Persistence {
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
