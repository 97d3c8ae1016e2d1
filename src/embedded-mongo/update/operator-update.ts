/**
 * Operator-style updates (`{$set: {...}, $inc: {...}}`): parsing and validation of the whole update into path
 * operations, applied in MongoDB's path order.
 */
import { bsonType } from '../bson/compare';
import { deepClone } from '../bson/clone';
import { mongoError } from '../errors';
import type { Matcher } from '../query/matcher';
import { isPlainDocument } from '../query/paths';
import type { Collator, Document } from '../types';
import { formatElement, formatValue } from './format';
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
import { applyAtPath, hasField, type ApplyContext, type ArrayFilterTest, type LeafOperation } from './walk';

export interface PathOperation {
  /** The path that orders this operation among the others. */
  path: UpdatePath;
  onlyOnInsert: boolean;
  run(doc: Document, ctx: ApplyContext, filterTest: ArrayFilterTest): Document;
}

type LeafCompiler = (field: string, value: unknown, options: OperatorOptions) => LeafOperation;

const LEAF_OPERATORS: Record<string, LeafCompiler> = {
  $set: (field, value) => compileSet(field, value),
  $setOnInsert: (field, value) => compileSet(field, value),
  $unset: () => unsetOperation,
  $inc: (field, value) => compileInc(field, value),
  $mul: (field, value) => compileMul(field, value),
  $min: (field, value, options) => compileMinMax(field, value, '$min', options),
  $max: (field, value, options) => compileMinMax(field, value, '$max', options),
  $currentDate: (field, value) => compileCurrentDate(field, value),
  $push: (field, value, options) => compilePush(field, value, options),
  $addToSet: (field, value, options) => compileAddToSet(field, value, options),
  $pull: (_field, value, options) => compilePull(value, options),
  $pullAll: (_field, value, options) => compilePullAll(value, options),
  $pop: (_field, value) => compilePop(value),
  $bit: (field, value) => compileBit(field, value),
};

function leafOperation(path: UpdatePath, leaf: LeafOperation, onlyOnInsert: boolean): PathOperation {
  return {
    path,
    onlyOnInsert,
    run: (doc, ctx, filterTest) => applyAtPath(doc, path.parts, leaf, ctx, filterTest),
  };
}

function operatorArgument(operator: string, argument: unknown): Document {
  if (!isPlainDocument(argument)) {
    throw mongoError(
      'FailedToParse',
      `Modifiers operate on fields but we found type ${bsonType(argument)} instead. For example: {$mod: {<field>: ...}} not {${operator}: ${formatValue(argument)}}`,
    );
  }
  if (Object.keys(argument).length === 0) {
    throw mongoError('FailedToParse', `'${operator}' is empty. You must specify a field like so: {${operator}: {<field>: ...}}`);
  }
  return argument;
}

// ---------------------------------------------------------------------------------------------------------------
// $rename: a logical $unset of source and target, then a $set of the target (which so moves to the end).

function renameError(message: string): never {
  throw mongoError('BadValue', message);
}

function parseRename(from: string, to: unknown): { source: UpdatePath; target: UpdatePath } {
  if (typeof to !== 'string') renameError(`The 'to' field for $rename must be a string: ${formatElement(from, to).slice(1, -1)}`);
  const source = parseUpdatePath(from);
  const target = parseUpdatePath(to);
  if (source.parts.some(isDynamicPart)) renameError(`The source field for $rename may not be dynamic: ${from}`);
  if (target.parts.some(isDynamicPart)) renameError(`The destination field for $rename may not be dynamic: ${to}`);
  if (from === to) renameError(`The source and target field for $rename must differ: ${formatElement(from, to).slice(1, -1)}`);
  if (from.startsWith(`${to}.`) || to.startsWith(`${from}.`)) {
    renameError(`The source and target field for $rename must not be on the same path: ${formatElement(from, to).slice(1, -1)}`);
  }
  return { source, target };
}

/** Reads a field through embedded documents only; arrays on the way are an error (`which` names the side). */
function readThroughDocuments(doc: Document, path: UpdatePath, which: 'source' | 'destination'): { found: boolean; value: unknown } {
  let current: unknown = doc;
  const names = path.text.split('.');
  for (let i = 0; i < names.length; i++) {
    if (Array.isArray(current)) {
      const idText = hasField(doc, '_id') ? formatElement('_id', doc._id).slice(1, -1) : 'no id';
      renameError(
        `The ${which} field cannot be an array element, '${path.text}' in doc with ${idText} has an array field called '${names[i - 1]}'`,
      );
    }
    if (!isPlainDocument(current) || !hasField(current, names[i])) return { found: false, value: undefined };
    current = current[names[i]];
  }
  return { found: true, value: current };
}

function renameOperation(source: UpdatePath, target: UpdatePath): PathOperation {
  return {
    path: target,
    onlyOnInsert: false,
    run(doc, ctx, filterTest) {
      const read = readThroughDocuments(doc, source, 'source');
      if (!read.found) return doc;
      readThroughDocuments(doc, target, 'destination');
      const value = read.value;
      let result = applyAtPath(doc, source.parts, unsetOperation, ctx, filterTest);
      result = applyAtPath(result, target.parts, unsetOperation, ctx, filterTest);
      return applyAtPath(result, target.parts, { creates: true, update: () => deepClone(value) }, ctx, filterTest);
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
    const compileLeaf = LEAF_OPERATORS[operator];
    if (operator !== '$rename' && compileLeaf === undefined) {
      throw mongoError(
        'FailedToParse',
        `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    }
    for (const [field, value] of Object.entries(operatorArgument(operator, argument))) {
      if (operator === '$rename') {
        const { source, target } = parseRename(field, value);
        registry.add(source);
        registry.add(target);
        operations.push(renameOperation(source, target));
        continue;
      }
      const path = parseUpdatePath(field);
      registry.add(path);
      paths.push(path);
      operations.push(leafOperation(path, compileLeaf(field, value, options), operator === '$setOnInsert'));
    }
  }
  assertArrayFiltersMatchPaths(paths, matchers, update);
  return operations.sort((a, b) => comparePaths(a.path, b.path));
}
