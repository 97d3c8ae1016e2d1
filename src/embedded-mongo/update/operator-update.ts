/**
 * Operator-style updates (`{$set: {...}, $inc: {...}}`): parsing and validation of the whole update into path
 * operations, applied in MongoDB's path order.
 */
import { bsonType } from '../bson/compare';
import { mongoError } from '../errors';
import type { Matcher } from '../query/matcher';
import { arrayIndexOf, isPlainDocument } from '../query/paths';
import type { Collator, Document } from '../types';
import { formatElement, formatField, formatValue } from './format';
import {
  compileAddToSet,
  compileBit,
  compileCurrentDate,
  compileInc,
  compileMinMax,
  compileMul,
  compilePop,
  compilePull,
  compilePullAll,
  compilePush,
  compileSet,
  unsetOperation,
  type OperatorOptions,
} from './operators';
import { comparePaths, filterIdentifiers, isDynamicPart, parseUpdatePath, PathRegistry, type UpdatePath } from './paths';
import { applyAtPath, hasField, type ApplyContext, type LeafOperation, type WalkHooks } from './walk';

export interface PathOperation {
  /** The path that orders this operation among the others. */
  path: UpdatePath;
  onlyOnInsert: boolean;
  /** The 66 ImmutableField message when this operation changes `_id`. */
  immutableMessage: string;
  /** The top-level fields this operation may change (the first part of its paths: never positional). */
  topFields: readonly string[];
  run(doc: Document, ctx: ApplyContext, hooks: WalkHooks): Document;
}

type LeafCompiler = (field: string, value: unknown, options: OperatorOptions) => LeafOperation;

const LEAF_OPERATORS = new Map<string, LeafCompiler>(Object.entries({
  $set: (_field, value) => compileSet(value),
  $setOnInsert: (_field, value) => compileSet(value),
  $unset: () => unsetOperation,
  $inc: (field, value) => compileInc(field, value),
  $mul: (field, value) => compileMul(field, value),
  $min: (_field, value, options) => compileMinMax(value, '$min', options),
  $max: (_field, value, options) => compileMinMax(value, '$max', options),
  $currentDate: (_field, value) => compileCurrentDate(value),
  $push: (_field, value, options) => compilePush(value, options),
  $addToSet: (_field, value, options) => compileAddToSet(value, options),
  $pull: (_field, value, options) => compilePull(value, options),
  $pullAll: (_field, value, options) => compilePullAll(value, options),
  $pop: (field, value) => compilePop(field, value),
  $bit: (_field, value) => compileBit(value),
} satisfies Record<string, LeafCompiler>));

/** The top-level field a path starts with (`parseUpdatePath` refuses a positional first part). */
function topField(path: UpdatePath): string {
  const first = path.parts[0];
  if (first.kind !== 'field') throw new Error(`update path '${path.text}' starts with a positional part`);
  return first.name;
}

function modifiesIdMessage(path: UpdatePath): string {
  return `Performing an update on the path '${path.text}' would modify the immutable field '_id'`;
}

/**
 * Since MongoDB 5.0 only top-level field names are checked for a `$` prefix (nested ones may be stored); like
 * mongod, the check runs when the update actually writes such a field into an existing document. An upsert's new
 * document may have one (mongod validates only its `_id` there).
 */
function topLevelDollarField(path: UpdatePath): string | undefined {
  const first = path.parts[0];
  return first.kind === 'field' && first.name.startsWith('$') ? first.name : undefined;
}

