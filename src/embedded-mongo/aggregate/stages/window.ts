/**
 * $setWindowFields: partitions (by `partitionBy`), orders each partition (by `sortBy`) and computes window
 * functions over document or range windows: the group accumulators plus $rank, $denseRank, $documentNumber,
 * $shift and $locf. Output comes sorted by partition, then by `sortBy`, as MongoDB's does.
 */
import { mongoError } from '../../errors';
import { compileSort } from '../../query/sort';
import type { Document } from '../../types';
import { accumulators } from '../accumulators';
import { checkExpression, evaluate, parseFieldPath, readFieldPath } from '../evaluate';
import { addToDate } from '../operators/dates';
import { UTC } from '../timezone';
import { compareAgg, hasOwn, isDocument, isNullish, isNumericValue, toDouble, typeName, valueKey } from '../values';
import { setField } from './fields';
import { documentScope, keepMetadata } from './scope';
import type { PipelineContext, Stage } from './types';

type Bound = 'unbounded' | 'current' | number;

interface WindowSpec {
  kind: 'documents' | 'range';
  lower: Bound;
  upper: Bound;
  unit?: string;
}

interface OutputSpec {
  path: string[];
  operator: string;
  arg: unknown;
  window: WindowSpec | undefined;
}

const RANK_OPERATORS = new Set(['$rank', '$denseRank', '$documentNumber']);
const NOT_WINDOWABLE = new Set(['$mergeObjects']);
const TIME_UNITS = new Set(['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'millisecond']);

function parseBound(value: unknown, kind: 'documents' | 'range'): Bound {
  if (value === 'unbounded' || value === 'current') return value;
  if (isNumericValue(value) && (kind === 'range' || Number.isInteger(toDouble(value)))) return toDouble(value);
  throw mongoError('FailedToParse', `Window bounds must be 'unbounded', 'current', or ${kind === 'documents' ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}`);
}

function parseWindow(value: unknown): WindowSpec | undefined {
  if (value === undefined) return undefined;
  if (!isDocument(value)) throw mongoError('FailedToParse', "'window' field must be an object");
  const kind = hasOwn(value, 'documents') ? 'documents' : hasOwn(value, 'range') ? 'range' : undefined;
  for (const key of Object.keys(value)) {
    if (key !== 'documents' && key !== 'range' && key !== 'unit') throw mongoError('FailedToParse', `'window' has unexpected parameter: ${key}`);
  }
  if (!kind || (hasOwn(value, 'documents') && hasOwn(value, 'range'))) {
    throw mongoError('FailedToParse', "'window' field must specify exactly one of 'documents' or 'range'");
  }
  const bounds = value[kind];
  if (!Array.isArray(bounds) || bounds.length !== 2) throw mongoError('FailedToParse', `Window bounds must be a 2-element array: ${JSON.stringify(bounds)}`);
  const unit = value.unit;
  if (unit !== undefined && (kind !== 'range' || typeof unit !== 'string' || !TIME_UNITS.has(unit))) {
    throw mongoError('FailedToParse', `Unknown or misplaced window unit: ${JSON.stringify(unit)}`);
  }
  const window: WindowSpec = { kind, lower: parseBound(bounds[0], kind), upper: parseBound(bounds[1], kind), unit };
  if (typeof window.lower === 'number' && typeof window.upper === 'number' && window.lower > window.upper) {
    throw mongoError('Location5339900', 'Lower bound must not exceed upper bound');
  }
  return window;
}

function parseOutput(field: string, value: unknown, sortKeys: number): OutputSpec {
  if (!isDocument(value)) throw mongoError('FailedToParse', `The field '${field}' must be an object`);
  const operators = Object.keys(value).filter((k) => k !== 'window');
  if (operators.length !== 1 || !operators[0].startsWith('$')) {
    throw mongoError('FailedToParse', `Expected a single window function in '${field}', found ${JSON.stringify(operators)}`);
  }
  const operator = operators[0];
  const arg = value[operator];
  const known = RANK_OPERATORS.has(operator) || operator === '$shift' || operator === '$locf' || (operator in accumulators && !NOT_WINDOWABLE.has(operator));
  if (!known) throw mongoError('FailedToParse', `Unrecognized window function, ${operator}`);
  if (RANK_OPERATORS.has(operator) || operator === '$shift') {
    if (hasOwn(value, 'window')) throw mongoError('Location5371601', `${operator} does not accept a 'window' field`);
    if (sortKeys !== 1 && operator !== '$documentNumber' && operator !== '$shift') {
      throw mongoError('Location5371602', `${operator} must be specified with a top level sortBy expression with exactly one element`);
    }
    if (sortKeys === 0) throw mongoError('Location5371602', `${operator} requires a sortBy`);
  }
  if (RANK_OPERATORS.has(operator) && (!isDocument(arg) || Object.keys(arg).length > 0)) {
    throw mongoError('Location5371603', `${operator} takes an empty object as its argument`);
  }
  if (operator === '$shift') {
    if (!isDocument(arg) || !hasOwn(arg, 'output') || !hasOwn(arg, 'by')) throw mongoError('FailedToParse', "$shift requires 'output' and 'by'");
    if (!isNumericValue(arg.by) || !Number.isInteger(toDouble(arg.by))) throw mongoError('FailedToParse', "'$shift:by' field must be an integer");
  }
  checkExpression(arg);
  return { path: parseFieldPath(field), operator, arg, window: parseWindow(value.window) };
}

interface Row {
  doc: Document;
  partition: unknown;
}

function partitionRows(docs: Document[], partitionBy: unknown, ctx: PipelineContext): Row[][] {
  const partitions = new Map<string, Row[]>();
  for (const doc of docs) {
    const value = partitionBy === undefined ? null : evaluate(partitionBy, documentScope(doc, ctx));
    const partition = value === undefined ? null : value;
    const key = valueKey(partition);
    const rows = partitions.get(key);
    if (rows) rows.push({ doc, partition });
    else partitions.set(key, [{ doc, partition }]);
  }
  return [...partitions.values()].sort((a, b) => compareAgg(a[0].partition, b[0].partition, ctx.collator));
}

function documentRange(window: WindowSpec, i: number, n: number): [number, number] {
  const at = (bound: Bound, fallback: number) => (bound === 'unbounded' ? fallback : bound === 'current' ? i : i + bound);
  return [Math.max(0, at(window.lower, 0)), Math.min(n - 1, at(window.upper, n - 1))];
}

function shiftedKey(value: unknown, bound: number, unit: string | undefined): unknown {
  if (unit) {
    if (!(value instanceof Date)) throw mongoError('Location5429513', `Invalid range: Expected the sortBy field to be a Date, but it was ${typeName(value)}`);
    return addToDate(value, unit, bound, UTC);
  }
  if (!isNumericValue(value)) throw mongoError('Location5429414', `Invalid range: Expected the sortBy field to be a number, but it was ${typeName(value)}`);
  return toDouble(value) + bound;
}

function rangeIndexes(window: WindowSpec, keys: unknown[], i: number): number[] {
  const low = window.lower === 'unbounded' ? undefined : window.lower === 'current' ? keys[i] : shiftedKey(keys[i], window.lower, window.unit);
  const high = window.upper === 'unbounded' ? undefined : window.upper === 'current' ? keys[i] : shiftedKey(keys[i], window.upper, window.unit);
  const out: number[] = [];
  keys.forEach((key, j) => {
    if ((low === undefined || compareAgg(key, low) >= 0) && (high === undefined || compareAgg(key, high) <= 0)) out.push(j);
  });
  return out;
}

function windowIndexes(window: WindowSpec, keys: unknown[], i: number, n: number): number[] {
  if (window.kind === 'range') return rangeIndexes(window, keys, i);
  const [lo, hi] = documentRange(window, i, n);
  const out: number[] = [];
  for (let j = lo; j <= hi; j++) out.push(j);
  return out;
}

function copyResult(value: unknown): unknown {
  return Array.isArray(value) ? [...value] : value;
}

function computeAccumulator(output: OutputSpec, rows: Row[], keys: unknown[], ctx: PipelineContext): unknown[] {
  const factory = accumulators[output.operator];
  const values = rows.map((row) => evaluate(output.arg, documentScope(row.doc, ctx)));
  const n = rows.length;
  const window = output.window ?? { kind: 'documents', lower: 'unbounded', upper: 'unbounded' };
  if (window.kind === 'documents' && window.lower === 'unbounded' && (window.upper === 'unbounded' || window.upper === 'current')) {
    // Running (or whole-partition) windows reuse one accumulator instead of re-reading the window per document.
    const acc = factory(ctx.collator);
    const results: unknown[] = [];
    for (let i = 0; i < n; i++) {
      acc.add(values[i], rows[i].doc);
      results.push(copyResult(acc.result()));
    }
    return window.upper === 'unbounded' ? results.map(() => copyResult(results[n - 1])) : results;
  }
  return rows.map((_, i) => {
    const acc = factory(ctx.collator);
    for (const j of windowIndexes(window, keys, i, n)) acc.add(values[j], rows[j].doc);
    return acc.result();
  });
}

function computeRanks(operator: string, rows: Row[], compare: (a: unknown, b: unknown) => number): unknown[] {
  let rank = 0;
  let dense = 0;
  return rows.map((row, i) => {
    const tied = i > 0 && compare(rows[i - 1].doc, row.doc) === 0;
    if (!tied) {
      rank = i + 1;
      dense++;
    }
    return operator === '$documentNumber' ? i + 1 : operator === '$rank' ? rank : dense;
  });
}

function computeShift(arg: Document, rows: Row[], ctx: PipelineContext): unknown[] {
  const by = toDouble(arg.by as number);
  const fallback = arg.default === undefined ? null : evaluate(arg.default, documentScope({}, ctx));
  return rows.map((_, i) => {
    const target = rows[i + by];
    if (!target) return fallback;
    const value = evaluate(arg.output, documentScope(target.doc, ctx));
    return value === undefined ? null : value;
  });
}

function computeLocf(arg: unknown, rows: Row[], ctx: PipelineContext): unknown[] {
  let last: unknown = null;
  return rows.map((row) => {
    const value = evaluate(arg, documentScope(row.doc, ctx));
    if (!isNullish(value)) last = value;
    return last;
  });
}

export function compileSetWindowFields(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec)) throw mongoError('FailedToParse', 'the $setWindowFields stage specification must be an object');
  for (const key of Object.keys(spec)) {
    if (key !== 'partitionBy' && key !== 'sortBy' && key !== 'output') throw mongoError('Location40415', `BSON field '$setWindowFields.${key}' is an unknown field.`);
  }
  if (!isDocument(spec.output)) throw mongoError('Location40414', "BSON field '$setWindowFields.output' is missing but a required field");
  if (spec.sortBy !== undefined && !isDocument(spec.sortBy)) throw mongoError('FailedToParse', "'sortBy' must be an object");
  if (spec.partitionBy !== undefined) checkExpression(spec.partitionBy);
  const sortKeys = spec.sortBy === undefined ? [] : Object.keys(spec.sortBy);
  const compare = compileSort(spec.sortBy ?? {}, ctx.collator);
  const outputs = Object.entries(spec.output).map(([field, value]) => parseOutput(field, value, sortKeys.length));
  if (outputs.some((o) => o.window?.kind === 'range') && sortKeys.length !== 1) {
    throw mongoError('Location5339902', 'Range-based bounds require sortBy a single field');
  }
  const sortPath = sortKeys.length === 1 ? parseFieldPath(sortKeys[0]) : undefined;
  return (docs) => {
    const out: Document[] = [];
    for (const partition of partitionRows(docs, spec.partitionBy, ctx)) {
      const rows = [...partition].sort((a, b) => compare(a.doc, b.doc));
      const keys = sortPath ? rows.map((row) => readFieldPath(row.doc, sortPath)) : [];
      const columns = outputs.map((output) => {
        if (RANK_OPERATORS.has(output.operator)) return computeRanks(output.operator, rows, compare);
        if (output.operator === '$shift') return computeShift(output.arg as Document, rows, ctx);
        if (output.operator === '$locf') return computeLocf(output.arg, rows, ctx);
        return computeAccumulator(output, rows, keys, ctx);
      });
      rows.forEach((row, i) => {
        let doc = row.doc;
        outputs.forEach((output, k) => {
          doc = setField(doc, output.path, columns[k][i]);
        });
        out.push(keepMetadata(ctx, row.doc, doc));
      });
    }
    return out;
  };
}
