/**
 * Open cursors. A cursor holds the materialised result of its query and hands it out in batches; cursors idle
 * for longer than the timeout are killed by `sweep()`.
 */
import { randomBytes } from 'node:crypto';
import { calculateObjectSize } from 'bson';
import type { Document } from '../types';
import type { Invocation } from './context';

/** Leaves room for the reply envelope around a batch inside MongoDB's 16 MB document limit. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
export const DEFAULT_FIRST_BATCH = 101;
export const CURSOR_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

export interface CursorSource {
  ns: string;
  docs: Document[];
  /** Applied to each document as it is handed out (projection). */
  transform?: (doc: Document) => Document;
  sessionKey?: string;
  /** `noCursorTimeout`: never killed for being idle (only by killCursors, its session ending or a shutdown). */
  noTimeout?: boolean;
}

interface OpenCursor extends CursorSource {
  id: bigint;
  position: number;
  lastUsed: number;
}

export interface Batch {
  docs: Document[];
  exhausted: boolean;
}

export class CursorRegistry {
  private readonly open = new Map<bigint, OpenCursor>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes the first batch from `source`; registers a cursor only if documents remain.
   * Returns the cursor id (0n when exhausted) and the batch.
   */
  start(source: CursorSource, batchSize: number | undefined, singleBatch: boolean): { id: bigint; batch: Document[] } {
    const cursor: OpenCursor = { ...source, id: 0n, position: 0, lastUsed: this.now() };
    const batch = takeBatch(cursor, batchSize ?? DEFAULT_FIRST_BATCH);
    if (batch.exhausted || singleBatch) return { id: 0n, batch: batch.docs };
    cursor.id = this.newId();
    this.open.set(cursor.id, cursor);
    return { id: cursor.id, batch: batch.docs };
  }

  /** The next batch of cursor `id`, or undefined when there is no such cursor (or it belongs to another ns). */
  next(id: bigint, ns: string, batchSize: number | undefined): { batch: Batch } | { error: 'notFound' | 'wrongNamespace'; ns?: string } {
    const cursor = this.open.get(id);
    if (!cursor) return { error: 'notFound' };
    if (cursor.ns !== ns) return { error: 'wrongNamespace', ns: cursor.ns };
    cursor.lastUsed = this.now();
    const batch = takeBatch(cursor, batchSize && batchSize > 0 ? batchSize : Infinity);
    if (batch.exhausted) this.open.delete(id);
    return { batch };
  }

  /** Kills cursor `id` if it is open on `ns`. */
  kill(id: bigint, ns: string): boolean {
    return this.open.get(id)?.ns === ns && this.open.delete(id);
  }

  /** Kills cursors opened in the given sessions (endSessions). */
  killForSessions(sessionKeys: Set<string>): void {
    for (const [id, cursor] of this.open) if (cursor.sessionKey && sessionKeys.has(cursor.sessionKey)) this.open.delete(id);
  }

  killAll(): void {
    this.open.clear();
  }

  get size(): number {
    return this.open.size;
  }

  sweep(): number {
    const cutoff = this.now() - CURSOR_IDLE_TIMEOUT_MS;
    let killed = 0;
    for (const [id, cursor] of this.open) {
      if (cursor.lastUsed < cutoff && !cursor.noTimeout) {
        this.open.delete(id);
        killed++;
      }
    }
    return killed;
  }

  private newId(): bigint {
    for (;;) {
      const id = randomBytes(8).readBigInt64LE(0) & 0x7fffffffffffffffn;
      if (id !== 0n && !this.open.has(id)) return id;
    }
  }
}

/** The reply of a command that returns a cursor; id 0 means everything is in `firstBatch`. */
export function cursorReply(ns: string, firstBatch: Document[], id = 0n): Document {
  return { cursor: { firstBatch, id, ns }, ok: 1 };
}

/** Opens a cursor over `source` in the invocation's session and replies with its first batch. */
export function openCursor(inv: Invocation, source: Omit<CursorSource, 'sessionKey'>, batchSize: number | undefined, singleBatch: boolean): Document {
  const { id, batch } = inv.ctx.cursors.start({ ...source, sessionKey: inv.session?.key }, batchSize, singleBatch);
  return cursorReply(source.ns, batch, id);
}

function takeBatch(cursor: OpenCursor, batchSize: number): Batch {
  const end = cursor.docs.length;
  const docs: Document[] = [];
  let bytes = 0;
  while (cursor.position < end && docs.length < batchSize) {
    const doc = cursor.transform ? cursor.transform(cursor.docs[cursor.position]) : cursor.docs[cursor.position];
    // A batch always holds at least one document, so a one-document batch (findOne) never pays for sizing.
    const more = docs.length + 1 < batchSize && cursor.position + 1 < end;
    if (docs.length > 0 || more) {
      const size = calculateObjectSize(doc, { ignoreUndefined: false });
      if (docs.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
    }
    docs.push(doc);
    cursor.position++;
  }
  return { docs, exhausted: cursor.position >= end };
}
