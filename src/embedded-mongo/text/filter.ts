/**
 * Where a query's `$text` is. mongod accepts one, at the top level or in a conjunction (a top-level `$and`), and
 * none under `$nor`; under `$or` it needs every other branch indexed, which this server does not plan, so it
 * refuses that with the error mongod gives when they are not.
 */
import { mongoError } from '../errors';
import { isPlainDocument } from '../query/paths';
import type { Document } from '../types';
import { parseTextOperand, type TextSearchParams } from './query';

export interface TextClause {
  params: TextSearchParams;
  /** More than one `$text`. */
  repeated: boolean;
  underNor: boolean;
  underOr: boolean;
}

/** The filter's `$text` (its operand validated), or undefined when it has none among its logical clauses. */
export function textClauseOf(filter: Document): TextClause | undefined {
  const found: TextClause[] = [];
  collect(filter, { underNor: false, underOr: false }, found);
  if (found.length === 0) return undefined;
  return { ...found[0], repeated: found.length > 1 };
}

function collect(filter: Document, where: { underNor: boolean; underOr: boolean }, found: TextClause[]): void {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$text') {
      found.push({ params: parseTextOperand(value), repeated: false, ...where });
      continue;
    }
    if ((key !== '$and' && key !== '$or' && key !== '$nor') || !Array.isArray(value)) continue;
    const inner = { underNor: where.underNor || key === '$nor', underOr: where.underOr || key === '$or' };
    for (const clause of value) if (isPlainDocument(clause)) collect(clause, inner, found);
  }
}

/** The checks mongod makes once the query has parsed and its text index is known. */
export function checkTextPlacement(clause: TextClause): void {
  if (clause.repeated) throw mongoError('BadValue', 'Too many text expressions');
  if (clause.underNor) throw mongoError('BadValue', 'text expression not allowed in nor');
  if (clause.underOr) {
    throw mongoError(
      'NoQueryExecutionPlans',
      'error processing query: planner returned error :: caused by :: Failed to produce a solution for TEXT under OR - other non-TEXT clauses under OR have to be indexed as well.',
    );
  }
}

export function textPrefixUnusable(): never {
  throw mongoError(
    'NoQueryExecutionPlans',
    'error processing query: planner returned error :: caused by :: failed to use text index to satisfy $text query (if text index is compound, are equality predicates given for all prefix fields?)',
  );
}
