/** find, getMore, killCursors, count, distinct. */
import { mongoError } from '../errors';
import { compareValues, valuesEqual } from '../bson/compare';
import { compileFilter, TEXT_SEARCH_MATCHED } from '../query/matcher';
import { textClauseOf } from '../text/filter';
import { compileProjection } from '../query/projection';
import type { Document, FindRequest } from '../types';
import {
  collectionArg,
  isDocument,
  nonNegativeInteger,
  optionalBoolean,
  optionalDocument,
  optionalInteger,
  readRequest,
  requiredArray,
} from './args';
import { readView } from './aggregate';
import { changeStreamGetMore } from './change-stream';
import type { CommandHandler, Invocation } from './context';
import { DEFAULT_FIRST_BATCH, openCursor } from './cursors';
import { forEachWithin } from './deadline';
import { collationFor, findMatching, findSorted, readScope, storageReader, type ReadScope } from './matching';
import { resolveView, type ResolvedView } from './views';

/** 0 means no limit; a negative limit counts like its absolute value. */
function limitOf(raw: number): number {
  return raw === 0 ? Infinity : Math.abs(raw);
}

export interface ParsedFind {
  coll: string;
  request: FindRequest;
  projection?: Document;
  skip: number;
  limit: number;
  batchSize?: number;
  singleBatch: boolean;
  /** `noCursorTimeout`: the cursor stays open however long it is idle. */
  noTimeout: boolean;
}

/** Options of find that change its results and that this server does not implement: refused, never ignored. */
const UNSUPPORTED_FIND_OPTIONS = ['tailable', 'awaitData', 'returnKey', 'showRecordId'] as const;

export function parseFind(body: Document): ParsedFind {
  const coll = collectionArg(body, 'find');
  const request: FindRequest = { ...readRequest(body, 'filter', 'find'), sort: optionalDocument(body, 'sort', 'find') };
  const projection = optionalDocument(body, 'projection', 'find');
  const skip = nonNegativeInteger(body, 'skip', 'find') ?? 0;
  const rawLimit = optionalInteger(body, 'limit', 'find') ?? 0;
  const batchSize = nonNegativeInteger(body, 'batchSize', 'find');
  let singleBatch = optionalBoolean(body, 'singleBatch', 'find') ?? false;
  for (const option of UNSUPPORTED_FIND_OPTIONS) {
    if (optionalBoolean(body, option, 'find')) throw mongoError('NotImplemented', `find with ${option} is not supported by the embedded server`);
  }
  for (const bound of ['min', 'max'] as const) {
    const value = optionalDocument(body, bound, 'find');
    if (value && Object.keys(value).length > 0) throw mongoError('NotImplemented', `find with ${bound} is not supported by the embedded server`);
  }
  const noTimeout = optionalBoolean(body, 'noCursorTimeout', 'find') ?? false;
  // A negative limit is the legacy way of asking for one batch of at most |limit| documents.
  if (rawLimit < 0) singleBatch = true;
  const limit = limitOf(rawLimit);
  return { coll, request, projection, skip, limit, batchSize, singleBatch, noTimeout };
}

function projector(
  projection: Document | undefined,
  filter: Document,
  scope: ReadScope,
  textScore: ((doc: Document) => number | undefined) | undefined,
): ((doc: Document) => Document) | undefined {
  if (!projection || Object.keys(projection).length === 0) return undefined;
  const positional = Object.keys(projection).some((path) => path.endsWith('.$'));
  const matcher = positional ? compileFilter(filter, { collator: scope.collator, now: scope.now, variables: scope.variables, text: TEXT_SEARCH_MATCHED }) : undefined;
  return compileProjection(projection, { matcher, collator: scope.collator, now: scope.now, variables: scope.variables, textScore });
}

function firstBatchSizeOf(parsed: ParsedFind): number {
  return parsed.batchSize === 0 ? 0 : Math.min(parsed.batchSize ?? DEFAULT_FIRST_BATCH, parsed.limit);
}

