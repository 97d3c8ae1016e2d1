/** aggregate: a leading $match is answered by the storage engine (so indexes help), the rest by runPipeline. */
import { ObjectId } from 'bson';
import { mongoError } from '../errors';
import { runPipeline } from '../aggregate/pipeline';
import type { PipelineContext } from '../aggregate/stages/types';
import { createCollator, sameCollation } from '../query/collation';
import { compileFilter } from '../query/matcher';
import type { CollationSpec, Document, FindRequest, FindResult, StorageEngine } from '../types';
import {
  documentArray,
  isDocument,
  nonNegativeInteger,
  optionalBoolean,
  optionalCollation,
  optionalDocument,
  optionalHint,
  SIMPLE_COLLATION,
  validateCollectionName,
} from './args';
import { checkNestedFields, CURSOR_OPTION_FIELDS } from './command-fields';
import type { CommandHandler, Invocation } from './context';
import { isChangeStreamPipeline } from '../change-streams/spec';
import { collectionInfo } from './catalog';
import { openChangeStream } from './change-stream';
import { openCursor } from './cursors';
import { explainReply } from './explain-plan';
import { collationFor, findMatching, readScope, storageReader, type ReadScope } from './matching';
import { prepareMerge } from './merge';
import { lookupView, MAX_VIEW_DEPTH, notACollection, resolveView, type ResolvedView } from './views';
import { textClauseOf } from '../text/filter';
import { mentionsTextScore, textScoreUnavailable } from '../text/metadata';

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
  return coll === undefined ? { coll, pipeline, request, rest: pipeline } : withLeadingMatch(coll, pipeline, request);
}

/** The aggregation `pipeline` over `coll`, its leading $match moved into the storage read (so indexes help). */
function withLeadingMatch(coll: string, pipeline: Document[], request: FindRequest): ParsedAggregate {
  const first = pipeline[0];
  if (first && Object.keys(first).length === 1 && isDocument(first.$match)) {
    return { coll, pipeline, request: { ...request, filter: first.$match }, rest: pipeline.slice(1) };
  }
  return { coll, pipeline, request, rest: pipeline };
}

/** What a read of a view may ask for: `collation` as the command sent it (even `{locale: "simple"}` counts). */
export interface ViewReadOptions {
  collation?: unknown;
  hint?: FindRequest['hint'];
}

/** The documents a read of a view sees: the view's pipeline, then `stages`, in the view's collation. */
export function readView(inv: Invocation, view: ResolvedView, stages: Document[], request: ViewReadOptions, scope: ReadScope): Promise<Document[]> {
  return runAggregation(inv, viewAggregate(view, stages, request), scope, () => view.collation);
}

/**
 * An aggregation over a view as the aggregation over its collection that mongod runs: the view's pipeline, then
 * `stages`, in the view's collation (a read may not ask for another: 167).
 */
