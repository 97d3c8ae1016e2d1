/** aggregate: a leading $match is answered by the storage engine (so indexes help), the rest by runPipeline. */
import { mongoError } from '../errors';
import { runPipeline } from '../aggregate/pipeline';
import { createCollator } from '../query/collation';
import type { Collator, Document, FindRequest } from '../types';
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
import type { CommandHandler, Invocation } from './context';
import { explainReply } from './explain-plan';

export interface ParsedAggregate {
  /** undefined for a database-level aggregate (`aggregate: 1`). */
  coll: string | undefined;
  pipeline: Document[];
  request: FindRequest;
  /** Stages left after the leading $match (and a $sort directly after it) moved into the storage read. */
  rest: Document[];
  collator: Collator | undefined;
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
  const collation = optionalCollation(body, 'aggregate');
  const request: FindRequest = { filter: {}, collation, hint: optionalHint(body, 'aggregate') };
  let rest = pipeline;
  const first = pipeline[0];
  if (coll !== undefined && first && Object.keys(first).length === 1 && isDocument(first.$match)) {
    request.filter = first.$match;
    rest = pipeline.slice(1);
  }
  return { coll, pipeline, request, rest, collator: createCollator(collation) };
}

function pipelineContext(inv: Invocation, collator: Collator | undefined) {
  const storage = inv.ctx.storage;
  return {
    db: inv.db,
    collator,
    now: new Date(),
    readCollection: (db: string, coll: string, filter?: Document): Document[] =>
      storage.find(inv.txn, db, coll, { filter: filter ?? {} }).docs,
    writeCollection: async (db: string, coll: string, docs: Document[]): Promise<void> => {
      if (inv.txn) throw mongoError('IllegalOperation', '$out and $merge cannot be used in a transaction');
      await storage.dropCollection(db, coll);
      await storage.write(undefined, (batch) => {
        for (const doc of docs) batch.insert(db, coll, doc);
      });
    },
  };
}

const aggregate: CommandHandler = async (inv) => {
  const parsed = parseAggregate(inv.body);
  if (optionalBoolean(inv.body, 'explain', 'aggregate')) return explainReply(inv, { aggregate: parsed }, 'queryPlanner');
  const cursorOptions = optionalDocument(inv.body, 'cursor', 'aggregate');
  if (!cursorOptions) throw mongoError('FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  const batchSize = nonNegativeInteger(cursorOptions, 'batchSize', 'aggregate.cursor');
  const input = parsed.coll === undefined ? [] : inv.ctx.storage.find(inv.txn, inv.db, parsed.coll, parsed.request).docs;
  const output = await runPipeline(input, parsed.rest, pipelineContext(inv, parsed.collator));
  const ns = `${inv.db}.${parsed.coll ?? '$cmd.aggregate'}`;
  const { id, batch } = inv.ctx.cursors.start({ ns, docs: output, sessionKey: inv.session?.key }, batchSize, false);
  return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
};

export const aggregateCommands: Record<string, CommandHandler> = { aggregate };
