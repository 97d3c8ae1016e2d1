/**
 * The aggregation expression evaluator, loaded on first use: `aggregate/` imports the matcher ($match, $lookup), so
 * the query modules cannot import it back when they load.
 */
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
  options?: { now?: Date; collator?: Collator; textScore?: number },
) => unknown;

interface ExpressionModule {
  evaluateExpression: EvaluateExpression;
  checkExpression(expr: unknown): void;
}

let loaded: ExpressionModule | undefined;

function expressionModule(): ExpressionModule {
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod: unknown = require('../aggregate/expressions');
  const candidate = (typeof mod === 'object' && mod !== null ? mod : {}) as Partial<Record<keyof ExpressionModule, unknown>>;
  if (typeof candidate.evaluateExpression !== 'function' || typeof candidate.checkExpression !== 'function') {
    throw new Error('aggregate/expressions does not export evaluateExpression and checkExpression');
  }
  loaded = candidate as ExpressionModule;
  return loaded;
}

export function loadEvaluateExpression(): EvaluateExpression {
  return expressionModule().evaluateExpression;
}

/** Validates an expression when the filter or projection holding it is compiled, so empty inputs still fail. */
export function checkExpression(expr: unknown): void {
  expressionModule().checkExpression(expr);
}
