/**
 * $match through the query matcher, with the command's `$$NOW` and collation. User variables (a $lookup's or the
 * command's `let`) are inlined into each `$expr` as literals first, so an undefined one fails when the stage is parsed.
 */
import { defineField } from '../../bson/fields';
import { mongoError } from '../../errors';
import { compileFilter } from '../../query/matcher';
import { textClauseOf } from '../../text/filter';
import type { Document } from '../../types';
import { evaluate, type Scope } from '../evaluate';
import { isDocument } from '../values';
import type { PipelineContext, Stage } from './types';

const SYSTEM_VARIABLES = new Set(['ROOT', 'CURRENT', 'REMOVE']);

export function compileMatch(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec)) throw mongoError('Location15959', 'the match filter must be an expression in an object');
  // A leading $match with $text is answered by the text index before the pipeline runs (commands/aggregate.ts).
  if (textClauseOf(spec)) throw mongoError('Location17313', '$match with $text is only allowed as the first pipeline stage');
  const filter = mentionsVariables(spec) ? inlineFilterVariables(spec, ctx.variables ?? {}, ctx) : spec;
  const matcher = compileFilter(filter, { collator: ctx.collator, now: ctx.now });
  return (docs) => docs.filter((doc) => matcher.test(doc));
}

function mentionsVariables(v: unknown): boolean {
  if (typeof v === 'string') return v.startsWith('$$');
  if (Array.isArray(v)) return v.some(mentionsVariables);
  if (isDocument(v)) return Object.values(v).some(mentionsVariables);
  return false;
}

/** Walks the query structure ($and/$or/$nor) and rewrites each `$expr`; field conditions are left alone. */
function inlineFilterVariables(filter: Document, vars: Record<string, unknown>, ctx: PipelineContext): Document {
  const scope: Scope = { root: {}, current: {}, vars: new Map(Object.entries(vars)), now: ctx.now, collator: ctx.collator };
  const out: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$expr') out[key] = inlineVariables(value, scope, new Set());
    else if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      out[key] = value.map((clause) => (isDocument(clause) ? inlineFilterVariables(clause, vars, ctx) : clause));
    } else defineField(out, key, value);
  }
  return out;
}

function inlineVariables(expr: unknown, scope: Scope, shadowed: ReadonlySet<string>): unknown {
  if (typeof expr === 'string') {
    if (!expr.startsWith('$$')) return expr;
    const name = expr.slice(2).split('.')[0];
    if (SYSTEM_VARIABLES.has(name) || shadowed.has(name)) return expr;
    return { $literal: evaluate(expr, scope) };
  }
  if (Array.isArray(expr)) return expr.map((e) => inlineVariables(e, scope, shadowed));
  if (!isDocument(expr)) return expr;
  const keys = Object.keys(expr);
  if (keys.length === 1 && keys[0].startsWith('$')) return inlineOperator(keys[0], expr[keys[0]], scope, shadowed);
  const out: Document = {};
  for (const key of keys) defineField(out, key, inlineVariables(expr[key], scope, shadowed));
  return out;
}

/** Operators that bind variables shadow outer ones inside their bodies. */
function inlineOperator(name: string, args: unknown, scope: Scope, shadowed: ReadonlySet<string>): unknown {
  if (name === '$literal') return { $literal: args };
  if (!isDocument(args)) return { [name]: inlineVariables(args, scope, shadowed) };
  const bound = boundVariables(name, args);
  const out: Document = {};
  for (const [key, value] of Object.entries(args)) {
    const isBody = (name === '$let' && key === 'in') || ((name === '$map' || name === '$reduce') && key === 'in') || (name === '$filter' && key === 'cond');
    defineField(out, key, inlineVariables(value, scope, isBody ? new Set([...shadowed, ...bound]) : shadowed));
  }
  return { [name]: out };
}

function boundVariables(name: string, args: Document): string[] {
  if (name === '$let' && isDocument(args.vars)) return Object.keys(args.vars);
  if (name === '$map' || name === '$filter') return [typeof args.as === 'string' ? args.as : 'this'];
  if (name === '$reduce') return ['value', 'this'];
  return [];
}
