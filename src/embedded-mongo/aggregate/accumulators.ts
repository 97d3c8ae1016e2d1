/** Group accumulators ($group, $bucket) and their expression forms ({$sum: [...]} etc.). */
import { double } from '../bson/double';
import { add, divide } from '../bson/numeric';
import { mongoError } from '../errors';
import type { Collator, Document } from '../types';
import { nAccumulators } from './accumulators-n';
import { evaluateArgs, type OperatorFn } from './evaluate';
import { mergeDocuments } from './operators/arrays';
import { compareAgg, isNullish, isNumericValue, toDouble, valueKey, type NumericValue } from './values';

export interface Accumulator {
  /** `doc` is the document the value came from (the ordered accumulators sort by it). */
  add(value: unknown, doc?: Document): void;
  result(): unknown;
}

export type AccumulatorFactory = (collator?: Collator) => Accumulator;

function sumAccumulator(): Accumulator {
  let total: NumericValue = 0;
  return {
    add(value) {
      if (isNumericValue(value)) total = add(total, value);
    },
    result: () => total,
  };
}

function avgAccumulator(): Accumulator {
  let total: NumericValue = 0;
  let count = 0;
  return {
    add(value) {
      if (!isNumericValue(value)) return;
      total = add(total, value);
      count++;
    },
    result: () => (count === 0 ? null : divide(total, count)),
  };
}

function extremeAccumulator(direction: 1 | -1): AccumulatorFactory {
  return (collator) => {
    let best: unknown;
    return {
      add(value) {
        if (isNullish(value)) return;
        if (best === undefined || direction * compareAgg(value, best, collator) > 0) best = value;
      },
      result: () => (best === undefined ? null : best),
    };
  };
}

function firstAccumulator(): Accumulator {
  let seen = false;
  let first: unknown = null;
  return {
    add(value) {
      if (seen) return;
      seen = true;
      first = value === undefined ? null : value;
    },
    result: () => first,
  };
}

function lastAccumulator(): Accumulator {
  let last: unknown = null;
  return {
    add(value) {
      last = value === undefined ? null : value;
    },
    result: () => last,
  };
}

function pushAccumulator(): Accumulator {
  const values: unknown[] = [];
  return {
    add(value) {
      if (value !== undefined) values.push(value);
    },
    result: () => values,
  };
}

function addToSetAccumulator(): Accumulator {
  const values = new Map<string, unknown>();
  return {
    add(value) {
      if (value === undefined) return;
      const key = valueKey(value);
      if (!values.has(key)) values.set(key, value);
    },
    result: () => [...values.values()],
  };
}

function countAccumulator(): Accumulator {
  let count = 0;
  return {
    add() {
      count++;
    },
    result: () => count,
  };
}

function mergeObjectsAccumulator(): Accumulator {
  let merged: Record<string, unknown> = {};
  return {
    add(value) {
      merged = mergeDocuments([merged, value]);
    },
    result: () => merged,
  };
}

/** Welford's online variance over the numeric inputs, in double precision as MongoDB does. */
function stdDevAccumulator(sample: boolean): AccumulatorFactory {
  return () => {
    let count = 0;
    let mean = 0;
    let m2 = 0;
    return {
      add(value) {
        if (!isNumericValue(value)) return;
        const x = toDouble(value);
        count++;
        const delta = x - mean;
        mean += delta / count;
        m2 += delta * (x - mean);
      },
      result: () => {
        const n = sample ? count - 1 : count;
        return n <= 0 ? null : double(Math.sqrt(m2 / n));
      },
    };
  };
}

export const accumulators: Record<string, AccumulatorFactory> = {
  $sum: sumAccumulator,
  $avg: avgAccumulator,
  $min: extremeAccumulator(-1),
  $max: extremeAccumulator(1),
  $first: firstAccumulator,
  $last: lastAccumulator,
  $push: pushAccumulator,
  $addToSet: addToSetAccumulator,
  $count: countAccumulator,
  $mergeObjects: mergeObjectsAccumulator,
  $stdDevPop: stdDevAccumulator(false),
  $stdDevSamp: stdDevAccumulator(true),
  ...nAccumulators,
};

/** The expression form: one array operand means its elements, otherwise the operands themselves. */
function accumulatorExpression(factory: AccumulatorFactory): OperatorFn {
  return (args, scope) => {
    const values = evaluateArgs(args, scope);
    const items = values.length === 1 && Array.isArray(values[0]) ? values[0] : values;
    const acc = factory(scope.collator);
    for (const item of items) acc.add(item);
    return acc.result();
  };
}

export const accumulatorExpressions: Record<string, OperatorFn> = {
  $sum: accumulatorExpression(sumAccumulator),
  $avg: accumulatorExpression(avgAccumulator),
  $min: accumulatorExpression(extremeAccumulator(-1)),
  $max: accumulatorExpression(extremeAccumulator(1)),
  $stdDevPop: accumulatorExpression(stdDevAccumulator(false)),
  $stdDevSamp: accumulatorExpression(stdDevAccumulator(true)),
};

export function accumulatorFor(name: string): AccumulatorFactory {
  const factory = accumulators[name];
  if (!factory) throw mongoError('Location15952', `unknown group operator '${name}'`);
  return factory;
}

