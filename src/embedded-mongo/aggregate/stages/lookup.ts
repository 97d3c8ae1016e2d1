/** $lookup (equality join, sub-pipeline with `let`, or both) and $unionWith. */
import { mongoError } from '../../errors';
import { getPathValues, walkPath } from '../../query/paths';
import { compileFilter } from '../../query/matcher';
import type { Document } from '../../types';
import { checkExpression, checkVariableName, evaluate, parseFieldPath, readFieldPath } from '../evaluate';
import { isDocument, isNumericValue, toDouble, typeName, valueKey } from '../values';
import { setField } from './fields';
import { documentScope, keepMetadata } from './scope';
import type { PipelineContext, Stage, SubPipelineCompiler } from './types';

const LOOKUP_FIELDS = new Set(['from', 'localField', 'foreignField', 'as', 'let', 'pipeline']);

interface Namespace {
  db: string;
  coll: string;
}

function parseNamespace(value: unknown, ctx: PipelineContext, stage: string, field: string): Namespace {
  if (typeof value === 'string' && value !== '') return { db: ctx.db, coll: value };
  if (isDocument(value) && typeof value.db === 'string' && typeof value.coll === 'string' && Object.keys(value).length === 2) {
    return { db: value.db, coll: value.coll };
  }
  throw mongoError('FailedToParse', `${stage} '${field}' must be a collection name string or {db: <string>, coll: <string>}, found: ${JSON.stringify(value)}`);
}

function requireString(spec: Document, field: string): string {
  const value = spec[field];
  if (typeof value !== 'string') throw mongoError('FailedToParse', `$lookup argument '${field}: ${JSON.stringify(value)}' must be a string, is type ${typeof value}`);
  return value;
}

function parseLet(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isDocument(value)) throw mongoError('FailedToParse', `$lookup argument 'let' must be an object, is type ${typeof value}`);
  for (const [name, expr] of Object.entries(value)) {
    checkVariableName(name);
    checkExpression(expr);
  }
  return value;
}

/** Keys of the values a foreign document offers on `path` (array elements and the array itself; missing as null). */
function foreignKeys(doc: Document, path: string): string[] {
  return walkPath(doc, path).map((c) => (c.missing || c.value === undefined ? valueKey(null) : valueKey(c.value)));
}

/** The local values to match: every value along the path, arrays expanded; none at all means null. */
function localValues(doc: Document, path: string): unknown[] {
  const values = getPathValues(doc, path);
  return values.length === 0 ? [null] : values.map((v) => (v === undefined ? null : v));
}

class EqualityIndex {
  private readonly byKey = new Map<string, number[]>();

  constructor(private readonly foreign: Document[], foreignField: string) {
    foreign.forEach((doc, i) => {
      for (const key of new Set(foreignKeys(doc, foreignField))) {
        const list = this.byKey.get(key);
        if (list) list.push(i);
        else this.byKey.set(key, [i]);
      }
    });
  }

  matches(values: unknown[]): Document[] {
    const positions = new Set<number>();
    for (const value of values) for (const i of this.byKey.get(valueKey(value)) ?? []) positions.add(i);
    return [...positions].sort((a, b) => a - b).map((i) => this.foreign[i]);
  }
}

/**
 * A sub-pipeline that starts with `{$match: {$expr: {$eq: ['$field', '$$var']}}}` (alone or inside a top-level
 * `$and`) is the usual correlated join. For it, foreign documents are indexed by that field so each local document
 * only runs the sub-pipeline over its candidates; the $match still runs, so the index only has to be a superset.
 */
interface CorrelatedEquality {
  foreignPath: string[];
  variable: string;
}

function equalityOperands(expr: unknown, letNames: ReadonlySet<string>): CorrelatedEquality | undefined {
  if (!isDocument(expr) || Object.keys(expr).length !== 1 || !Array.isArray(expr.$eq) || expr.$eq.length !== 2) return undefined;
  const [a, b] = expr.$eq as unknown[];
  const isField = (v: unknown): v is string => typeof v === 'string' && v.startsWith('$') && !v.startsWith('$$') && v.length > 1;
  const isVariable = (v: unknown): v is string => typeof v === 'string' && v.startsWith('$$') && letNames.has(v.slice(2));
  if (isField(a) && isVariable(b)) return { foreignPath: parseFieldPath(a.slice(1)), variable: b.slice(2) };
  if (isField(b) && isVariable(a)) return { foreignPath: parseFieldPath(b.slice(1)), variable: a.slice(2) };
  return undefined;
}

