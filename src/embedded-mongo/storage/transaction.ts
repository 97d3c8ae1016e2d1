/**
 * A multi-document transaction: its staged writes (as change records plus a per-document overlay for reads) and
 * the before-images of documents other writers committed after it started, which give it a stable snapshot and
 * tell it about write conflicts (first committer wins).
 */
import type { Document, TransactionHandle } from '../types';
import type { ChangeRecord } from './persistence';
import { idKey } from './values';

/** A document's state in an overlay: the document, or null for "does not exist". */
export type Overlay = Map<string, { id: unknown; doc: Document | null }>;

export class Transaction implements TransactionHandle {
  readonly records: ChangeRecord[] = [];
  /** Per namespace: this transaction's own writes, latest state per _id. */
  readonly writes = new Map<string, Overlay>();
  /** Per namespace: the committed state at the transaction's start of documents changed since. */
  readonly snapshot = new Map<string, Overlay>();
  /** Set when a collection the transaction wrote to was dropped or renamed under it. */
  catalogConflict = false;

  constructor(
    readonly id: number,
    readonly startedAt: number,
  ) {}

  stage(record: ChangeRecord, ns: string, id: unknown, doc: Document | null): void {
    this.records.push(record);
    overlayFor(this.writes, ns).set(idKey(id), { id, doc });
  }

  /** Remembers the committed state of a document before another writer changes it; false if already known. */
  rememberBeforeImage(ns: string, id: unknown, doc: Document | null): (() => void) | undefined {
    const overlay = overlayFor(this.snapshot, ns);
    const key = idKey(id);
    if (overlay.has(key)) return undefined;
    overlay.set(key, { id, doc });
    return () => overlay.delete(key);
  }

  /** The document as this transaction sees it: own write, else snapshot image; undefined = read committed. */
  visible(ns: string, id: unknown): { doc: Document | null } | undefined {
    const key = idKey(id);
    return this.writes.get(ns)?.get(key) ?? this.snapshot.get(ns)?.get(key);
  }

  /** Snapshot images overlaid with own writes, for reads of one namespace. */
  overlay(ns: string): Overlay {
    const merged: Overlay = new Map(this.snapshot.get(ns));
    for (const [key, entry] of this.writes.get(ns) ?? []) merged.set(key, entry);
    return merged;
  }

  /** True when another writer committed a change to a document this transaction wrote. */
  hasConflict(): boolean {
    if (this.catalogConflict) return true;
    for (const [ns, writes] of this.writes) {
      const changed = this.snapshot.get(ns);
      if (changed) for (const key of writes.keys()) if (changed.has(key)) return true;
    }
    return false;
  }

  wroteTo(ns: string): boolean {
    return this.writes.has(ns);
  }

  changedByOthers(ns: string, id: unknown): boolean {
    return this.snapshot.get(ns)?.has(idKey(id)) ?? false;
  }
}

function overlayFor(map: Map<string, Overlay>, ns: string): Overlay {
  let overlay = map.get(ns);
  if (!overlay) {
    overlay = new Map();
    map.set(ns, overlay);
  }
  return overlay;
}