function leafOperation(path: UpdatePath, leaf: LeafOperation, onlyOnInsert: boolean): PathOperation {
  const dollarField = topLevelDollarField(path);
  return {
    path,
    onlyOnInsert,
    immutableMessage: modifiesIdMessage(path),
    topFields: [topField(path)],
    run(doc, ctx, hooks) {
      if (dollarField === undefined || ctx.isInsert) return applyAtPath(doc, path.parts, leaf, ctx, hooks);
      const had = hasField(doc, dollarField);
      const before: unknown = doc[dollarField];
      const result = applyAtPath(doc, path.parts, leaf, ctx, hooks);
      // Changed in place (a document the update owns) leaves `result === doc`: then only the field itself tells.
      const wrote = result !== doc || had !== hasField(result, dollarField) || !Object.is(before, result[dollarField]);
      if (wrote && hasField(result, dollarField)) {
        throw mongoError(
          'DollarPrefixedFieldName',
          `The dollar ($) prefixed field '${dollarField}' in '${dollarField}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
        );
      }
      return result;
    },
  };
}

function operatorArgument(operator: string, argument: unknown): Document {
  if (!isPlainDocument(argument)) {
    throw mongoError(
      'FailedToParse',
      `Modifiers operate on fields but we found type ${bsonType(argument)} instead. For example: {$mod: {<field>: ...}} not {${operator}: ${formatValue(argument)}}`,
    );
  }
  // Since MongoDB 5.0 an empty operand ({$set: {}}) is no error: it changes nothing.
  return argument;
}

// ---------------------------------------------------------------------------------------------------------------
// $rename: a $set of the target (in place when it exists, else appended) with the source's value, then an $unset of
// the source.

function renameError(message: string): never {
  throw mongoError('BadValue', message);
}

function parseRename(from: string, to: unknown): { source: UpdatePath; target: UpdatePath } {
  if (typeof to !== 'string') renameError(`The 'to' field for $rename must be a string: ${formatField(from, to)}`);
  const source = parseUpdatePath(from);
  const target = parseUpdatePath(to);
  if (from === to) renameError(`The source and target field for $rename must differ: ${formatField(from, to)}`);
  if (from.startsWith(`${to}.`) || to.startsWith(`${from}.`)) {
    renameError(`The source and target field for $rename must not be on the same path: ${formatField(from, to)}`);
  }
  if (source.parts.some(isDynamicPart)) renameError(`The source field for $rename may not be dynamic: ${from}`);
  if (target.parts.some(isDynamicPart)) renameError(`The destination field for $rename may not be dynamic: ${to}`);
  return { source, target };
}

function idTextOf(doc: Document): string {
  return hasField(doc, '_id') ? formatField('_id', doc._id) : 'no id';
}

function arrayOnPathError(which: 'source' | 'destination', path: UpdatePath, doc: Document, arrayField: string): never {
  return renameError(
    `The ${which} field cannot be an array element, '${path.text}' in doc with ${idTextOf(doc)} has an array field called '${arrayField}'`,
  );
}

/** The value to move; arrays may be crossed by index only, and a source inside an array element is refused. */
function readRenameSource(doc: Document, path: UpdatePath): { found: boolean; value: unknown } {
  const names = path.text.split('.');
  let current: unknown = doc;
  let arrayField: string | undefined;
  for (let i = 0; i < names.length; i++) {
    const index = Array.isArray(current) ? arrayIndexOf(names[i]) : undefined;
    if (Array.isArray(current) && index === undefined) blockedRenameSource(names, i, current);
    if (Array.isArray(current)) {
      arrayField ??= names[i - 1];
      if (index === undefined || index >= current.length) return { found: false, value: undefined };
      current = current[index];
      continue;
    }
    if (!isPlainDocument(current)) blockedRenameSource(names, i, current);
    if (!hasField(current, names[i])) return { found: false, value: undefined };
    current = current[names[i]];
  }
  if (arrayField !== undefined) arrayOnPathError('source', path, doc, arrayField);
  return { found: true, value: current };
}

function blockedRenameSource(names: string[], i: number, value: unknown): never {
  throw mongoError(
    'PathNotViable',
    `cannot use the part (${names[i]} of ${names.join('.')}) to traverse the element (${formatElement(names[i - 1], value)})`,
  );
}

/** The destination may replace an array but not go through one. */
function assertRenameTargetOutsideArrays(doc: Document, path: UpdatePath): void {
  const names = path.text.split('.');
  let current: unknown = doc;
  for (let i = 0; i < names.length; i++) {
    if (Array.isArray(current)) arrayOnPathError('destination', path, doc, names[i - 1]);
    if (!isPlainDocument(current) || !hasField(current, names[i])) return;
    current = current[names[i]];
  }
}

function renameOperation(source: UpdatePath, target: UpdatePath): PathOperation {
  const fromId = source.parts[0].kind === 'field' && source.parts[0].name === '_id';
  return {
    path: target,
    onlyOnInsert: false,
    immutableMessage: fromId
      ? `Unsetting the path '${source.text}' using $rename would modify the immutable field '_id'`
      : modifiesIdMessage(target),
    topFields: [topField(source), topField(target)],
    run(doc, ctx, hooks) {
      const read = readRenameSource(doc, source);
      if (!read.found) return doc;
      assertRenameTargetOutsideArrays(doc, target);
      const moved = read.value;
      const withTarget = applyAtPath(doc, target.parts, { creates: true, update: () => moved }, ctx, hooks);
      return applyAtPath(withTarget, source.parts, unsetOperation, ctx, hooks);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------

function assertArrayFiltersMatchPaths(paths: UpdatePath[], matchers: Map<string, Matcher>, update: Document): void {
  const used = new Set<string>();
  for (const path of paths) {
    for (const id of filterIdentifiers(path)) {
      if (!matchers.has(id)) throw mongoError('BadValue', `No array filter found for identifier '${id}' in path '${path.text}'`);
      used.add(id);
    }
  }
  for (const id of matchers.keys()) {
    if (!used.has(id)) {
      throw mongoError('FailedToParse', `The array filter for identifier '${id}' was not used in the update ${formatValue(update)}`);
    }
  }
}

export function compileOperators(
  update: Document,
  matchers: Map<string, Matcher>,
  options: { collator?: Collator },
): PathOperation[] {
  const registry = new PathRegistry();
  const operations: PathOperation[] = [];
  const paths: UpdatePath[] = [];
  for (const [operator, argument] of Object.entries(update)) {
    if (operator === '$rename') {
      for (const [from, to] of Object.entries(operatorArgument(operator, argument))) {
        const { source, target } = parseRename(from, to);
        registry.add(source);
        registry.add(target);
        operations.push(renameOperation(source, target));
      }
      continue;
    }
    // A Map, so names such as 'constructor' are never mistaken for operators.
    const compileLeaf = LEAF_OPERATORS.get(operator);
    if (compileLeaf === undefined) {
      throw mongoError(
        'FailedToParse',
        `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    for (const [field, value] of Object.entries(operatorArgument(operator, argument))) {
      const path = parseUpdatePath(field);
      registry.add(path);
      paths.push(path);
      operations.push(leafOperation(path, compileLeaf(field, value, options), operator === '$setOnInsert'));
    }
  }
  assertArrayFiltersMatchPaths(paths, matchers, update);
  return operations.sort((a, b) => comparePaths(a.path, b.path));
}
