/**
 * Update semantics (MongoDB 7): `compileUpdate` validates an update (operators, replacement document or pipeline)
 * once, then `apply` runs it on each matched document, never mutating its input.
 */
import type { Timestamp } from 'bson';
import { bsonTag, bsonType, valuesEqual } from '../bson/compare';
import { deepClone } from '../bson/clone';
import { noteDerivation } from '../bson/derived';
import { defineField, idFirst } from '../bson/fields';
import { mongoError } from '../errors';
import type { Matcher } from '../query/matcher';
import { isPlainDocument } from '../query/paths';
import type { Collator, Document } from '../types';
import { compileArrayFilters } from './array-filters';
import { formatField } from './format';
import { identical } from './identical';
import { compileOperators, type PathOperation } from './operator-update';
import { isDynamicPart } from './paths';
import { nextTimestamp } from './operators';
import { compilePipelineUpdate } from './pipeline';
import { hasField, type ApplyContext } from './walk';

export { upsertSeed } from './upsert';
export type { ApplyContext } from './walk';

export interface CompileUpdateOptions {
  arrayFilters?: unknown[];
  collator?: Collator;
  /** Variables for pipeline updates (`$$name`): the statement's `c` merged over the command's `let`. */
  variables?: Record<string, unknown>;
}

export interface UpdateResult {
  doc: Document;
  /** False when the new document is byte-for-byte the old one (the update counts in nMatched, not nModified). */
  modified: boolean;
}

export interface CompiledUpdate {
  readonly kind: 'operators' | 'replacement' | 'pipeline';
  apply(doc: Document, ctx: ApplyContext): UpdateResult;
}

export function compileUpdate(update: unknown, options: CompileUpdateOptions = {}): CompiledUpdate {
  if (Array.isArray(update)) {
    if (options.arrayFilters !== undefined && options.arrayFilters.length > 0) {
      throw mongoError('FailedToParse', 'arrayFilters may not be specified for pipeline-style updates');
    }
    return pipelineUpdate(update, options);
  }
  if (!isPlainDocument(update)) {
    throw mongoError('FailedToParse', 'Update argument must be either an object or an array');
  }
  const matchers = compileArrayFilters(options.arrayFilters, options.collator);
  const first = Object.keys(update)[0];
  if (first !== undefined && first.startsWith('$')) return operatorUpdate(update, matchers, options);
  // mongod validates the filters of a replacement but, having no paths to match them against, ignores them.
  return replacementUpdate(update);
}

// ---------------------------------------------------------------------------------------------------------------

/** Operators may not change `_id` (not even its numeric type); creating it where there was none is fine. */
function assertIdKept(original: Document, updated: Document, operation: PathOperation): void {
  if (!hasField(original, '_id')) return;
  if (hasField(updated, '_id') && identical(original._id, updated._id)) return;
  throw mongoError('ImmutableField', operation.immutableMessage);
}

const INVALID_ID_TYPES = new Set(['array', 'regex', 'undefined']);

/** An `_id` mongod would store: not an array, regex or undefined, and no `$`-prefixed field inside it. */
export function assertStorableId(id: unknown): void {
  const type = bsonType(id);
  if (INVALID_ID_TYPES.has(type)) throw mongoError('InvalidIdField', `The '_id' value cannot be of type ${type}`);
  const dollarField = firstDollarField(id);
  if (dollarField !== undefined) {
    throw mongoError('DollarPrefixedFieldName', `_id fields may not contain '$'-prefixed fields: ${dollarField} is not valid for storage.`);
  }
}

function firstDollarField(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const element of value) {
      const found = firstDollarField(element);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isPlainDocument(value)) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.startsWith('$')) return key;
    const found = firstDollarField(inner);
    if (found !== undefined) return found;
  }
  return undefined;
}

function assertValidId(doc: Document): void {
  if (hasField(doc, '_id')) assertStorableId(doc._id);
}

function finishUpdate(before: Document, after: Document, ctx: ApplyContext): UpdateResult {
  if (after === before) return { doc: before, modified: false };
  assertValidId(after);
  // New documents keep `_id` first, as mongod stores them.
  const doc = ctx.isInsert ? idFirst(after) : after;
  return { doc, modified: !identical(before, doc) };
}