const find: CommandHandler = async (inv) => {
  const view = resolveView(inv.ctx.storage, inv.db, collectionArg(inv.body, 'find'));
  if (view) return findOnView(inv, view);
  const parsed = parseFind(inv.body);
  const request = { ...parsed.request, collation: collationFor(inv, parsed.coll, parsed.request.collation) };
  const scope = readScope(inv, request.collation, { acceptsLet: true });
  // The projection is checked before the read; the scores it shows come with the read.
  let textScores: Map<Document, number> | undefined;
  const textScore = textClauseOf(request.filter) ? (doc: Document) => textScores?.get(doc) : undefined;
  const transform = projector(parsed.projection, request.filter, scope, textScore);
  const result = findSorted(storageReader(inv, parsed.coll), request, scope);
  textScores = result.textScores;
  const docs = result.docs;
  const window = docs.slice(parsed.skip, parsed.skip + parsed.limit);
  return openCursor(inv, { ns: `${inv.db}.${parsed.coll}`, docs: window, transform, noTimeout: parsed.noTimeout }, firstBatchSizeOf(parsed), parsed.singleBatch);
};

/** find options an aggregation cannot express, refused on a view with mongod's 168. */
const FIND_ONLY_OPTIONS = ['showRecordId', 'returnKey', 'awaitData', 'noCursorTimeout', 'allowPartialResults', 'min', 'max', 'readOnce', 'allowSpeculativeMajorityRead', 'requestResumeToken', 'resumeAfter'];

function assertAnswerableByAggregation(body: Document): void {
  if (optionalBoolean(body, 'tailable', 'find')) throw mongoError('InvalidPipelineOperator', 'Tailable cursors are not supported in aggregation.');
  for (const option of FIND_ONLY_OPTIONS) {
    const value = body[option];
    if (value === undefined || value === null || value === false || (isDocument(value) && Object.keys(value).length === 0)) continue;
    throw mongoError('InvalidPipelineOperator', `Option ${option} not supported in aggregation.`);
  }
}

/** A find as the stages mongod appends to a view's pipeline: $match, $sort, $skip, $limit, $project. */
export function findStages(parsed: Pick<ParsedFind, 'request' | 'skip' | 'limit'> & { projection?: Document }): Document[] {
  const stages: Document[] = [];
  const { filter, sort } = parsed.request;
  if (Object.keys(filter).length > 0) stages.push({ $match: filter });
  if (sort && Object.keys(sort).length > 0) stages.push({ $sort: sort });
  if (parsed.skip > 0) stages.push({ $skip: parsed.skip });
  if (parsed.limit !== Infinity) stages.push({ $limit: parsed.limit });
  if (parsed.projection && Object.keys(parsed.projection).length > 0) stages.push({ $project: parsed.projection });
  return stages;
}

async function findOnView(inv: Invocation, view: ResolvedView): Promise<Document> {
  assertAnswerableByAggregation(inv.body);
  const parsed = parseFind(inv.body);
  const scope = readScope(inv, view.collation, { acceptsLet: true });
  const docs = await readView(inv, view, findStages(parsed), { collation: inv.body.collation, hint: parsed.request.hint }, scope);
  return openCursor(inv, { ns: `${inv.db}.${view.name}`, docs }, firstBatchSizeOf(parsed), parsed.singleBatch);
}

function cursorIdArg(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw mongoError('TypeMismatch', "BSON field 'getMore.getMore' is the wrong type, expected type 'long'");
}

const getMore: CommandHandler = async (inv) => {
  const id = cursorIdArg(inv.body.getMore);
  const coll = inv.body.collection;
  if (typeof coll !== 'string') throw mongoError('TypeMismatch', "BSON field 'getMore.collection' is the wrong type, expected type 'string'");
  const ns = `${inv.db}.${coll}`;
  if (inv.ctx.cursors.isLive(id)) return changeStreamGetMore(inv, id, ns);
  const batchSize = nonNegativeInteger(inv.body, 'batchSize', 'getMore');
  const next = inv.ctx.cursors.next(id, ns, batchSize);
  if ('error' in next) {
    if (next.error === 'wrongNamespace') {
      throw mongoError('Unauthorized', `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${next.ns}`);
    }
    throw mongoError('CursorNotFound', `cursor id ${id} not found`);
  }
  return { cursor: { nextBatch: next.batch.docs, id: next.batch.exhausted ? 0n : id, ns }, ok: 1 };
};

