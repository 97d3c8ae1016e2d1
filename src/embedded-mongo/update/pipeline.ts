/**
 * Pipeline-style updates (`[{$set: ...}, {$unset: ...}]`): the stages MongoDB allows inside an update, evaluated
 * per document with the aggregation expression language.
 */
import { bsonType } from '../bson/compare';
import { mongoError } from '../errors';
import { isPlainDocument } from '../query/paths';
import type { Collator, Document } from '../types';
import { formatValue } from './format';
import { defineField, hasField, withField, withoutField, type ApplyContext } from './walk';

interface ExpressionModule {
  evaluateExpression(expr: unknown, root: unknown, vars?: Record<string, unknown>, options?: { now?: Date; collator?: Collator }): unknown;
  checkExpression(expr: unknown): void;
}

let expressionModule: ExpressionModule | undefined;

/** Loaded on first use: the expression module imports the query layer, which must not load it back in a cycle. */
function expressions(): ExpressionModule {
  if (!expressionModule) {
    const loaded: unknown = require('../aggregate/expressions');
    const mod = loaded as Partial<ExpressionModule>;
    if (typeof mod.evaluateExpression !== 'function' || typeof mod.checkExpression !== 'function') {
      throw new Error('aggregate/expressions does not export evaluateExpression and checkExpression');
    }
    expressionModule = mod as ExpressionModule;
  }
  return expressionModule;
}

interface StageEnv {
  now: Date;
  collator: Collator | undefined;
  /** `$$name` variables: the update statement's `c` constants and the command's `let`. */
  variables: Record<string, unknown> | undefined;
}

type Stage = (doc: Document, env: StageEnv) => Document;

// ---------------------------------------------------------------------------------------------------------------
// Assigning and removing dotted paths the aggregation way: through arrays, element by element.

/** Writes `value` at `names` under `target`; `undefined` removes the field. Non-documents on the way become `{}`. */
function assignPath(target: unknown, names: string[], value: unknown): unknown {
  if (names.length === 0) return value;
  if (Array.isArray(target)) return target.map((element) => assignPath(element, names, value));
  const doc: Document = isPlainDocument(target) ? target : {};
  const [head, ...rest] = names;
  const child = assignPath(hasField(doc, head) ? doc[head] : undefined, rest, value);
  if (child === undefined) return hasField(doc, head) ? withoutField(doc, head) : doc;
  return withField(doc, head, child);
}

function removePath(target: unknown, names: string[]): unknown {
  if (Array.isArray(target)) return target.map((element) => removePath(element, names));
  if (!isPlainDocument(target) || !hasField(target, names[0])) return target;
  const [head, ...rest] = names;
  if (rest.length === 0) return withoutField(target, head);
  return withField(target, head, removePath(target[head], rest));
}

function fieldPath(name: string, stage: string): string[] {
  const names = name.split('.');
  for (const part of names) {
    if (part === '') throw mongoError('Location15998', 'FieldPath field names may not be empty strings.');
    if (part.startsWith('$')) {
      throw mongoError('FailedToParse', `Invalid ${stage} :: caused by :: FieldPath field names may not start with '$'.`);
    }
  }
  return names;
}

/** A nested field specification (`{a: {b: 1}}` sets `a.b`), as opposed to an expression object. */
function isNestedSpec(v: unknown): v is Document {
  if (!isPlainDocument(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && !keys[0].startsWith('$');
}

/** Flattens a `$set`/`$project` specification into `[path, expression]` pairs. */
function flattenSpec(spec: Document, stage: string, prefix: string[] = []): [string[], unknown][] {
  const out: [string[], unknown][] = [];
  for (const [key, expr] of Object.entries(spec)) {
    const names = [...prefix, ...fieldPath(key, stage)];
    if (isNestedSpec(expr)) out.push(...flattenSpec(expr, stage, names));
    else out.push([names, expr]);
  }
  return out;
}

function evaluate(expr: unknown, doc: Document, env: StageEnv): unknown {
  return expressions().evaluateExpression(expr, doc, env.variables, { now: env.now, collator: env.collator });
}

// ---------------------------------------------------------------------------------------------------------------
// Stages

function requireSpecDocument(stage: string, spec: unknown): Document {
  if (!isPlainDocument(spec)) {
    throw mongoError('FailedToParse', `${stage} specification stage must be an object, got ${bsonType(spec)}`);
  }
  return spec;
}

function compileSetStage(stage: string, spec: unknown): Stage {
  const fields = flattenSpec(requireSpecDocument(stage, spec), stage);
  if (fields.length === 0) {
    throw mongoError('FailedToParse', `Invalid ${stage} :: caused by :: specification must have at least one field`);
  }
  for (const [, expr] of fields) expressions().checkExpression(expr);
  return (doc, env) => {
    const values = fields.map(([names, expr]) => [names, evaluate(expr, doc, env)] as const);
    let result: unknown = doc;
    for (const [names, value] of values) result = assignPath(result, names, value);
    return result as Document;
  };
}

function compileUnsetStage(spec: unknown): Stage {
  const names = typeof spec === 'string' ? [spec] : spec;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n): n is string => typeof n === 'string')) {
    throw mongoError('FailedToParse', '$unset specification must be a string or an array containing only string values');
  }
  const paths = names.map((name) => fieldPath(name, '$unset'));
  return (doc) => paths.reduce<unknown>((result, path) => removePath(result, path), doc) as Document;
}

