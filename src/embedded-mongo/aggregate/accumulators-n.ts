/**
 * The n-ary and ordered accumulators of MongoDB 5.2+: $firstN, $lastN, $maxN, $minN, $top, $bottom, $topN, $bottomN.
 * Their operand is an object ({input, n} or {sortBy, output, n}) evaluated per document like any object expression.
 */
import { mongoError } from '../errors';
import { compileSort } from '../query/sort';
import type { Collator, Document } from '../types';
import type { AccumulatorFactory } from './accumulators';
import { evaluate, type OperatorFn } from './evaluate';
import { compareAgg, isDocument, isNullish, isNumericValue, toDouble, typeName } from './values';

function readN(name: string, value: unknown): number {
  if (!isNumericValue(value) || !Number.isInteger(toDouble(value))) {
    throw mongoError('Location5787902', `Value for 'n' must be of integral type, but found ${String(value)}`);
  }
  const n = toDouble(value);
  if (n <= 0) throw mongoError('Location5787908', `'n' must be greater than 0, found ${n} in ${name}`);
  return n;
}

function operand(name: string, value: unknown): Document {
  if (!isDocument(value)) throw mongoError('Location5787801', `specification must be an object; found ${String(value)} in ${name}`);
  return value;
}

/** Checks the operand shape when the stage is parsed. */
export function checkNAccumulatorSpec(name: string, spec: unknown): void {
  const doc = operand(name, spec);
  const ordered = name === '$top' || name === '$bottom' || name === '$topN' || name === '$bottomN';
  const needsN = name !== '$top' && name !== '$bottom';
  const allowed = ordered ? ['sortBy', 'output', ...(needsN ? ['n'] : [])] : ['input', 'n'];
  for (const key of Object.keys(doc)) {
    if (!allowed.includes(key)) throw mongoError('Location5787901', `Unknown argument for '${key}' in ${name}`);
  }
  for (const key of allowed) {
    if (!(key in doc)) throw mongoError('Location5788003', `Missing value for '${key}' in ${name}`);
  }
  if (ordered && !isDocument(doc.sortBy)) throw mongoError('Location5788604', `${name} requires 'sortBy' to be an object`);
}

function positionalN(name: string, keep: 'first' | 'last'): AccumulatorFactory {
  return () => {
    let n: number | undefined;
    const values: unknown[] = [];
    return {
      add(value) {
        const spec = operand(name, value);
        n ??= readN(name, spec.n);
        // Only the n values the result can hold are kept: $firstN ignores later ones, $lastN drops the oldest.
        if (keep === 'first' && values.length >= n) return;
        values.push(spec.input === undefined ? null : spec.input);
        if (values.length > n) values.shift();
      },
      result: () => values,
    };
  };
}

function extremeN(name: string, direction: 1 | -1): AccumulatorFactory {
  return (collator?: Collator) => {
    let n: number | undefined;
    const values: unknown[] = [];
    return {
      add(value) {
        const spec = operand(name, value);
        n ??= readN(name, spec.n);
        if (!isNullish(spec.input)) values.push(spec.input);
      },
      result: () => [...values].sort((a, b) => -direction * compareAgg(a, b, collator)).slice(0, n),
    };
  };
}

function orderedN(name: string, end: 'top' | 'bottom', single: boolean): AccumulatorFactory {
  return (collator?: Collator) => {
    let n: number | undefined;
    let comparator: ((a: unknown, b: unknown) => number) | undefined;
    const entries: { doc: Document; output: unknown }[] = [];
    return {
      add(value, doc) {
        const spec = operand(name, value);
        n ??= single ? 1 : readN(name, spec.n);
        comparator ??= compileSort(spec.sortBy, collator);
        entries.push({ doc: doc ?? {}, output: spec.output === undefined ? null : spec.output });
      },
      result: () => {
        const compare = comparator ?? (() => 0);
        const sorted = [...entries].sort((a, b) => compare(a.doc, b.doc));
        const picked = end === 'top' ? sorted.slice(0, n) : sorted.slice(Math.max(0, sorted.length - (n ?? 0)));
        const outputs = picked.map((e) => e.output);
        return single ? (outputs[0] ?? null) : outputs;
      },
    };
  };
}

export const nAccumulators: Record<string, AccumulatorFactory> = {
  $firstN: positionalN('$firstN', 'first'),
  $lastN: positionalN('$lastN', 'last'),
  $maxN: extremeN('$maxN', 1),
  $minN: extremeN('$minN', -1),
  $top: orderedN('$top', 'top', true),
  $bottom: orderedN('$bottom', 'bottom', true),
  $topN: orderedN('$topN', 'top', false),
  $bottomN: orderedN('$bottomN', 'bottom', false),
};

/** The array forms: {$firstN: {input: <array>, n}} and friends. */
function arrayForm(name: string, factory: AccumulatorFactory): OperatorFn {
  return (args, scope) => {
    checkNAccumulatorSpec(name, args);
    const spec = operand(name, evaluate(args, scope));
    if (isNullish(spec.input)) return null;
    if (!Array.isArray(spec.input)) throw mongoError('Location5788200', `Input must be an array in ${name}, found ${typeName(spec.input)}`);
    const acc = factory(scope.collator);
    for (const element of spec.input) acc.add({ input: element, n: spec.n });
    if (spec.input.length === 0) readN(name, spec.n);
    return acc.result();
  };
}

export const nArrayOperators: Record<string, OperatorFn> = {
  $firstN: arrayForm('$firstN', nAccumulators.$firstN),
  $lastN: arrayForm('$lastN', nAccumulators.$lastN),
  $maxN: arrayForm('$maxN', nAccumulators.$maxN),
  $minN: arrayForm('$minN', nAccumulators.$minN),
};