const killCursors: CommandHandler = async (inv) => {
  const coll = inv.body.killCursors;
  // Not collectionArg: cursors of database-level aggregates live on "$cmd.aggregate".
  if (typeof coll !== 'string' || coll.length === 0) throw mongoError('InvalidNamespace', 'killCursors needs a collection name');
  const ns = `${inv.db}.${coll}`;
  const ids = requiredArray(inv.body, 'cursors', 'killCursors');
  const cursorsKilled: bigint[] = [];
  const cursorsNotFound: bigint[] = [];
  for (const raw of ids) {
    const id = cursorIdArg(raw);
    (inv.ctx.cursors.kill(id, ns) ? cursorsKilled : cursorsNotFound).push(id);
  }
  return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

export function parseCount(body: Document): { coll: string; request: FindRequest; skip: number; limit: number } {
  const coll = collectionArg(body, 'count');
  const request = readRequest(body, 'query', 'count');
  const skip = nonNegativeInteger(body, 'skip', 'count') ?? 0;
  const limit = limitOf(optionalInteger(body, 'limit', 'count') ?? 0);
  return { coll, request, skip, limit };
}

const count: CommandHandler = async (inv) => {
  const parsed = parseCount(inv.body);
  const view = resolveView(inv.ctx.storage, inv.db, parsed.coll);
  if (view) {
    const scope = readScope(inv, view.collation, { acceptsLet: false });
    const docs = await readView(inv, view, findStages(parsed), { collation: inv.body.collation, hint: parsed.request.hint }, scope);
    return { n: docs.length, ok: 1 };
  }
  const request = { ...parsed.request, collation: collationFor(inv, parsed.coll, parsed.request.collation) };
  const scope = readScope(inv, request.collation, { acceptsLet: false });
  const { docs } = findMatching(storageReader(inv, parsed.coll), request, scope);
  const n = Math.max(0, Math.min(docs.length - parsed.skip, parsed.limit));
  return { n, ok: 1 };
};

export function parseDistinct(body: Document): { coll: string; key: string; request: FindRequest } {
  const coll = collectionArg(body, 'distinct');
  const key = body.key;
  if (typeof key !== 'string') throw mongoError('TypeMismatch', "BSON field 'distinct.key' is the wrong type, expected type 'string'");
  if (key.length === 0) throw mongoError('BadValue', 'FieldPath cannot be constructed with empty string');
  return { coll, key, request: readRequest(body, 'query', 'distinct') };
}

/** Values at `path`, descending through arrays; a terminal array contributes its elements (one level). */
export function distinctValues(doc: unknown, path: string[], out: unknown[]): void {
  if (path.length === 0) {
    if (Array.isArray(doc)) out.push(...doc);
    else if (doc !== undefined) out.push(doc);
    return;
  }
  if (Array.isArray(doc)) {
    const [head, ...rest] = path;
    if (/^\d+$/.test(head)) distinctValues(doc[Number(head)], rest, out);
    for (const element of doc) if (isDocument(element)) distinctValues(element, path, out);
    return;
  }
  if (isDocument(doc)) distinctValues(doc[path[0]], path.slice(1), out);
}

const distinct: CommandHandler = async (inv) => {
  const parsed = parseDistinct(inv.body);
  const view = resolveView(inv.ctx.storage, inv.db, parsed.coll);
  if (view) {
    const scope = readScope(inv, view.collation, { acceptsLet: false });
    const docs = await readView(inv, view, findStages({ ...parsed, skip: 0, limit: Infinity }), { collation: inv.body.collation, hint: parsed.request.hint }, scope);
    return { values: distinctOf(docs, parsed.key, scope), ok: 1 };
  }
  const request = { ...parsed.request, collation: collationFor(inv, parsed.coll, parsed.request.collation) };
  const scope = readScope(inv, request.collation, { acceptsLet: false });
  const { docs } = findMatching(storageReader(inv, parsed.coll), request, scope);
  return { values: distinctOf(docs, parsed.key, scope), ok: 1 };
};

/** The distinct values of `key` in `docs`, in sort order. */
function distinctOf(docs: Document[], key: string, { collator, deadline }: Pick<ReadScope, 'collator' | 'deadline'>): unknown[] {
  const values: unknown[] = [];
  const path = key.split('.');
  forEachWithin(docs, (doc) => distinctValues(doc, path, values), deadline);
  values.sort((a, b) => compareValues(a, b, collator));
  deadline.check();
  const unique: unknown[] = [];
  for (const value of values) {
    if (unique.length === 0 || !valuesEqual(unique[unique.length - 1], value, collator)) unique.push(value);
  }
  return unique;
}

export const readCommands: Record<string, CommandHandler> = { find, getMore, killCursors, count, distinct };
