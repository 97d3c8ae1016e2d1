/**
 * The writing half of `$merge`, as mongod 7's MergeProcessor: each source document becomes one statement of an
 * unordered write batch against the target (an update with upsert, a plain update, or an insert, by mode), in
 * batches of up to 16 MB / 100,000 documents. Every statement of a batch is tried; the batch's first error then
 * fails the aggregate, with mongod's context for duplicate keys and `_id` changes. Statements commit and are
 * journalled as any write does: what was written before an error stays written, as in mongod.
 */
import { calculateObjectSize } from 'bson';
import { deepClone } from '../bson/clone';
import { ErrorCodes, mongoError, MongoServerError, withContext } from '../errors';
import { sameCollation } from '../query/collation';
import type { MergeSpec } from '../aggregate/stages/types';
import { createScope, evaluate } from '../aggregate/evaluate';
import { stampEmptyTimestamps } from '../update';
import type { CollationSpec, Document, IndexSpec, StorageEngine, WriteBatch } from '../types';
import { isDocument, optionalBoolean, SIMPLE_COLLATION } from './args';
import type { Invocation } from './context';
import type { ReadScope } from './matching';
import { documentValidator, type DocumentCheck } from './validation';
import { lookupView, notACollection } from './views';
import { applyUpdate, withId, type UpdateStatement } from './writes';

const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const MAX_BATCH_DOCS = 100_000;

interface MergeRun {
  spec: MergeSpec;
  validate: DocumentCheck;
  collation: CollationSpec;
  scope: ReadScope;
}

/**
 * Checks `spec` against the server and returns its writer. `collation` is the aggregation's (the command's, or its
 * source's default): the unique index behind `on` must have it, and the target is matched with it.
 */
export function prepareMerge(inv: Invocation, scope: ReadScope, collation: CollationSpec | undefined, spec: MergeSpec): (docs: Document[]) => Promise<void> {
  const storage = inv.ctx.storage;
  if (spec.onGiven && !hasSupportingUniqueIndex(storage, spec, collation)) {
    throw mongoError('Location51183', 'Cannot find index to verify that join fields will be unique');
  }
  if (inv.txn) throw mongoError('OperationNotSupportedInTransaction', '$merge cannot be used in a transaction');
  const bypass = optionalBoolean(inv.body, 'bypassDocumentValidation', inv.name) ?? false;
  return async (docs) => {
    if (docs.length === 0) return;
    if (lookupView(storage, spec.db, spec.coll)) throw notACollection(spec.db, spec.coll);
    const run: MergeRun = { spec, validate: documentValidator(storage, spec.db, spec.coll, bypass, inv.ctx.logger), collation: collation ?? SIMPLE_COLLATION, scope };
    for (const batch of batches(docs.map((doc) => deepClone(doc)))) {
      scope.deadline.check();
      await mergeBatch(inv, run, batch);
    }
  };
}

/** A unique, non-partial index of plain ascending/descending keys on exactly the `on` fields, in `collation`. */
function hasSupportingUniqueIndex(storage: StorageEngine, spec: MergeSpec, collation: CollationSpec | undefined): boolean {
  const exists = storage.listCollections(spec.db).some((info) => info.name === spec.coll);
  if (!exists) return spec.on.length === 1 && spec.on[0] === '_id';
  return storage.listIndexes(spec.db, spec.coll).some((index) => supportsOnFields(index, spec.on, collation));
}

function supportsOnFields(index: IndexSpec, on: string[], collation: CollationSpec | undefined): boolean {
  if (index.name !== '_id_' && index.unique !== true) return false;
  if (index.partialFilterExpression !== undefined) return false;
  const fields = Object.entries(index.key);
  if (fields.length !== on.length) return false;
  if (!fields.every(([field, direction]) => on.includes(field) && (typeof direction === 'number' || typeof direction === 'bigint'))) return false;
  return sameCollation(index.collation, collation);
}

