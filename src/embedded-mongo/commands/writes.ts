/** insert, update and delete: batches of statements with per-statement write errors. */
import { ObjectId } from 'bson';
import { ErrorCodes, mongoError, MongoServerError } from '../errors';
import { createCollator } from '../query/collation';
import { compileFilter, TEXT_SEARCH_MATCHED } from '../query/matcher';
import { MAX_DOCUMENT_BYTES } from '../storage/doc-store';
import type { CompiledUpdate } from '../update';
import { assertStorableId, compileUpdate, stampEmptyTimestamps, upsertSeed } from '../update';
import { describeUpdate } from '../update/change-description';
import type { CollationSpec, Document, WriteBatch } from '../types';
import {
  collectionArg,
  documentArray,
  isDocument,
  nonNegativeInteger,
  optionalArray,
  optionalBoolean,
  optionalCollation,
  optionalDocument,
  optionalHint,
} from './args';
import { checkNestedFields, DELETE_STATEMENT_FIELDS, UPDATE_STATEMENT_FIELDS } from './command-fields';
import type { CommandHandler, Invocation } from './context';
import { collationFor, findMatching, findSorted, optionalLet, plainScope, type ReadScope, type Variables } from './matching';
import { documentValidator, type DocumentCheck } from './validation';
import { viewWriteErrors } from './views';

export interface WriteError {
  index: number;
  code: number;
  errmsg: string;
  [extra: string]: unknown;
}

/** Turns a per-statement failure into a writeErrors entry; unexpected errors are logged and keep code 1. */
export function toWriteError(inv: Invocation, index: number, err: unknown): WriteError {
  // Inside a transaction a write conflict fails the whole command (and the driver retries the transaction).
  if (inv.txn && err instanceof MongoServerError && err.code === ErrorCodes.WriteConflict) throw err;
  if (err instanceof MongoServerError) return { index, code: err.code, errmsg: err.message, ...err.extra };
  inv.ctx.logger.error({ err, command: inv.name, index }, 'write statement failed unexpectedly');
  return { index, code: 1, errmsg: err instanceof Error ? err.message : String(err) };
}

/** Puts `_id` first, generating an ObjectId when missing, and rejects ids MongoDB refuses. */
export function withId(doc: Document): Document {
  const id = doc._id === undefined ? new ObjectId() : doc._id;
  assertStorableId(id);
  const { _id: _ignored, ...rest } = doc;
  return { _id: id, ...rest };
}

export function validatorOf(inv: Invocation, coll: string): DocumentCheck {
  const bypass = optionalBoolean(inv.body, 'bypassDocumentValidation', inv.name) ?? false;
  return documentValidator(inv.ctx.storage, inv.db, coll, bypass, inv.ctx.logger);
}

const MAX_WRITE_BATCH = 100_000;

/** The statements of a write command: 1 to 100,000 documents, as MongoDB requires. */
function writeBatch(body: Document, field: string, command: string): Document[] {
  const items = documentArray(body, field, command);
  if (items.length === 0 || items.length > MAX_WRITE_BATCH) {
    throw mongoError('InvalidLength', `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH}. Got ${items.length} operations.`);
  }
  return items;
}

/**
 * Applies each statement in one storage write batch, collecting per-statement write errors; an ordered batch
 * stops at the first failure. Statements applied before a failure stay applied (MongoDB batches are not atomic).
 */
function isOrdered(inv: Invocation): boolean {
  return optionalBoolean(inv.body, 'ordered', inv.name) ?? true;
}

async function runStatements<T>(inv: Invocation, statements: T[], apply: (batch: WriteBatch, statement: T, index: number) => void): Promise<WriteError[]> {
  const ordered = isOrdered(inv);
  const writeErrors: WriteError[] = [];
  await inv.ctx.storage.write(
    inv.txn,
    (batch) => {
      for (let i = 0; i < statements.length; i++) {
        try {
          apply(batch, statements[i], i);
        } catch (err) {
          writeErrors.push(toWriteError(inv, i, err));
          if (ordered) break;
        }
      }
    },
    { durable: inv.durable },
  );
  return writeErrors;
}

function finishWrite(inv: Invocation, reply: Document, writeErrors: WriteError[]): Document {
  if (writeErrors.length === 0) return reply;
  // Inside a transaction any failed statement aborts the whole transaction, as in MongoDB.
  if (inv.txn) inv.ctx.sessions.abortAfterError(inv.session, `${inv.name} failed`);
  return { ...reply, writeErrors };
}