export function viewAggregate(view: ResolvedView, stages: Document[], request: ViewReadOptions): ParsedAggregate {
  if (request.collation !== undefined && request.collation !== null && !sameCollation(request.collation, view.collation)) {
    throw mongoError('OptionNotSupportedOnView', "Cannot override a view's default collation");
  }
  const parsed = withLeadingMatch(view.coll, [...view.pipeline, ...stages], { filter: {}, collation: view.collation ?? SIMPLE_COLLATION, hint: request.hint });
  return { ...parsed, pipeline: stages };
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

/** An aggregation's collation (a view's, the command's or the source collection's default), looked up when needed. */
export type AggregationCollation = () => CollationSpec | undefined;

/**
 * What a pipeline of this command reads and writes; `depth` counts the views a $lookup, $graphLookup or $unionWith
 * has read through; `collection` is the one the command names (undefined for `aggregate: 1`).
 */
function pipelineContext(
  inv: Invocation,
  scope: ReadScope,
  collation: AggregationCollation,
  depth: number,
  textScores: Map<Document, number> | undefined,
  collection: string | undefined,
): PipelineContext {
  const storage = inv.ctx.storage;
  return {
    db: inv.db,
    collection,
    logicalSessions: () => inv.ctx.sessions.list(),
    collator: scope.collator,
    now: scope.now,
    variables: scope.variables,
    textScores,
    readCollection: (db: string, coll: string, filter?: Document): Document[] | Promise<Document[]> => {
      scope.deadline.check();
      const view = resolveView(storage, db, coll);
      if (view) return readThroughView(inv, view, scope, collation, depth, filter);
      return storage.find(inv.txn, db, coll, { filter: filter ?? {} }).docs;
    },
    writeCollection: async (db: string, coll: string, docs: Document[]): Promise<void> => {
      if (inv.txn) throw mongoError('IllegalOperation', '$out and $merge cannot be used in a transaction');
      if (lookupView(storage, db, coll)) throw notACollection(db, coll);
      scope.deadline.check();
      await replaceCollection(storage, db, coll, docs);
    },
    prepareMerge: (spec) => prepareMerge(inv, scope, collation(), spec),
  };
}

/** A view read by a stage of another pipeline ($lookup, $graphLookup, $unionWith): it must share the collation. */
async function readThroughView(
  inv: Invocation,
  view: ResolvedView,
  scope: ReadScope,
  collation: AggregationCollation,
  depth: number,
  filter: Document | undefined,
): Promise<Document[]> {
  if (!sameCollation(collation(), view.collation)) {
    throw mongoError('OptionNotSupportedOnView', `The collation of view ${view.db}.${view.name} does not match the collation of the aggregation`);
  }
  if (depth >= MAX_VIEW_DEPTH) {
    throw mongoError('ViewDepthLimitExceeded', `View depth too deep or view cycle detected; maximum depth is ${MAX_VIEW_DEPTH}`);
  }
  const docs = await runAggregation(inv, viewAggregate(view, [], {}), scope, () => view.collation, depth + 1);
  if (!filter || Object.keys(filter).length === 0) return docs;
  const matcher = compileFilter(filter, { collator: createCollator(view.collation), now: scope.now });
  return docs.filter((doc) => matcher.test(doc));
}

/** Runs a parsed aggregation: the storage read of its leading $match, then the rest of the pipeline. */
export async function runAggregation(inv: Invocation, parsed: ParsedAggregate, scope: ReadScope, collation: AggregationCollation, depth = 0): Promise<Document[]> {
  const textSearch = parsed.coll !== undefined && textClauseOf(parsed.request.filter) !== undefined;
  if (!textSearch && mentionsTextScore(parsed.rest)) throw textScoreUnavailable();
  const input: Pick<FindResult, 'docs' | 'textScores'> = parsed.coll === undefined ? { docs: [] } : findMatching(storageReader(inv, parsed.coll), parsed.request, scope);
  return runPipeline(input.docs, parsed.rest, pipelineContext(inv, scope, collation, depth, input.textScores, parsed.coll));
}

/** The writing stage ($out or $merge) that ends the pipeline, if any. */
function writeStage(pipeline: Document[]): string | undefined {
  const last = pipeline[pipeline.length - 1];
  return last === undefined ? undefined : ['$out', '$merge'].find((stage) => stage in last);
}

/** mongod cannot make a write linearizable: $out and $merge refuse that read concern before anything else. */
function checkReadConcernForWrite(body: Document, stage: string | undefined): void {
  if (stage === undefined || !isDocument(body.readConcern) || body.readConcern.level !== 'linearizable') return;
  throw mongoError('InvalidOptions', `${stage} cannot be used with a 'linearizable' read concern level`);
}

const aggregate: CommandHandler = async (inv) => {
  if (isChangeStreamPipeline(inv.body.pipeline)) return openChangeStream(inv);
  const requested = parseAggregate(inv.body);
  checkReadConcernForWrite(inv.body, writeStage(requested.pipeline));
  const view = requested.coll === undefined ? undefined : resolveView(inv.ctx.storage, inv.db, requested.coll);
  // Without a view: the command's collation, else the collection's default (for the storage read and every stage).
  const collation = view ? view.collation : collationFor(inv, requested.coll, requested.request.collation);
  const parsed = view
    ? viewAggregate(view, requested.pipeline, { collation: inv.body.collation, hint: requested.request.hint })
    : { ...requested, request: { ...requested.request, collation } };
  const scope = readScope(inv, collation, { acceptsLet: true });
  if (optionalBoolean(inv.body, 'explain', 'aggregate')) return explainReply(inv, { aggregate: parsed }, 'queryPlanner', scope.variables);
  const cursorOptions = optionalDocument(inv.body, 'cursor', 'aggregate');
  if (!cursorOptions) throw mongoError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  checkNestedFields('aggregate.cursor', cursorOptions, CURSOR_OPTION_FIELDS);
  const batchSize = nonNegativeInteger(cursorOptions, 'batchSize', 'aggregate.cursor');
  const output = await runAggregation(inv, parsed, scope, () => collation);
  // Once $out or $merge has written, failing the command would misreport what happened.
  if (writeStage(parsed.pipeline) === undefined) scope.deadline.check();
  return openCursor(inv, { ns: `${inv.db}.${requested.coll ?? '$cmd.aggregate'}`, docs: output }, batchSize, false);
};

export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