function* batches(docs: Document[]): Generator<Document[]> {
  let current: Document[] = [];
  let bytes = 0;
  for (const doc of docs) {
    const size = calculateObjectSize(doc);
    if (current.length > 0 && (bytes + size > MAX_BATCH_BYTES || current.length >= MAX_BATCH_DOCS)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(doc);
    bytes += size;
  }
  if (current.length > 0) yield current;
}

async function mergeBatch(inv: Invocation, run: MergeRun, docs: Document[]): Promise<void> {
  let matched = 0;
  const errors: unknown[] = [];
  await inv.ctx.storage.write(
    undefined,
    (batch) => {
      for (const doc of docs) {
        try {
          matched += mergeDocument(run, batch, doc);
        } catch (err) {
          errors.push(err);
        }
      }
    },
    { durable: inv.durable },
  );
  if (errors.length > 0) throw withMergeContext(errors[0], run.spec);
  if (run.spec.whenNotMatched === 'fail' && matched < docs.length) {
    throw mongoError(
      'MergeStageNoMatchingDocument',
      '$merge could not find a matching document in the target collection for at least one document in the source collection',
    );
  }
}

/** Writes one source document; returns how many target documents it matched (0 or 1). */
function mergeDocument(run: MergeRun, batch: WriteBatch, source: Document): number {
  const { spec } = run;
  const now = run.scope.now;
  if (spec.whenMatched === 'fail') {
    insertDocument(run, batch, source);
    return 0;
  }
  const doc = spec.on.includes('_id') && source._id === undefined ? withId(source) : source;
  const statement: UpdateStatement = { q: onFieldsOf(doc, spec.on), u: doc, multi: false, upsert: spec.whenNotMatched === 'insert', collation: run.collation };
  if (spec.whenMatched === 'merge') statement.u = { $set: doc };
  else if (spec.whenMatched === 'keepExisting') statement.u = { $setOnInsert: doc };
  else if (spec.whenMatched === 'pipeline') {
    statement.u = spec.pipeline as Document[];
    statement.upsert = false;
    statement.variables = { ...run.scope.variables, ...letVariables(spec.let ?? {}, doc, run) };
  }
  const outcome = applyUpdate(batch, spec.db, spec.coll, statement, run.validate, { now });
  // A pipeline's unmatched document goes in as it is: the pipeline only ever runs on a target document.
  if (spec.whenMatched === 'pipeline' && outcome.matched === 0 && spec.whenNotMatched === 'insert') insertDocument(run, batch, doc);
  return outcome.matched;
}

function insertDocument(run: MergeRun, batch: WriteBatch, source: Document): void {
  const doc = stampEmptyTimestamps(withId(source), run.scope.now);
  run.validate(doc);
  batch.insert(run.spec.db, run.spec.coll, doc);
}

/** The `let` of a pipeline `whenMatched`, evaluated against the source document. */
function letVariables(spec: Document, doc: Document, run: MergeRun): Record<string, unknown> {
  const scope = createScope(doc, { vars: run.scope.variables, now: run.scope.now, collator: run.scope.collator });
  return Object.fromEntries(Object.entries(spec).map(([name, expr]) => [name, evaluate(expr, scope)]));
}

/** The query that finds a document's target: its `on` values, which must be present, not null and not arrays. */
function onFieldsOf(doc: Document, on: string[]): Document {
  const query: Document = {};
  for (const field of on) {
    let value: unknown = doc;
    for (const part of field.split('.')) value = isDocument(value) ? value[part] : undefined;
    if (Array.isArray(value)) throw mongoError('Location51185', `$merge write error: 'on' field '${field}' is an array`);
    if (value === undefined || value === null) {
      throw mongoError('Location51132', `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`);
    }
    query[field] = value;
  }
  return query;
}

/** mongod's wording around the errors a statement of $merge can meet. */
function withMergeContext(err: unknown, spec: MergeSpec): unknown {
  if (!(err instanceof MongoServerError)) return err;
  if (err.code === ErrorCodes.ImmutableField) {
    return withContext(err, '$merge failed to update the matching document, did you attempt to modify the _id or the shard key?');
  }
  if (err.code !== ErrorCodes.DuplicateKey) return err;
  const pattern = isDocument(err.extra.keyPattern) ? Object.keys(err.extra.keyPattern) : [];
  const onTheOnFields = pattern.length === spec.on.length && spec.on.every((field) => pattern.includes(field));
  const context = spec.whenMatched === 'fail' && onTheOnFields
    ? "$merge with whenMatched: fail found an existing document with the same values for the 'on' fields"
    : '$merge failed due to a DuplicateKey error';
  return withContext(err, context);
}
