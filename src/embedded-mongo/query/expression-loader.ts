/**
 * The aggregation expression evaluator, loaded on first use: the query modules must load (and work for everything
 * but `$expr` and computed projections) even when the aggregation module is missing or broken.
 */
import { mongoError } from '../errors';
import type { Collator } from '../types';

/** What an expression sees beside its document: `$$NOW` (one instant per command), the collation and `$$name` variables. */
export interface ExpressionEnv {
  now?: Date;
  collator?: Collator;
  variables?: Record<string, unknown>;
}

export type EvaluateExpression = (
  expr: unknown,
  root: unknown,
  vars?: Record<string, unknown>,
  options?: { now?: Date; collator?: Collator },
) => unknown;

let cached: EvaluateExpression | undefined;

export function loadEvaluateExpression(): EvaluateExpression {
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod: unknown = require('../aggregate/expressions');
  const fn: unknown = typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>).evaluateExpression : undefined;
  if (typeof fn !== 'function') throw mongoError('NotImplemented', 'aggregation expressions are not available');
  cached = fn as EvaluateExpression;
  return cached;
}

/** Validates an expression at compile time when the aggregation module offers `checkExpression`. */
export function checkExpressionIfAvailable(expr: unknown): void {
  let mod: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('../aggregate/expressions');
  } catch {
    return;
  }
  const fn: unknown = typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>).checkExpression : undefined;
  if (typeof fn === 'function') (fn as (e: unknown) => void)(expr);
}
