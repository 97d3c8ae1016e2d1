/**
 * Reads through the storage engine with a command's `let` variables. The engine compiles filters without
 * variables, so the conjuncts that hold an `$expr` are left out of its read and the whole filter is then applied
 * here with the variables; the remaining conjuncts still let the engine use an index.
 */
import { createScope, evaluate, checkVariableName } from '../aggregate/evaluate';
import { defineField } from '../bson/fields';
import { createCollator } from '../query/collation';
import { compileFilter, TEXT_SEARCH_MATCHED } from '../query/matcher';
import { compileSort } from '../query/sort';
import type { Collator, CollationSpec, Document, FindRequest, FindResult } from '../types';
import { isDocument, optionalDocument } from './args';
import type { Invocation } from './context';
import { deadlineOf, filterWithin, NO_DEADLINE, type Deadline } from './deadline';

export type Variables = Record<string, unknown>;

export interface ReadScope {
  collator: Collator | undefined;
  /** The command's one `$$NOW`. */
  now: Date;
  variables: Variables | undefined;
  deadline: Deadline;
}

/** The scope of a read command: its collation, clock, `let` (when the command takes one) and `maxTimeMS`. */
export function readScope(inv: Invocation, collation: CollationSpec | undefined, options: { acceptsLet: boolean }): ReadScope {
  const deadline = deadlineOf(inv.body, inv.name);
  const collator = createCollator(collation);
  const now = new Date();
  const variables = options.acceptsLet ? optionalLet(inv.body, inv.name, now, collator) : undefined;
  return { collator, now, variables, deadline };
}

/**
 * The collation an operation on `coll` runs under, as in mongod: its own (`SIMPLE_COLLATION` when it asked for the
 * simple one), else the default the collection was created with.
 */
export function collationFor(inv: Invocation, coll: string | undefined, own: CollationSpec | undefined): CollationSpec | undefined {
  if (own !== undefined || coll === undefined) return own;
  return inv.ctx.storage.collectionOptions(inv.db, coll)?.collation;
}

/** Reads `coll` of the invocation's database, inside its transaction when it has one. */
export function storageReader(inv: Invocation, coll: string): (request: FindRequest) => FindResult {
  return (request) => inv.ctx.storage.find(inv.txn, inv.db, coll, request);
}

/** The scope of a read without `let` or `maxTimeMS` (inside a write statement, say). */
export function plainScope(collator: Collator | undefined, now = new Date(), variables?: Variables): ReadScope {
  return { collator, now, variables, deadline: NO_DEADLINE };
}

/** A command's `let`: each value is a constant expression, evaluated once (so `{x: {$add: [1, 2]}}` binds 3). */
export function optionalLet(body: Document, command: string, now: Date, collator: Collator | undefined): Variables | undefined {
  const spec = optionalDocument(body, 'let', command);
  if (!spec) return undefined;
  const scope = createScope({}, { now, collator });
  const variables: Variables = {};
  for (const [name, expr] of Object.entries(spec)) {
    checkVariableName(name);
    variables[name] = evaluate(expr, scope);
  }
  return variables;
}

function mentionsExpr(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsExpr);
  if (!isDocument(value)) return false;
  return Object.entries(value).some(([key, inner]) => key === '$expr' || mentionsExpr(inner));
}

/** The top-level conjuncts free of `$expr`: every document the whole filter matches also matches these. */
function withoutExpr(filter: Document): Document {
  const kept: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key !== '$expr' && !mentionsExpr(value)) defineField(kept, key, value);
  }
  return kept;
}

/** Runs `find` for `request`, applying `$expr` with the scope's variables when it has any. */
export function findMatching(find: (request: FindRequest) => FindResult, request: FindRequest, scope: ReadScope): FindResult {
  scope.deadline.check();
  if (!scope.variables || !mentionsExpr(request.filter)) {
    const result = find(request);
    scope.deadline.check();
    return result;
  }
  const result = find({ ...request, filter: withoutExpr(request.filter) });
  scope.deadline.check();
  const matcher = compileFilter(request.filter, { collator: scope.collator, now: scope.now, variables: scope.variables, text: TEXT_SEARCH_MATCHED });
  return { ...result, docs: filterWithin(result.docs, (doc) => matcher.test(doc), scope.deadline) };
}

/** The matching documents (and their text scores) in `request.sort` order, sorting in memory when the plan did not. */
export function findSorted(find: (request: FindRequest) => FindResult, request: FindRequest, scope: ReadScope): FindResult {
  const result = findMatching(find, request, scope);
  const sort = request.sort;
  if (!sort || Object.keys(sort).length === 0 || result.plan.providesSort) return result;
  const scores = result.textScores;
  const sorted = [...result.docs].sort(compileSort(sort, scope.collator, scores && { textScore: (doc) => scores.get(doc) }));
  scope.deadline.check();
  return { ...result, docs: sorted };
}