function isInclusionFlag(v: unknown): boolean {
  return v === true || ((typeof v === 'number' || typeof v === 'bigint') && Number(v) !== 0);
}

function isExclusionFlag(v: unknown): boolean {
  return v === false || ((typeof v === 'number' || typeof v === 'bigint') && Number(v) === 0);
}

/** Copies the included paths of `source`, in the source's field order. */
function pickIncluded(source: unknown, included: string[][]): unknown {
  if (Array.isArray(source)) {
    return source.filter((e) => isPlainDocument(e) || Array.isArray(e)).map((e) => pickIncluded(e, included));
  }
  if (!isPlainDocument(source)) return undefined;
  const out: Document = {};
  for (const [key, value] of Object.entries(source)) {
    const below = included.filter((names) => names[0] === key);
    if (below.length === 0) continue;
    if (below.some((names) => names.length === 1)) {
      defineField(out, key, value);
      continue;
    }
    const picked = pickIncluded(value, below.map((names) => names.slice(1)));
    if (picked !== undefined) defineField(out, key, picked);
  }
  return out;
}

function compileProjectStage(spec: unknown): Stage {
  const fields = flattenSpec(requireSpecDocument('$project', spec), '$project');
  if (fields.length === 0) {
    throw mongoError('FailedToParse', 'Invalid $project :: caused by :: projection specification must have at least one field');
  }
  const isId = (names: string[]): boolean => names.length === 1 && names[0] === '_id';
  const excluded = fields.filter(([, v]) => isExclusionFlag(v)).map(([names]) => names);
  const rest = fields.filter(([, v]) => !isExclusionFlag(v));
  const excludesOnlyId = excluded.every(isId);
  if (rest.length === 0 || !excludesOnlyId) {
    const wrong = rest[0];
    if (wrong !== undefined) {
      throw mongoError('Location31254', `Invalid $project :: caused by :: Cannot do inclusion on field ${wrong[0].join('.')} in exclusion projection`);
    }
    return (doc) => excluded.reduce<unknown>((result, names) => removePath(result, names), doc) as Document;
  }
  const included = rest.filter(([, v]) => isInclusionFlag(v)).map(([names]) => names);
  const computed = rest.filter(([, v]) => !isInclusionFlag(v));
  for (const [, expr] of computed) expressions().checkExpression(expr);
  if (excluded.length === 0 && !rest.some(([names]) => names[0] === '_id')) included.unshift(['_id']);
  return (doc, env) => {
    const values = computed.map(([names, expr]) => [names, evaluate(expr, doc, env)] as const);
    let result = pickIncluded(doc, included);
    for (const [names, value] of values) result = assignPath(result, names, value);
    return result as Document;
  };
}

function replacementOf(value: unknown, doc: Document): Document {
  if (!isPlainDocument(value)) {
    throw mongoError(
      'BadValue',
      `'replacement document' must evaluate to an object, but resulting value was: ${formatValue(value)}. Type of resulting value: '${bsonType(value)}'. Input document: ${formatValue(doc)}`,
    );
  }
  return value;
}

function compileReplaceStage(stage: string, spec: unknown): Stage {
  let expr = spec;
  if (stage === '$replaceRoot') {
    const doc = requireSpecDocument(stage, spec);
    if (!hasField(doc, 'newRoot')) throw mongoError('FailedToParse', "no newRoot specified for the $replaceRoot stage");
    expr = doc.newRoot;
  }
  expressions().checkExpression(expr);
  return (doc, env) => replacementOf(evaluate(expr, doc, env), doc);
}

const KNOWN_STAGES_NOT_ALLOWED = new Set([
  '$match', '$group', '$sort', '$limit', '$skip', '$lookup', '$unwind', '$facet', '$out', '$merge', '$count',
  '$sample', '$bucket', '$bucketAuto', '$graphLookup', '$sortByCount', '$densify', '$fill', '$redact', '$geoNear',
  '$unionWith', '$setWindowFields', '$documents', '$collStats', '$indexStats',
]);

function compileStage(stage: unknown): Stage {
  if (!isPlainDocument(stage) || Object.keys(stage).length !== 1) {
    throw mongoError('FailedToParse', 'A pipeline stage specification object must contain exactly one field.');
  }
  const [name, spec] = Object.entries(stage)[0];
  switch (name) {
    case '$set':
    case '$addFields':
      return compileSetStage(name, spec);
    case '$unset':
      return compileUnsetStage(spec);
    case '$project':
      return compileProjectStage(spec);
    case '$replaceWith':
    case '$replaceRoot':
      return compileReplaceStage(name, spec);
    default:
      if (KNOWN_STAGES_NOT_ALLOWED.has(name)) {
        throw mongoError('InvalidOptions', `${name} is not allowed to be used within an update`);
      }
      throw mongoError('Location40324', `Unrecognized pipeline stage name: '${name}'`);
  }
}

export function compilePipelineUpdate(
  pipeline: unknown[],
  collator: Collator | undefined,
  variables: Record<string, unknown> | undefined,
): (doc: Document, ctx: ApplyContext) => Document {
  const stages = pipeline.map(compileStage);
  return (doc, ctx) => {
    const env: StageEnv = { now: ctx.now, collator, variables };
    return stages.reduce((result, stage) => stage(result, env), doc);
  };
}
