/** aggregate: a leading $match is answered by the storage engine (so indexes help), the rest by runPipeline. */
import { ObjectId } from 'bson';
import { mongoError } from '../errors';
import { runPipeline } from '../aggregate/pipeline';
import type { PipelineContext } from '../aggregate/stages/types';
import type { Document, FindRequest, StorageEngine } from '../types';
import {
  documentArray,
  isDocument,
  nonNegativeInteger,
  optionalBoolean,
  optionalCollation,
  optionalDocument,
  optionalHint,
  validateCollectionName,
} from './args';
import { checkNestedFields, CURSOR_OPTION_FIELDS } from './command-fields';
import type { CommandHandler, Invocation } from './context';
import { collectionInfo } from './catalog';
import { openCursor } from './cursors';
import { explainReply } from './explain-plan';
import { collationFor, findMatching, readScope, storageReader, type ReadScope } from './matching';

export interface ParsedAggregate {
  /** undefined for a database-level aggregate (`aggregate: 1`). */
  coll: string | undefined;
  pipeline: Document[];
  request: FindRequest;
  /** Stages left after the leading $match moved into the storage read. */
  rest: Document[];
}

export function parseAggregate(body: Document): ParsedAggregate {
  const target = body.aggregate;
  let coll: string | undefined;
  if (typeof target === 'string') {
    validateCollectionName(target);
    coll = target;
  } else if (target !== 1 && target !== 1n) {
    throw mongoError('FailedToParse', "Invalid aggregate namespace: 'aggregate' must be a collection name or 1");
  }
  const pipeline = documentArray(body, 'pipeline', 'aggregate');
  const request: FindRequest = { filter: {}, collation: optionalCollation(body, 'aggregate'), hint: optionalHint(body, 'aggregate') };
  let rest = pipeline;
  const first = pipeline[0];
  if (coll !== undefined && first && Object.keys(first).length === 1 && isDocument(first.$match)) {
    request.filter = first.$match;
    rest = pipeline.slice(1);
  }
  return { coll, pipeline, request, rest };
}

/**
 * $out's replacement of a collection, done as MongoDB does it: the documents go into a temporary collection that
 * carries the target's options and indexes, which is then renamed over the target. A failure (a duplicate key,
 * say) leaves the target as it was.
 */
async function replaceCollection(storage: StorageEngine, db: string, coll: string, docs: Document[]): Promise<void> {
  const target = collectionInfo(storage, db, coll);
  const temp = `tmp.agg_out.${new ObjectId().toHexString()}`;
  await storage.createCollection(db, temp, target?.options ?? {});
  try {
    const indexes = target ? storage.listIndexes(db, coll).filter((spec) => spec.name !== '_id_') : [];
    if (indexes.length > 0) await storage.createIndexes(db, temp, indexes);
    await storage.write(undefined, (batch) => {
      for (const doc of docs) batch.insert(db, temp, doc);
    });
    await storage.renameCollection(db, temp, db, coll, true);
  } catch (err) {
    await storage.dropCollection(db, temp);
    throw err;
  }
}

function pipelineContext(inv: Invocation, scope: ReadScope, coll: string | undefined): PipelineContext {
  const storage = inv.ctx.storage;
  return {
    db: inv.db,
    collection: coll,
    logicalSessions: () => inv.ctx.sessions.list(),
    collator: scope.collator,
    now: scope.now,
    variables: scope.variables,
    readCollection: (db: string, coll: string, filter?: Document): Document[] => {
      scope.deadline.check();
      return storage.find(inv.txn, db, coll, { filter: filter ?? {} }).docs;
    },
    writeCollection: async (db: string, coll: string, docs: Document[]): Promise<void> => {
      if (inv.txn) throw mongoError('IllegalOperation', '$out and $merge cannot be used in a transaction');
      scope.deadline.check();
      await replaceCollection(storage, db, coll, docs);
    },
  };
}

/** The writing stage ($out or $merge) that ends the pipeline, if any. */
function writeStage(pipeline: Document[]): string | undefined {
  const last = pipeline[pipeline.length - 1];
  return last === undefined ? undefined : ['$out', '$merge'].find((stage) => stage in last);
}

/** mongod cannot make a write linearizable: $out and $merge refuse that read concern. */
function checkReadConcernForWrite(body: Document, stage: string | undefined): void {
  if (stage === undefined || !isDocument(body.readConcern) || body.readConcern.level !== 'linearizable') return;
  throw mongoError('InvalidOptions', `${stage} cannot be used with a 'linearizable' read concern level`);
}

const aggregate: CommandHandler = async (inv) => {
  const parsed = parseAggregate(inv.body);
  checkReadConcernForWrite(inv.body, writeStage(parsed.pipeline));
  parsed.request.collation = collationFor(inv, parsed.coll, parsed.request.collation);
  const scope = readScope(inv, parsed.request.collation, { acceptsLet: true });
  if (optionalBoolean(inv.body, 'explain', 'aggregate')) return explainReply(inv, { aggregate: parsed }, 'queryPlanner', scope.variables);
  const cursorOptions = optionalDocument(inv.body, 'cursor', 'aggregate');
  if (!cursorOptions) throw mongoError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  checkNestedFields('aggregate.cursor', cursorOptions, CURSOR_OPTION_FIELDS);
  const batchSize = nonNegativeInteger(cursorOptions, 'batchSize', 'aggregate.cursor');
  const input = parsed.coll === undefined ? [] : findMatching(storageReader(inv, parsed.coll), parsed.request, scope).docs;
  const output = await runPipeline(input, parsed.rest, pipelineContext(inv, scope, parsed.coll));
  // Once $out or $merge has written, failing the command would misreport what happened.
  if (writeStage(parsed.pipeline) === undefined) scope.deadline.check();
  return openCursor(inv, { ns: `${inv.db}.${parsed.coll ?? '$cmd.aggregate'}`, docs: output }, batchSize, false);
};

export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