const insert: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'insert');
  const documents = writeBatch(inv.body, 'documents', 'insert');
  const refused = viewWriteErrors(inv, coll, documents.length, isOrdered(inv));
  if (refused) return finishWrite(inv, { n: 0, ok: 1 }, refused);
  const validate = validatorOf(inv, coll);
  const now = new Date();
  let n = 0;
  const writeErrors = await runStatements(inv, documents, (batch, raw) => {
    // withId copies the document, so stamping never changes the request.
    const doc = stampEmptyTimestamps(withId(raw), now);
    validate(doc);
    batch.insert(inv.db, coll, doc);
    n++;
  });
  return finishWrite(inv, { n, ok: 1 }, writeErrors);
};

export interface UpdateStatement {
  q: Document;
  u: Document | Document[];
  multi: boolean;
  upsert: boolean;
  arrayFilters?: Document[];
  collation?: CollationSpec;
  hint?: string | Document;
  /** `$$name` variables for `q`'s `$expr` and a pipeline `u`: the statement's `c` over the command's `let`. */
  variables?: Variables;
}

function parseUpdateStatement(raw: Document, i: number, commandLet: Variables | undefined): UpdateStatement {
  const command = `update.updates.${i}`;
  checkNestedFields('update.updates', raw, UPDATE_STATEMENT_FIELDS);
  const q = optionalDocument(raw, 'q', command) ?? {};
  const u = raw.u;
  if (!isDocument(u) && !(Array.isArray(u) && u.every(isDocument))) {
    throw mongoError('FailedToParse', "Update argument must be either an object or an array");
  }
  const arrayFilters = optionalArray(raw, 'arrayFilters', command);
  if (arrayFilters && !arrayFilters.every(isDocument)) throw mongoError('FailedToParse', 'arrayFilters must be objects');
  const constants = optionalDocument(raw, 'c', command);
  const variables = constants || commandLet ? { ...commandLet, ...constants } : undefined;
  return {
    variables,
    q,
    u,
    multi: optionalBoolean(raw, 'multi', command) ?? false,
    upsert: optionalBoolean(raw, 'upsert', command) ?? false,
    arrayFilters: arrayFilters as Document[] | undefined,
    collation: optionalCollation(raw, command),
    hint: optionalHint(raw, command),
  };
}

/** Whether an update document addresses the matched array element with the positional `$`. */
export function usesPositional(update: unknown): boolean {
  if (!isDocument(update)) return false;
  return Object.values(update).some(
    (fields) => isDocument(fields) && Object.keys(fields).some((path) => path.split('.').includes('$')),
  );
}

export interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
}

/**
 * Applies one update statement inside a write batch: to the first match (or every match when `multi`), or
 * inserts the upsert document built from the query's equality fields when nothing matched. `now` is the
 * command's one clock ($$NOW, $currentDate, the `let` values).
 */
export function applyUpdate(
  batch: WriteBatch,
  db: string,
  coll: string,
  stmt: UpdateStatement,
  validate: DocumentCheck,
  { now, sort }: { now: Date; sort?: Document },
): UpdateOutcome & { before?: Document; after?: Document } {
  const collator = createCollator(stmt.collation);
  const { variables } = stmt;
  const update = compileUpdate(stmt.u, { arrayFilters: stmt.arrayFilters, collator, variables });
  if (stmt.multi && update.kind === 'replacement') {
    throw mongoError('FailedToParse', 'multi update is not supported for replacement-style update');
  }
  const { docs } = findSorted(
    (request) => batch.find(db, coll, request),
    { filter: stmt.q, sort, collation: stmt.collation, hint: stmt.hint },
    plainScope(collator, now, variables),
  );
  if (docs.length === 0) {
    if (!stmt.upsert) return { matched: 0, modified: 0 };
    const inserted = buildUpsert(stmt.q, update, now);
    validate(inserted);
    withUpdateSizeError('Location17420', 'Document to upsert is larger than', () => batch.insert(db, coll, inserted));
    return { matched: 0, modified: 0, upsertedId: inserted._id, after: inserted };
  }
  const targets = stmt.multi ? docs : docs.slice(0, 1);
  const matcher = usesPositional(stmt.u) ? compileFilter(stmt.q, { collator, now, variables, text: TEXT_SEARCH_MATCHED }) : undefined;
  let modified = 0;
  let last: { before: Document; after: Document } | undefined;
  for (const doc of targets) {
    const positionalIndex = matcher?.positionalIndex(doc);
    const result = update.apply(doc, { isInsert: false, positionalIndex, now });
    if (result.modified) {
      validate(result.doc, doc);
      const description = describeUpdate(update.kind, stmt.u, doc, result.doc);
      withUpdateSizeError('Location17419', 'Resulting document after update is larger than', () => batch.replace(db, coll, result.doc, description));
      modified++;
    }
    last = { before: doc, after: result.doc };
  }
  return { matched: targets.length, modified, ...last };
}