function operatorUpdate(update: Document, matchers: Map<string, Matcher>, options: CompileUpdateOptions): CompiledUpdate {
  const operations: PathOperation[] = compileOperators(update, matchers, options);
  const filterTest = (id: string, element: unknown): boolean => matchers.get(id)?.test({ [id]: element }) ?? false;
  // Paths with $, $[] or $[id] resolve per document, so only then can two operations meet at one element.
  const checkRuntimeConflicts = operations.length > 1 && operations.some((op) => op.path.parts.some(isDynamicPart));
  return {
    kind: 'operators',
    apply(doc, ctx) {
      const conflicts = checkRuntimeConflicts ? new ReachedPaths() : undefined;
      // Several operations: the first copies the document, the next ones set fields on that copy.
      const owned = operations.length > 1 ? new Set<Document>() : undefined;
      let result = doc;
      const touched = new Set<string>();
      for (const operation of operations) {
        if (operation.onlyOnInsert && !ctx.isInsert) continue;
        const next = operation.run(result, ctx, { filterTest, reached: conflicts?.recorder(), owned });
        // Once the document has changed, a later operation may change the owned copy in place (next === result).
        if (next !== doc) {
          assertIdKept(doc, next, operation);
          for (const field of operation.topFields) touched.add(field);
        }
        result = next;
      }
      if (ctx.isInsert || result === doc) return finishUpdate(doc, result, ctx);
      return finishOperatorUpdate(doc, result, [...touched]);
    },
  };
}

/**
 * `finishUpdate` for an existing document changed copy-on-write in the top-level fields `touched` only: the others
 * are the very same values in the same order, so only the touched ones decide whether the bytes changed. (Two
 * operations never meet at one top-level field in a way that moves it: such paths conflict, 40.) Notes the touched
 * fields for storage, which sizes the new document from them.
 */
function finishOperatorUpdate(before: Document, after: Document, touched: readonly string[]): UpdateResult {
  assertValidId(after);
  const modified = touched.some((field) => hasField(before, field) !== hasField(after, field) || !identical(before[field], after[field]));
  if (modified) noteDerivation(after, before, touched);
  return { doc: after, modified };
}

/**
 * The concrete paths each operation of one apply reached. Two operations may not reach the same element, or one an
 * element inside the other's (`{$set: {'a.$[x]': 1, 'a.$[y]': 2}}` where both filters match): mongod's 40.
 */
class ReachedPaths {
  private readonly earlier: string[][] = [];

  recorder(): (path: string[]) => void {
    // A snapshot: the paths of this operation itself never conflict with each other.
    const earlier = this.earlier.slice();
    return (path) => {
      for (const other of earlier) {
        const shared = Math.min(other.length, path.length);
        if (path.slice(0, shared).every((name, i) => name === other[i])) {
          throw mongoError('ConflictingUpdateOperators', `Update created a conflict at '${path.slice(0, shared).join('.')}'`);
        }
      }
      this.earlier.push(path);
    };
  }
}

function replacementUpdate(replacement: Document): CompiledUpdate {
  for (const key of Object.keys(replacement)) {
    if (key.startsWith('$')) {
      throw mongoError(
        'DollarPrefixedFieldName',
        `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
      );
    }
  }
  return {
    kind: 'replacement',
    apply: (doc, ctx) => finishReplacement(doc, stampEmptyTimestamps(deepClone(replacement), ctx.now), ctx),
  };
}

/**
 * Top-level Timestamp(0, 0) values of an inserted or replacing document become the current time, from the one
 * timestamp clock (`nextTimestamp`), as in MongoDB. Mutates and returns `doc`, which must be the caller's own copy.
 */
export function stampEmptyTimestamps(doc: Document, now: Date): Document {
  for (const [key, value] of Object.entries(doc)) {
    if (bsonTag(value) !== 'Timestamp') continue;
    const ts = value as Timestamp;
    if (ts.t === 0 && ts.i === 0) defineField(doc, key, nextTimestamp(now));
  }
  return doc;
}

/** A replacement keeps the old `_id` when it has none, and may not change it. */
function finishReplacement(doc: Document, replacement: Document, ctx: ApplyContext): UpdateResult {
  let result = replacement;
  if (hasField(doc, '_id')) {
    if (!hasField(result, '_id')) result = { _id: doc._id, ...result };
    else if (!valuesEqual(doc._id, result._id)) {
      throw mongoError(
        'ImmutableField',
        `After applying the update, the (immutable) field '_id' was found to have been altered to ${formatField('_id', result._id)}`,
      );
    }
  }
  return finishUpdate(doc, result, ctx);
}

function pipelineUpdate(pipeline: unknown[], options: CompileUpdateOptions): CompiledUpdate {
  const run = compilePipelineUpdate(pipeline, options.collator, options.variables);
  return {
    kind: 'pipeline',
    apply: (doc, ctx) => finishReplacement(doc, run(doc, ctx), ctx),
  };
}
