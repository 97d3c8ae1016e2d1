/**
 * Answer saves of every supplier, written to the database in batches: while batches are on their way, the saves that
 * arrive wait and then go together as one `bulkWrite` (group commit). One supplier saving alone still gets a batch of
 * one at once. Each database round trip costs the app and the database far more CPU than the update itself (measured
 * with the driver: one bulkWrite of ten updates took about a fifth of the CPU of ten single writes), so under load this
 * is what lets many suppliers autosave at the same time (bench/form-render.ts).
 *
 * Every write is conditional on the response's revision (compare-and-set), so a write applies exactly to the state it
 * was computed from, and the caller can apply the same changes to its copy (response-cache.ts). A write that does not
 * apply is reported as `not-draft` (submitted meanwhile) or `conflict` (written by someone else since), together with
 * the response as it is now.
 */
import { randomUUID } from 'node:crypto';
import type mongoose from 'mongoose';
import type { ResponseData, ResponseUpdate } from './model';

/** Saves per round trip at most; more wait for the next one. */
const MAX_BATCH = 500;
/**
 * Batches on their way at the same time. More than one, so a slow round trip (a real MongoDB over a network, a
 * failover) does not hold every other supplier's save behind it.
 */
const MAX_BATCHES_IN_FLIGHT = 2;

export interface AnswerWrite {
  responseId: mongoose.Types.ObjectId;
  /** The revision the update was computed from; the write applies only while the response is still at it. */
  revision: number | undefined;
  /** Update operators (`$set`, `$unset`); the writer adds the revision step. */
  update: ResponseUpdate;
}

export type AnswerWriteResult =
  | { status: 'written'; revision: number }
  | { status: 'conflict' | 'not-draft'; current: ResponseData }
  | { status: 'missing' };

interface Queued {
  write: AnswerWrite;
  /** Stored with the write (`lastWriteId`), so a read-back can tell this write from another that reached the same revision. */
  writeId: string;
  resolve(result: AnswerWriteResult): void;
  reject(error: unknown): void;
}

export interface AnswerWriter {
  write(write: AnswerWrite): Promise<AnswerWriteResult>;
}

type Collection = mongoose.mongo.Collection<mongoose.mongo.Document>;

/** `null` matches a response stored before revisions existed (no field) as well as one at null. */
function revisionFilter(revision: number | undefined): number | null {
  return typeof revision === 'number' ? revision : null;
}

function nextRevision(revision: number | undefined): number {
  return (typeof revision === 'number' ? revision : 0) + 1;
}

function writeOperation({ write, writeId }: Queued): mongoose.mongo.AnyBulkWriteOperation<mongoose.mongo.Document> {
  const $set = { ...(write.update.$set ?? {}), revision: nextRevision(write.revision), lastWriteId: writeId };
  return {
    updateOne: {
      filter: { _id: write.responseId, status: 'draft', revision: revisionFilter(write.revision) },
      update: { ...write.update, $set },
    },
  };
}

interface BatchOutcome {
  matchedCount: number;
  /** Index in the batch → the error that write failed with. */
  failed: Map<number, unknown>;
}

async function runBatch(collection: Collection, batch: Queued[]): Promise<BatchOutcome> {
  try {
    const result = await collection.bulkWrite(batch.map(writeOperation), { ordered: false });
    return { matchedCount: result.matchedCount, failed: new Map() };
  } catch (error) {
    // Unordered: the other writes were made; only the ones listed failed.
    if (!isBulkWriteError(error)) throw error;
    const failed = new Map<number, unknown>();
    const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
    for (const writeError of writeErrors) failed.set(writeError.index, writeError);
    return { matchedCount: error.result.matchedCount, failed };
  }
}

function isBulkWriteError(error: unknown): error is mongoose.mongo.MongoBulkWriteError {
  return error instanceof Error && error.name === 'MongoBulkWriteError' && 'writeErrors' in error;
}

/**
 * The outcome of each write of a batch. The database reports only how many writes matched; when that is all of them
 * (the usual case) every write applied, otherwise the responses are read back: a write applied when its response
 * still carries its write id (writes to one response are never in one batch twice, see `saveAnswers`).
 */
async function settle(collection: Collection, batch: Queued[], outcome: BatchOutcome): Promise<void> {
  const pending = batch.filter((_, index) => !outcome.failed.has(index));
  for (const [index, error] of outcome.failed) batch[index]?.reject(error);
  if (outcome.matchedCount === pending.length) {
    for (const queued of pending) queued.resolve({ status: 'written', revision: nextRevision(queued.write.revision) });
    return;
  }
  const current = await collection.find<ResponseData>({ _id: { $in: pending.map((queued) => queued.write.responseId) } }).toArray();
  const byId = new Map(current.map((response) => [response._id.toHexString(), response]));
  for (const queued of pending) {
    const response = byId.get(queued.write.responseId.toHexString());
    const written = nextRevision(queued.write.revision);
    if (!response) queued.resolve({ status: 'missing' });
    else if (response.revision === written && response.lastWriteId === queued.writeId) queued.resolve({ status: 'written', revision: written });
    else queued.resolve({ status: response.status === 'draft' ? 'conflict' : 'not-draft', current: response });
  }
}

export function createAnswerWriter(collection: Collection): AnswerWriter {
  const queue: Queued[] = [];
  let inFlight = 0;

  async function flush(): Promise<void> {
    inFlight += 1;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, MAX_BATCH);
        try {
          await settle(collection, batch, await runBatch(collection, batch));
        } catch (error) {
          // The round trip itself failed (connection lost, …): none of these saves is known to be written.
          for (const queued of batch) queued.reject(error);
        }
      }
    } finally {
      inFlight -= 1;
    }
  }

  return {
    write(write) {
      return new Promise<AnswerWriteResult>((resolve, reject) => {
        queue.push({ write, writeId: randomUUID(), resolve, reject });
        if (inFlight < MAX_BATCHES_IN_FLIGHT) void flush();
      });
    },
  };
}

const writers = new WeakMap<mongoose.Connection, AnswerWriter>();

/** The writer of a database connection (one queue per connection, so tests' separate databases stay separate). */
export function answerWriterFor(connection: mongoose.Connection, collection: Collection): AnswerWriter {
  let writer = writers.get(connection);
  if (!writer) {
    writer = createAnswerWriter(collection);
    writers.set(connection, writer);
  }
  return writer;
}