/**
 * Storage refuses any document over 16 MB with 10334 BSONObjectTooLarge; mongod's update stage reports an update
 * that grows a document past it as 17419, and an upsert's new document as 17420, with these messages.
 */
function withUpdateSizeError(codeName: 'Location17419' | 'Location17420', message: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (error instanceof MongoServerError && error.code === ErrorCodes.BSONObjectTooLarge) throw mongoError(codeName, `${message} ${MAX_DOCUMENT_BYTES}`);
    throw error;
  }
}

function buildUpsert(q: Document, update: CompiledUpdate, now: Date): Document {
  const seed = upsertSeed(q);
  const result = update.apply(seed, { isInsert: true, now });
  return withId(result.doc);
}

const update: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'update');
  const now = new Date();
  const commandLet = optionalLet(inv.body, 'update', now, undefined);
  // Malformed statements fail the whole command before anything is written, as in MongoDB.
  const statements = writeBatch(inv.body, 'updates', 'update').map((raw, i) => {
    const statement = parseUpdateStatement(raw, i, commandLet);
    return { ...statement, collation: collationFor(inv, coll, statement.collation) };
  });
  const refused = viewWriteErrors(inv, coll, statements.length, isOrdered(inv));
  if (refused) return finishWrite(inv, { n: 0, nModified: 0, ok: 1 }, refused);
  const validate = validatorOf(inv, coll);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors = await runStatements(inv, statements, (batch, statement, index) => {
    const outcome = applyUpdate(batch, inv.db, coll, statement, validate, { now });
    if (outcome.upsertedId !== undefined) {
      upserted.push({ index, _id: outcome.upsertedId });
      n++;
    } else {
      n += outcome.matched;
      nModified += outcome.modified;
    }
  });
  const reply: Document = { n, nModified, ok: 1 };
  if (upserted.length) reply.upserted = upserted;
  return finishWrite(inv, reply, writeErrors);
};

const del: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'delete');
  const now = new Date();
  const variables = optionalLet(inv.body, 'delete', now, undefined);
  const statements = writeBatch(inv.body, 'deletes', 'delete').map((raw, i) => {
    const statement = parseDeleteStatement(raw, i);
    return { ...statement, collation: collationFor(inv, coll, statement.collation) };
  });
  const refused = viewWriteErrors(inv, coll, statements.length, isOrdered(inv));
  if (refused) return finishWrite(inv, { n: 0, ok: 1 }, refused);
  let n = 0;
  const writeErrors = await runStatements(inv, statements, (batch, statement) => {
    n += applyDelete(batch, inv.db, coll, statement, plainScope(createCollator(statement.collation), now, variables));
  });
  return finishWrite(inv, { n, ok: 1 }, writeErrors);
};

interface DeleteStatement {
  q: Document;
  limit: 0 | 1;
  collation?: CollationSpec;
  hint?: string | Document;
}

function parseDeleteStatement(raw: Document, i: number): DeleteStatement {
  const command = `delete.deletes.${i}`;
  checkNestedFields('delete.deletes', raw, DELETE_STATEMENT_FIELDS);
  const q = optionalDocument(raw, 'q', command);
  if (!q) throw mongoError('NoSuchKey', `BSON field '${command}.q' is missing but a required field`);
  const limit = nonNegativeInteger(raw, 'limit', command);
  if (limit === undefined) throw mongoError('NoSuchKey', `BSON field '${command}.limit' is missing but a required field`);
  if (limit > 1) throw mongoError('FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${limit}`);
  return { q, limit: limit === 1 ? 1 : 0, collation: optionalCollation(raw, command), hint: optionalHint(raw, command) };
}

function applyDelete(batch: WriteBatch, db: string, coll: string, stmt: DeleteStatement, scope: ReadScope): number {
  const found = findMatching((request) => batch.find(db, coll, request), { filter: stmt.q, collation: stmt.collation, hint: stmt.hint }, scope);
  const targets = stmt.limit === 1 ? found.docs.slice(0, 1) : found.docs;
  let removed = 0;
  for (const doc of targets) if (batch.remove(db, coll, doc._id)) removed++;
  return removed;
}

export const writeCommands: Record<string, CommandHandler> = { insert, update, delete: del };
