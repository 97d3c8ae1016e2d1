/**
 * An open change stream: its place in the change history, the batches it hands out, and the wait of an awaiting
 * getMore. A stream reads forward from its position, turns each commit's records into events, adds the documents
 * the stream asked for and runs its own stages; a getMore with nothing to report subscribes to the namespaces it
 * watches and sleeps until a commit touching them is durable, its await time is over, or it is closed.
 */
import { calculateObjectSize } from 'bson';
import { identical } from '../update/identical';
import { mongoError } from '../errors';
import { runPipeline, type PipelineContext } from '../aggregate/pipeline';
import type { WatchKey } from '../storage/change-history';
import type { Collator, Document, StorageEngine } from '../types';
import { eventsOf, type StreamEvent } from './events';
import { AFTER_COMMIT, comparePositions, encodeToken, type StreamPosition } from './resume-token';
import type { ChangeStreamSpec } from './spec';

export interface StreamBatch {
  docs: Document[];
  /** The stream was invalidated: this is its last batch. */
  exhausted: boolean;
  /** Fields of the reply's `cursor` besides the batch: `postBatchResumeToken`. */
  cursorFields: Document;
}

/** How much history one read takes in. */
const READ_BYTES = 4 * 1024 * 1024;
/**
 * Reads one batch may make: a stream far behind whose own stages filter out nearly everything gets an empty batch
 * (its token moved on) now and then rather than one getMore reading the whole history.
 */
const READS_PER_BATCH = 8;
/** A batch stays within a reply's 16 MB, envelope included. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;

export interface StreamOptions {
  storage: StorageEngine;
  spec: ChangeStreamSpec;
  /** Where to start reading: after this position. */
  position: StreamPosition;
  /** A resume token naming an event: the stream must meet that very event before any later one (else 280). */
  mustFind?: StreamPosition;
  /** The database the aggregate ran in (for the stream's own stages) and its collation. */
  db: string;
  collator?: Collator;
}

export class ChangeStreamCursor {
  private position: StreamPosition;
  /** The position is an event's (one returned or the resume token's), not a point between events. */
  private atEvent = false;
  private mustFind: StreamPosition | undefined;
  private invalidated = false;
  private closed = false;
  /** The history's readable time when the last read found nothing newer. */
  private readUpTo = -1n;
  /** The last scan stopped with history left to read (it must not wait for new commits). */
  private behind = false;
  private stopWaiting: (() => void) | undefined;
  private readonly watchKey: WatchKey;

  constructor(private readonly options: StreamOptions) {
    this.position = options.position;
    this.mustFind = options.mustFind;
    this.watchKey = watchKeyOf(options.spec);
    this.assertHistoryKept();
  }

  /** The aggregate's first batch: what is already there, without waiting. */
  firstBatch(batchSize: number): Promise<StreamBatch> {
    return this.batchOf(batchSize);
  }

  /** A getMore: the next events, waiting up to `awaitMs` for some when there are none yet. */
  async next(batchSize: number, awaitMs: number, signal?: AbortSignal): Promise<StreamBatch> {
    let batch = await this.batchOf(batchSize);
    const deadline = Date.now() + awaitMs;
    while (batch.docs.length === 0 && !batch.exhausted && !this.behind && !this.closed && !signal?.aborted) {
      const left = deadline - Date.now();
      if (left <= 0 || !(await this.waitForChange(left, signal))) break;
      batch = await this.batchOf(batchSize);
    }
    if (this.closed) throw mongoError('CursorKilled', 'cursor killed while waiting for changes');
    return batch;
  }

  /** killCursors, a dropped connection or shutdown: wakes a waiting getMore, which then fails with CursorKilled. */
  close(): void {
    this.closed = true;
    this.stopWaiting?.();
  }

  private async batchOf(batchSize: number): Promise<StreamBatch> {
    const docs = await this.scan(batchSize);
    // Until the stream has met the event its resume token names, that token is where it stands.
    const postBatchResumeToken = this.mustFind
      ? encodeToken({ ...this.mustFind, kind: 'event' })
      : encodeToken({ ...this.position, kind: this.atEvent ? 'event' : 'highWaterMark' });
    return { docs, exhausted: this.invalidated, cursorFields: { postBatchResumeToken } };
  }

  /** Events after the position, up to `batchSize` of them; moves the position past everything it read. */
  private async scan(batchSize: number): Promise<Document[]> {
    const history = this.options.storage.history;
    const docs: Document[] = [];
    let bytes = 0;
    this.assertHistoryKept();
    this.behind = false;
    for (let reads = 0; docs.length < batchSize && !this.invalidated; reads++) {
      if (reads === READS_PER_BATCH) {
        this.behind = true;
        break;
      }
      const horizon = history.visible;
      const after = this.position.slot === AFTER_COMMIT ? this.position.ts : this.position.ts - 1n;
      const entries = history.touchedAfter(this.watchKey, after) ? await history.read(after, READ_BYTES) : [];
      if (entries.length === 0) {
        // Nothing readable after the position up to `horizon` (read sees at least that far): the stream is there.
        this.moveTo({ ts: horizon, slot: AFTER_COMMIT });
        this.readUpTo = horizon;
        break;
      }
      for (const entry of entries) {
        for (const event of eventsOf(entry, this.options.spec)) {
          if (comparePositions(event.position, this.position) <= 0 || this.swallowResumeEvent(event)) continue;
          const doc = await this.deliver(event);
          if (doc) {
            const size = calculateObjectSize(doc);
            // A full batch: this event opens the next one.
            if (docs.length > 0 && bytes + size > MAX_BATCH_BYTES) return docs;
            docs.push(doc);
            bytes += size;
          }
          this.position = event.position;
          this.atEvent = true;
          if (event.invalidates) this.invalidated = true;
          if (this.invalidated || docs.length >= batchSize) return docs;
        }
        this.moveTo({ ts: entry.ts, slot: AFTER_COMMIT });
      }
    }
    return docs;
  }

