/** Stages that reshape, order or cut the document stream. */
import { ObjectId } from 'bson';
import { deepClone } from '../../bson/clone';
import { mongoError } from '../../errors';
import { compileSort } from '../../query/sort';
import type { Document } from '../../types';
import { checkExpression, evaluate, parseFieldPath } from '../evaluate';
import { compileAddFields, compileProjection, compileUnset } from '../project';
import { describeValue, hasOwn, isDocument, isNumericValue, toDouble, typeName } from '../values';
import { getField, setField } from './fields';
import { isMetaObject, TEXT_SCORE } from '../../text/metadata';
import { documentScope, keepMetadata, mapKeepingMetadata } from './scope';
import type { PipelineContext, Stage } from './types';

export function compileProject(spec: unknown, ctx: PipelineContext): Stage {
  const projection = compileProjection(spec);
  return (docs) => mapKeepingMetadata(docs, ctx, (doc) => projection.apply(doc, documentScope(doc, ctx)));
}

export function addFieldsCompiler(stageName: string) {
  return (spec: unknown, ctx: PipelineContext): Stage => {
    const setter = compileAddFields(spec, stageName);
    return (docs) => mapKeepingMetadata(docs, ctx, (doc) => setter(doc, documentScope(doc, ctx)));
  };
}

export function compileUnsetStage(spec: unknown, ctx: PipelineContext): Stage {
  const unset = compileUnset(spec);
  return (docs) => mapKeepingMetadata(docs, ctx, unset);
}

