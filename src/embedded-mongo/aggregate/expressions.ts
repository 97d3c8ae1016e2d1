/**
 * Aggregation expressions: `evaluateExpression(expr, root, vars?)` is the entry point used by `$expr` in the
 * matcher, by find projections, by pipeline-style updates and by the pipeline stages.
 */
import type { Collator } from '../types';
import { createScope, evaluate, registerOperators } from './evaluate';
import { accumulatorExpressions } from './accumulators';
import { nArrayOperators } from './accumulators-n';
import { arithmeticOperators } from './operators/arithmetic';
import { arrayOperators } from './operators/arrays';
import { conversionOperators } from './operators/conversion';
import { dateOperators } from './operators/dates';
import { logicOperators } from './operators/logic';
import { miscOperators } from './operators/misc';
import { stringOperators } from './operators/strings';

registerOperators(arithmeticOperators);
registerOperators(logicOperators);
registerOperators(stringOperators);
registerOperators(arrayOperators);
registerOperators(conversionOperators);
registerOperators(dateOperators);
registerOperators(accumulatorExpressions);
registerOperators(nArrayOperators);
registerOperators(miscOperators);

export interface ExpressionOptions {
  /** `$$NOW`; defaults to the current time. Pass the command's clock so every document sees one instant. */
  now?: Date;
  collator?: Collator;
  /** The root document's text score (`{$meta: 'textScore'}`), when a `$text` search returned it. */
  textScore?: number;
}

/**
 * Evaluates an aggregation expression against `root` (also `$$CURRENT`). `vars` are user variables (`$$name`).
 * Returns undefined for a missing value. Throws MongoServerError (168 for an unknown operator, etc.).
 */
export function evaluateExpression(expr: unknown, root: unknown, vars?: Record<string, unknown>, options: ExpressionOptions = {}): unknown {
  return evaluate(expr, createScope(root, { vars, now: options.now, collator: options.collator, textScore: options.textScore }));
}

export { checkExpression, createScope, evaluate, readFieldPath, parseFieldPath, type Scope } from './evaluate';