  /** The event a resume token names is skipped; any later event before it means the token's event is not here. */
  private swallowResumeEvent(event: StreamEvent): boolean {
    const wanted = this.mustFind;
    if (!wanted) return false;
    const order = comparePositions(event.position, wanted);
    if (order > 0) throw mongoError('ChangeStreamFatalError', `cannot resume stream; the resume token was not found. ${JSON.stringify(encodeToken({ ...wanted, kind: 'event' }))}`);
    if (order === 0) {
      this.mustFind = undefined;
      this.position = event.position;
      this.atEvent = true;
      if (event.invalidates) this.invalidated = false;
      return true;
    }
    return false;
  }

  /** The event with the documents the stream asked for, through the stream's own stages (undefined: filtered out). */
  private async deliver(event: StreamEvent): Promise<Document | undefined> {
    const withImages = event.invalidates ? event.event : this.withImages(event);
    const stages = this.options.spec.pipeline;
    if (stages.length === 0) return withImages;
    const [out] = await runPipeline([withImages], stages, this.pipelineContext());
    if (out === undefined) return undefined;
    if (!identical(out._id, withImages._id)) {
      throw mongoError(
        'ChangeStreamFatalError',
        'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.',
      );
    }
    return out;
  }

  /** `fullDocument` for updates (looked up, or the post-image) and `fullDocumentBeforeChange`, as requested. */
  private withImages(event: StreamEvent): Document {
    const { fullDocument, fullDocumentBeforeChange } = this.options.spec;
    const type = event.event.operationType;
    const record = event.record;
    let doc = event.event;
    if (type === 'update' && fullDocument !== 'default') {
      const image = fullDocument === 'updateLookup' ? this.lookUp(doc) : record?.op === 'replace' && record.preImage ? record.doc : null;
      if (image === null && fullDocument === 'required') throw imageMissing('post', doc);
      doc = withFieldAfter(doc, 'wallTime', 'fullDocument', image);
    }
    if (fullDocumentBeforeChange !== 'off' && (type === 'update' || type === 'replace' || type === 'delete')) {
      const image = (record?.op === 'replace' || record?.op === 'remove') && record.preImage ? record.preImage : null;
      if (image === null && fullDocumentBeforeChange === 'required') throw imageMissing('pre', doc);
      doc = { ...doc, fullDocumentBeforeChange: image };
    }
    return doc;
  }

  /** The document as it is now (null when it has been deleted since). */
  private lookUp(event: Document): Document | null {
    const ns = event.ns as { db: string; coll: string };
    const key = event.documentKey as Document;
    return this.options.storage.find(undefined, ns.db, ns.coll, { filter: { _id: key._id } }).docs[0] ?? null;
  }

  private pipelineContext(): PipelineContext {
    return {
      db: this.options.db,
      collator: this.options.collator,
      now: new Date(),
      readCollection: () => [],
      writeCollection: () => Promise.reject(mongoError('IllegalOperation', 'a $changeStream pipeline cannot write')),
    };
  }

  /** A position the history no longer reaches back to cannot be resumed from (mongod: the oplog rolled over). */
  private assertHistoryKept(): void {
    const lost = this.options.storage.history.lostUpTo();
    if (comparePositions(this.position, { ts: lost, slot: AFTER_COMMIT }) < 0) {
      throw mongoError('ChangeStreamHistoryLost', 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
    }
  }

  private moveTo(position: StreamPosition): void {
    if (comparePositions(position, this.position) <= 0) return;
    this.position = position;
    this.atEvent = false;
  }

  /** Sleeps until a commit the stream may care about is readable (true), or the time is up or it is closed (false). */
  private waitForChange(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    const history = this.options.storage.history;
    if (history.visible > this.readUpTo) return Promise.resolve(true);
    return new Promise((resolve) => {
      let done = false;
      const finish = (woken: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancel();
        signal?.removeEventListener('abort', aborted);
        this.stopWaiting = undefined;
        resolve(woken);
      };
      const aborted = (): void => finish(false);
      const cancel = history.subscribe(this.watchKey, () => finish(true));
      const timer = setTimeout(() => finish(false), ms);
      signal?.addEventListener('abort', aborted, { once: true });
      this.stopWaiting = () => finish(false);
    });
  }
}

function watchKeyOf(spec: ChangeStreamSpec): WatchKey {
  const scope = spec.scope;
  if (scope.kind === 'collection') return { kind: 'collection', ns: `${scope.db}.${scope.coll}` };
  if (scope.kind === 'database') return { kind: 'database', db: scope.db };
  return { kind: 'cluster' };
}

/** A copy of `doc` with `field` placed right after `after` (where mongod's events hold it). */
function withFieldAfter(doc: Document, after: string, field: string, value: unknown): Document {
  const out: Document = {};
  for (const [key, existing] of Object.entries(doc)) {
    out[key] = existing;
    if (key === after) out[field] = value;
  }
  return out;
}

function imageMissing(which: 'pre' | 'post', event: Document): Error {
  const events = which === 'pre' ? 'update, delete and replace events' : 'update events';
  return mongoError(
    'NoMatchingDocument',
    `Change stream was configured to require a ${which}-image for all ${events}, but the ${which}-image was not found for event: ${JSON.stringify({ _id: event._id, ns: event.ns, documentKey: event.documentKey })}`,
  );
}