export function compileSortStage(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec)) throw mongoError('Location15973', 'the $sort key specification must be an object');
  const entries = Object.entries(spec);
  if (entries.length === 0) throw mongoError('Location15976', '$sort stage must have at least one sort key');
  for (const [key, value] of entries) {
    if (isMetaObject(value) && value.$meta === TEXT_SCORE) continue;
    if (isDocument(value)) throw mongoError('Location17312', `$meta is the only expression supported by $sort right now (field ${key})`);
    if (!isNumericValue(value) || (toDouble(value) !== 1 && toDouble(value) !== -1)) {
      throw mongoError('Location15975', '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    }
  }
  const scores = ctx.textScores;
  const comparator = compileSort(spec, ctx.collator, scores && { textScore: (doc) => scores.get(doc) });
  return (docs) => [...docs].sort(comparator);
}

function integralArgument(value: unknown): number | undefined {
  if (!isNumericValue(value)) return undefined;
  const n = toDouble(value);
  return Number.isInteger(n) ? n : undefined;
}

export function compileLimit(spec: unknown): Stage {
  const n = integralArgument(spec);
  if (n === undefined) throw mongoError('Location15957', 'the limit must be specified as a number');
  if (n <= 0) throw mongoError('Location15958', 'the limit must be positive');
  return (docs) => docs.slice(0, n);
}

export function compileSkip(spec: unknown): Stage {
  const n = integralArgument(spec);
  if (n === undefined) throw mongoError('Location15972', 'Argument to $skip must be a number');
  if (n < 0) throw mongoError('Location15956', 'Argument to $skip cannot be negative');
  return (docs) => docs.slice(n);
}

export function compileCount(spec: unknown): Stage {
  if (typeof spec !== 'string' || spec === '') throw mongoError('Location40156', 'the count field must be a non-empty string');
  if (spec.startsWith('$')) throw mongoError('Location40158', 'the count field cannot be a $-prefixed path');
  if (spec.includes('.')) throw mongoError('Location40160', "the count field cannot contain '.'");
  return (docs) => (docs.length === 0 ? [] : [{ [spec]: docs.length }]);
}

function replaceRootWith(expr: unknown, ctx: PipelineContext): Stage {
  checkExpression(expr);
  return (docs) =>
    mapKeepingMetadata(docs, ctx, (doc) => {
      const value = evaluate(expr, documentScope(doc, ctx));
      if (!isDocument(value)) {
        throw mongoError(
          'Location40228',
          `'newRoot' expression must evaluate to an object, but resulting value was: ${describeValue(value)}. Type of resulting value: '${typeName(value)}'. Input document: ${describeValue(doc)}`,
        );
      }
      return value;
    });
}

/** The `newRoot` expression of a `$replaceRoot` spec (also a pipeline update's). */
export function newRootOf(spec: unknown): unknown {
  if (!isDocument(spec)) throw mongoError('Location40229', `expected an object as specification for $replaceRoot stage, got ${typeName(spec)}`);
  for (const key of Object.keys(spec)) {
    if (key !== 'newRoot') throw mongoError('Location40230', `unrecognized option to $replaceRoot stage: ${key}, only valid option is 'newRoot'.`);
  }
  if (!hasOwn(spec, 'newRoot')) throw mongoError('Location40231', 'no newRoot specified for the $replaceRoot stage');
  return spec.newRoot;
}

export function compileReplaceRoot(spec: unknown, ctx: PipelineContext): Stage {
  return replaceRootWith(newRootOf(spec), ctx);
}

export function compileReplaceWith(spec: unknown, ctx: PipelineContext): Stage {
  return replaceRootWith(spec, ctx);
}

export function compileSample(spec: unknown): Stage {
  if (!isDocument(spec)) throw mongoError('Location28745', 'the $sample stage specification must be an object');
  for (const key of Object.keys(spec)) {
    if (key !== 'size') throw mongoError('Location28748', `unrecognized option to $sample: ${key}`);
  }
  if (!hasOwn(spec, 'size')) throw mongoError('Location28749', '$sample stage must specify a size');
  const size = spec.size;
  if (!isNumericValue(size)) throw mongoError('Location28746', 'size argument to $sample must be a number');
  const n = Math.trunc(toDouble(size));
  if (n < 0) throw mongoError('Location28747', 'size argument to $sample must not be negative');
  return (docs) => {
    const pool = [...docs];
    const take = Math.min(n, pool.length);
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(Math.random() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, take);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// $unwind

const UNWIND_FIELDS = new Set(['path', 'includeArrayIndex', 'preserveNullAndEmptyArrays']);

interface UnwindSpec {
  path: string[];
  indexField: string[] | undefined;
  preserve: boolean;
}

function parseUnwind(spec: unknown): UnwindSpec {
  if (typeof spec === 'string') return { path: parseUnwindPath(spec), indexField: undefined, preserve: false };
  if (!isDocument(spec)) {
    throw mongoError('Location15981', `expected either a string or an object as specification for $unwind stage, got ${typeName(spec)}`);
  }
  for (const key of Object.keys(spec)) {
    if (!UNWIND_FIELDS.has(key)) throw mongoError('Location28811', `unrecognized option to $unwind stage: ${key}`);
  }
  if (spec.path === undefined) throw mongoError('Location28812', 'no path specified to $unwind stage');
  if (typeof spec.path !== 'string') throw mongoError('Location28808', `expected a string as the path for $unwind stage, got ${typeName(spec.path)}`);
  const preserve = spec.preserveNullAndEmptyArrays ?? false;
  if (typeof preserve !== 'boolean') {
    throw mongoError('Location28809', `expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got ${typeName(preserve)}`);
  }
  let indexField: string[] | undefined;
  if (spec.includeArrayIndex !== undefined) {
    const name = spec.includeArrayIndex;
    if (typeof name !== 'string' || name === '') {
      throw mongoError('Location28810', `expected a non-empty string for the includeArrayIndex option to $unwind stage, got ${typeName(name)}`);
    }
    if (name.startsWith('$')) throw mongoError('Location28822', `includeArrayIndex option to $unwind stage should not be prefixed with a '$': ${name}`);
    indexField = parseFieldPath(name);
  }
  return { path: parseUnwindPath(spec.path), indexField, preserve };
}

function parseUnwindPath(path: string): string[] {
  if (!path.startsWith('$')) throw mongoError('Location28818', `path option to $unwind stage should be prefixed with a '$': ${path}`);
  return parseFieldPath(path.slice(1));
}

function unwindDocument(doc: Document, spec: UnwindSpec, ctx: PipelineContext, out: Document[]): void {
  const value = getField(doc, spec.path);
  const withIndex = (d: Document, index: bigint | null) => keepMetadata(ctx, doc, spec.indexField ? setField(d, spec.indexField, index) : d);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      if (spec.preserve) out.push(withIndex(setField(doc, spec.path, undefined), null));
      return;
    }
    value.forEach((element, i) => out.push(withIndex(setField(doc, spec.path, element), BigInt(i))));
    return;
  }
  if (value === undefined || value === null) {
    if (spec.preserve) out.push(withIndex(doc, null));
    return;
  }
  out.push(withIndex(doc, null));
}

export function compileUnwind(spec: unknown, ctx: PipelineContext): Stage {
  const parsed = parseUnwind(spec);
  return (docs) => {
    const out: Document[] = [];
    for (const doc of docs) unwindDocument(doc, parsed, ctx, out);
    return out;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// $out

export function compileOut(spec: unknown, ctx: PipelineContext): Stage {
  let db = ctx.db;
  let coll: unknown = spec;
  if (isDocument(spec)) {
    for (const key of Object.keys(spec)) {
      if (key !== 'db' && key !== 'coll') throw mongoError('Location16990', `$out: unknown field ${key}`);
    }
    if (typeof spec.db !== 'string' || spec.db === '') throw mongoError('Location16994', "$out: 'db' must be a non-empty string");
    db = spec.db;
    coll = spec.coll;
  }
  if (typeof coll !== 'string' || coll === '') {
    throw mongoError('Location16990', `$out only supports a string or object argument, not ${typeName(spec)}`);
  }
  if (coll.startsWith('system.') || coll.includes('$')) {
    throw mongoError('Location17385', `Can't $out to special collection: ${coll}`);
  }
  const target = coll;
  return async (docs) => {
    const written = docs.map((doc) => deepClone(doc._id === undefined ? { _id: new ObjectId(), ...doc } : doc));
    await ctx.writeCollection(db, target, written);
    return [];
  };
}
