/**
 * Open cursors. A cursor holds the materialised result of its query and hands it out in batches; a live cursor (a
 * change stream) produces its batches as it goes. Cursors idle for longer than the timeout are killed by `sweep()`.
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

/** A cursor whose batches are made on demand, possibly after waiting (a change stream's awaitData cursor). */
export interface LiveCursor {
  /** The next batch, waiting up to `awaitMs` for one; `cursorFields` go into the reply's `cursor` document. */
  next(batchSize: number, awaitMs: number, signal?: AbortSignal): Promise<Batch & { cursorFields: Document }>;
  /** Frees it; a `next` waiting at the time fails. */
  close(): void;
}

interface OpenLiveCursor {
  id: bigint;
  ns: string;
  sessionKey?: string;
  lastUsed: number;
  cursor: LiveCursor;
  /** A getMore is running (a second one at the same time is refused). */
  busy: boolean;
}

/** Why a getMore found no live cursor to take a batch from (`ns`: the one the cursor belongs to). */
export type LiveMiss = { error: 'notFound' | 'wrongNamespace' | 'busy'; ns?: string };

export class CursorRegistry {
  private readonly open = new Map<bigint, OpenCursor>();
  private readonly live = new Map<bigint, OpenLiveCursor>();

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

  /** Registers a live cursor on `ns`; returns its id. */
  register(ns: string, cursor: LiveCursor, sessionKey: string | undefined): bigint {
    const id = this.newId();
    this.live.set(id, { id, ns, sessionKey, lastUsed: this.now(), cursor, busy: false });
    return id;
  }

  /** Whether `id` names a live cursor (getMore then takes the live path). */
  isLive(id: bigint): boolean {
    return this.live.has(id);
  }

  /** The next batch of live cursor `id`; the cursor is freed when exhausted, when the batch fails or `signal` aborts. */
  async nextLive(id: bigint, ns: string, batchSize: number, awaitMs: number, signal?: AbortSignal): Promise<{ batch: Batch & { cursorFields: Document } } | LiveMiss> {
    const entry = this.live.get(id);
    if (!entry) return { error: 'notFound' };
    if (entry.ns !== ns) return { error: 'wrongNamespace', ns: entry.ns };
    if (entry.busy) return { error: 'busy' };
    entry.busy = true;
    try {
      const batch = await entry.cursor.next(batchSize, awaitMs, signal);
      if (batch.exhausted || signal?.aborted) this.freeLive(id);
      return { batch };
    } catch (err) {
      this.freeLive(id);
      throw err;
    } finally {
      entry.busy = false;
      entry.lastUsed = this.now();
    }
  }

  /** Kills cursor `id` if it is open on `ns`. */
  kill(id: bigint, ns: string): boolean {
    if (this.live.get(id)?.ns === ns) return this.freeLive(id);
    return this.open.get(id)?.ns === ns && this.open.delete(id);
  }

  /** Kills cursors opened in the given sessions (endSessions). */
  killForSessions(sessionKeys: Set<string>): void {
    for (const [id, cursor] of this.open) if (cursor.sessionKey && sessionKeys.has(cursor.sessionKey)) this.open.delete(id);
    for (const [id, cursor] of this.live) if (cursor.sessionKey && sessionKeys.has(cursor.sessionKey)) this.freeLive(id);
  }

  killAll(): void {
    this.open.clear();
    for (const id of [...this.live.keys()]) this.freeLive(id);
  }

  get size(): number {
    return this.open.size + this.live.size;
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
    for (const [id, cursor] of this.live) {
      if (!cursor.busy && cursor.lastUsed < cutoff && this.freeLive(id)) killed++;
    }
    return killed;
  }

  private freeLive(id: bigint): boolean {
    const entry = this.live.get(id);
    if (!entry) return false;
    this.live.delete(id);
    entry.cursor.close();
    return true;
  }

  private newId(): bigint {
    for (;;) {
      const id = randomBytes(8).readBigInt64LE(0) & 0x7fffffffffffffffn;
      if (id !== 0n && !this.open.has(id) && !this.live.has(id)) return id;
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