function findCorrelatedEquality(pipeline: unknown, letNames: ReadonlySet<string>): CorrelatedEquality | undefined {
  if (!Array.isArray(pipeline) || !isDocument(pipeline[0]) || Object.keys(pipeline[0]).length !== 1) return undefined;
  const match = pipeline[0].$match;
  if (!isDocument(match) || !('$expr' in match)) return undefined;
  const expr = match.$expr;
  const direct = equalityOperands(expr, letNames);
  if (direct) return direct;
  if (isDocument(expr) && Object.keys(expr).length === 1 && Array.isArray(expr.$and)) {
    for (const clause of expr.$and) {
      const found = equalityOperands(clause, letNames);
      if (found) return found;
    }
  }
  return undefined;
}

class ExpressionEqualityIndex {
  private readonly byKey = new Map<string, Document[]>();

  constructor(foreign: Document[], path: string[]) {
    for (const doc of foreign) {
      const key = valueKey(readFieldPath(doc, path));
      const list = this.byKey.get(key);
      if (list) list.push(doc);
      else this.byKey.set(key, [doc]);
    }
  }

  candidates(value: unknown): Document[] {
    return this.byKey.get(valueKey(value)) ?? [];
  }
}

export function compileLookup(spec: unknown, ctx: PipelineContext, compileSub: SubPipelineCompiler): Stage {
  if (!isDocument(spec)) throw mongoError('FailedToParse', 'the $lookup specification must be an Object');
  for (const key of Object.keys(spec)) {
    if (!LOOKUP_FIELDS.has(key)) throw mongoError('FailedToParse', `unknown argument to $lookup: ${key}`);
  }
  if (spec.as === undefined) throw mongoError('FailedToParse', "must specify 'as' field for a $lookup");
  const asParts = requireString(spec, 'as').split('.');
  // Without 'from', the sub-pipeline must produce its own documents with a leading $documents stage.
  const startsWithDocuments = Array.isArray(spec.pipeline) && isDocument(spec.pipeline[0]) && '$documents' in spec.pipeline[0];
  if (spec.from === undefined && !startsWithDocuments) throw mongoError('FailedToParse', "must specify 'from' field for a $lookup");
  const from = spec.from === undefined ? undefined : parseNamespace(spec.from, ctx, '$lookup', 'from');
  const hasLocal = spec.localField !== undefined;
  const hasForeign = spec.foreignField !== undefined;
  if (hasLocal !== hasForeign || (!hasLocal && spec.pipeline === undefined)) {
    throw mongoError('FailedToParse', "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified");
  }
  if (spec.let !== undefined && spec.pipeline === undefined) {
    throw mongoError('FailedToParse', "$lookup with 'let' must also specify a 'pipeline'");
  }
  const letSpec = parseLet(spec.let);
  const equality = hasLocal ? { local: requireString(spec, 'localField'), foreign: requireString(spec, 'foreignField') } : undefined;
  const placeholderVars = Object.fromEntries(Object.keys(letSpec).map((name) => [name, null]));
  if (spec.pipeline !== undefined) compileSub(spec.pipeline, { ...ctx, variables: { ...ctx.variables, ...placeholderVars } }, '$lookup');
  const correlated = ctx.collator ? undefined : findCorrelatedEquality(spec.pipeline, new Set(Object.keys(letSpec)));

  return async (docs) => {
    const foreign = from ? await ctx.readCollection(from.db, from.coll) : [];
    const index = equality && !ctx.collator ? new EqualityIndex(foreign, equality.foreign) : undefined;
    const correlatedIndex = correlated && !equality ? new ExpressionEqualityIndex(foreign, correlated.foreignPath) : undefined;
    const out: Document[] = [];
    for (const doc of docs) {
      let joined = foreign;
      if (equality) {
        const values = localValues(doc, equality.local);
        joined = index ? index.matches(values) : foreign.filter(compileFilter({ [equality.foreign]: { $in: values } }, { collator: ctx.collator }).test);
      }
      if (spec.pipeline !== undefined) {
        const scope = documentScope(doc, ctx);
        const vars = Object.fromEntries(Object.entries(letSpec).map(([name, expr]) => [name, evaluate(expr, scope)]));
        if (correlated && correlatedIndex) joined = correlatedIndex.candidates(vars[correlated.variable]);
        const run = compileSub(spec.pipeline, { ...ctx, variables: { ...ctx.variables, ...vars } }, '$lookup');
        joined = await run(joined);
      }
      out.push(keepMetadata(ctx, doc, setField(doc, asParts, joined)));
    }
    return out;
  };
}

