/**
 * The commands of a change stream: `aggregate` with `$changeStream` first opens one (its cursor is tailable and
 * awaits data), `getMore` on it waits up to its `maxTimeMS` (mongod's default: one second) for events, and every
 * reply's cursor carries the `postBatchResumeToken` the driver resumes from.
 */
import { mongoError } from '../errors';
import { runPipeline } from '../aggregate/pipeline';
import { ChangeStreamCursor } from '../change-streams/cursor';
import { AFTER_COMMIT, type StreamPosition } from '../change-streams/resume-token';
import { parseChangeStream, type ChangeStreamSpec } from '../change-streams/spec';
import { createCollator } from '../query/collation';
import { timestampKey } from '../storage/cluster-clock';
import type { Document, StorageEngine } from '../types';
import { documentArray, nonNegativeInteger, optionalBoolean, optionalCollation, optionalDocument, validateCollectionName } from './args';
import type { Invocation } from './context';
import { DEFAULT_FIRST_BATCH } from './cursors';
import { lookupView } from './views';

/** How long a getMore without `maxTimeMS` waits for events (mongod's default for awaitData cursors). */
const DEFAULT_AWAIT_MS = 1000;

export async function openChangeStream(inv: Invocation): Promise<Document> {
  if (inv.txn) throw mongoError('OperationNotSupportedInTransaction', 'Operation not permitted in transaction :: caused by :: $changeStream is not allowed in a transaction');
  const coll = targetCollection(inv.body.aggregate);
  const pipeline = documentArray(inv.body, 'pipeline', 'aggregate');
  if (optionalBoolean(inv.body, 'explain', 'aggregate')) throw mongoError('NotImplemented', 'explain of a $changeStream is not supported by the embedded server');
  const cursorOptions = optionalDocument(inv.body, 'cursor', 'aggregate');
  if (!cursorOptions) throw mongoError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  const batchSize = nonNegativeInteger(cursorOptions, 'batchSize', 'aggregate.cursor') ?? DEFAULT_FIRST_BATCH;
  const spec = parseChangeStream(inv.db, coll, pipeline);
  if (coll !== undefined && lookupView(inv.ctx.storage, inv.db, coll)) throw mongoError('CommandNotSupportedOnView', '$changeStream is not supported on views.');
  const collator = createCollator(optionalCollation(inv.body, 'aggregate'));
  // The stream's own stages are checked now, so a bad one fails the aggregate rather than a later getMore.
  await runPipeline([], spec.pipeline, { db: inv.db, collator, now: new Date(), readCollection: () => [], writeCollection: async () => {} });
  const stream = new ChangeStreamCursor({ storage: inv.ctx.storage, spec, ...startOf(spec, inv.ctx.storage), db: inv.db, collator });
  const ns = cursorNamespace(inv.db, coll);
  const first = await stream.firstBatch(batchSize);
  const id = first.exhausted ? 0n : inv.ctx.cursors.register(ns, stream, inv.session?.key);
  return { cursor: { firstBatch: first.docs, ...first.cursorFields, id, ns }, ok: 1 };
}

/** getMore on a change stream cursor. */
export async function changeStreamGetMore(inv: Invocation, id: bigint, ns: string): Promise<Document> {
  const batchSize = nonNegativeInteger(inv.body, 'batchSize', 'getMore') || Infinity;
  const awaitMs = nonNegativeInteger(inv.body, 'maxTimeMS', 'getMore') ?? DEFAULT_AWAIT_MS;
  const next = await inv.ctx.cursors.nextLive(id, ns, batchSize, awaitMs, inv.conn.closedSignal);
  if ('error' in next) {
    if (next.error === 'wrongNamespace') {
      throw mongoError('Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${next.ns}`);
    }
    if (next.error === 'busy') throw mongoError('CursorInUse', `cursor id ${id} is already in use`);
    throw mongoError('CursorNotFound', `cursor id ${id} not found`);
  }
  const { docs, exhausted, cursorFields } = next.batch;
  return { cursor: { nextBatch: docs, ...cursorFields, id: exhausted ? 0n : id, ns }, ok: 1 };
}

/** `changeStreamPreAndPostImages` of create or collMod: `{enabled: <bool>}`, as mongod's IDL has it. */
export function checkPreAndPostImagesOption(options: Document, command: string): void {
  const setting = optionalDocument(options, 'changeStreamPreAndPostImages', command);
  if (!setting) return;
  const field = `${command}.changeStreamPreAndPostImages`;
  for (const key of Object.keys(setting)) {
    if (key !== 'enabled') throw mongoError('Location40415', `BSON field '${field}.${key}' is an unknown field.`);
  }
  if (setting.enabled === undefined) throw mongoError('Location40414', `BSON field '${field}.enabled' is missing but a required field`);
  if (typeof setting.enabled !== 'boolean') throw mongoError('TypeMismatch', `BSON field '${field}.enabled' is the wrong type, expected type 'bool'`);
}

function targetCollection(target: unknown): string | undefined {
  if (typeof target === 'string') {
    validateCollectionName(target);
    return target;
  }
  if (target === 1 || target === 1n) return undefined;
  throw mongoError('FailedToParse', "Invalid aggregate namespace: 'aggregate' must be a collection name or 1");
}

/** A stream on a database or the deployment has its cursor on "<db>.$cmd.aggregate", as a collection-less aggregate. */
function cursorNamespace(db: string, coll: string | undefined): string {
  return `${db}.${coll ?? '$cmd.aggregate'}`;
}

function positionBefore(position: StreamPosition): StreamPosition {
  return position.slot === 0 ? { ts: position.ts - 1n, slot: AFTER_COMMIT } : { ts: position.ts, slot: position.slot - 1 };
}

/** Where the stream starts reading, and the event a resume token names (which it must find there). */
function startOf(spec: ChangeStreamSpec, storage: StorageEngine): { position: StreamPosition; mustFind?: StreamPosition } {
  const start = spec.start;
  switch (start.kind) {
    case 'now':
      // After everything committed so far, as mongod starts one tick after its latest oplog entry.
      return { position: { ts: timestampKey(storage.clusterTime()), slot: AFTER_COMMIT } };
    case 'startAtOperationTime':
      return { position: { ts: timestampKey(start.ts) - 1n, slot: AFTER_COMMIT } };
    case 'resumeAfter':
    case 'startAfter': {
      const position = { ts: start.token.ts, slot: start.token.slot };
      // An event's token: read from just before it, so the stream meets (and skips) that very event.
      return start.token.kind === 'event' ? { position: positionBefore(position), mustFind: position } : { position };
    }
  }
}