export function compileUnionWith(spec: unknown, ctx: PipelineContext, compileSub: SubPipelineCompiler): Stage {
  let source: Namespace;
  let pipeline: unknown = [];
  if (typeof spec === 'string') {
    source = parseNamespace(spec, ctx, '$unionWith', 'coll');
  } else if (isDocument(spec)) {
    for (const key of Object.keys(spec)) {
      if (key !== 'coll' && key !== 'pipeline') throw mongoError('Location40415', `BSON field '$unionWith.${key}' is an unknown field.`);
    }
    if (spec.coll === undefined) throw mongoError('Location40414', "BSON field '$unionWith.coll' is missing but a required field");
    source = parseNamespace(spec.coll, ctx, '$unionWith', 'coll');
    pipeline = spec.pipeline ?? [];
  } else {
    throw mongoError('Location40414', `the $unionWith stage specification must be an object or string, but found ${typeof spec}`);
  }
  const run = compileSub(pipeline, ctx, '$unionWith');
  return async (docs) => [...docs, ...(await run(await ctx.readCollection(source.db, source.coll)))];
}

// ---------------------------------------------------------------------------------------------------------------
// $graphLookup: a breadth-first walk over one collection (e.g. a supplier's sub-suppliers, tier by tier).

const GRAPH_FIELDS = new Set(['from', 'startWith', 'connectFromField', 'connectToField', 'as', 'maxDepth', 'depthField', 'restrictSearchWithMatch']);
const GRAPH_REQUIRED = ['from', 'startWith', 'connectFromField', 'connectToField', 'as'];

function graphString(spec: Document, field: string): string {
  const value = spec[field];
  if (typeof value !== 'string' || value === '') throw mongoError('Location40103', `expected string as argument for ${field}, found: ${JSON.stringify(value)}`);
  return value;
}

function parseMaxDepth(value: unknown): number {
  if (value === undefined) return Infinity;
  if (!isNumericValue(value)) throw mongoError('Location40100', `maxDepth must be numeric, found type: ${typeName(value)}`);
  const depth = toDouble(value);
  if (depth < 0) throw mongoError('Location40101', `maxDepth requires a nonnegative argument, found: ${depth}`);
  if (!Number.isInteger(depth)) throw mongoError('Location40102', `maxDepth could not be represented as a long long: ${depth}`);
  return depth;
}

/** The values to search for: arrays contribute their elements; a missing connectFromField ends that branch. */
function searchValues(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined ? [] : [value];
}

export function compileGraphLookup(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec)) throw mongoError('FailedToParse', 'the $graphLookup specification must be an object');
  for (const key of Object.keys(spec)) {
    if (!GRAPH_FIELDS.has(key)) throw mongoError('Location40104', `Unknown argument to $graphLookup: ${key}`);
  }
  if (GRAPH_REQUIRED.some((field) => spec[field] === undefined)) {
    throw mongoError('Location40105', "$graphLookup requires 'from', 'startWith', 'connectFromField', 'connectToField', and 'as' to be specified");
  }
  const from = parseNamespace(spec.from, ctx, '$graphLookup', 'from');
  const connectFrom = parseFieldPath(graphString(spec, 'connectFromField'));
  const connectTo = graphString(spec, 'connectToField');
  const asParts = parseFieldPath(graphString(spec, 'as'));
  const depthParts = spec.depthField === undefined ? undefined : parseFieldPath(graphString(spec, 'depthField'));
  const maxDepth = parseMaxDepth(spec.maxDepth);
  checkExpression(spec.startWith);
  if (spec.restrictSearchWithMatch !== undefined && !isDocument(spec.restrictSearchWithMatch)) {
    throw mongoError('Location40185', "restrictSearchWithMatch must be an object");
  }
  const restrict = spec.restrictSearchWithMatch === undefined ? undefined : compileFilter(spec.restrictSearchWithMatch, { collator: ctx.collator, now: ctx.now });

  return async (docs) => {
    const foreign = (await ctx.readCollection(from.db, from.coll)).filter((doc) => !restrict || restrict.test(doc));
    const index = new EqualityIndex(foreign, connectTo);
    return docs.map((doc) => {
      const found = new Map<string, Document>();
      const searched = new Set<string>();
      const start = evaluate(spec.startWith, documentScope(doc, ctx));
      let frontier = searchValues(start === undefined ? null : start);
      for (let depth = 0; frontier.length > 0 && depth <= maxDepth; depth++) {
        const fresh = frontier.filter((value) => !searched.has(valueKey(value)));
        fresh.forEach((value) => searched.add(valueKey(value)));
        const next: unknown[] = [];
        for (const match of index.matches(fresh)) {
          const id = valueKey(match._id);
          if (found.has(id)) continue;
          found.set(id, depthParts ? setField(match, depthParts, BigInt(depth)) : match);
          next.push(...searchValues(readFieldPath(match, connectFrom)));
        }
        frontier = next;
      }
      return setField(doc, asParts, [...found.values()]);
    });
  };
}
