/** $redact (field-level access decisions with $$DESCEND, $$PRUNE and $$KEEP) and $documents. */
import { defineField } from '../../bson/fields';
import { mongoError } from '../../errors';
import type { Document } from '../../types';
import { checkExpression, evaluate, type Scope } from '../evaluate';
import { describeValue, isDocument } from '../values';
import { documentScope, keepMetadata } from './scope';
import type { PipelineContext, Stage } from './types';

const KEEP = Symbol('$$KEEP');
const PRUNE = Symbol('$$PRUNE');
const DESCEND = Symbol('$$DESCEND');

function decide(expr: unknown, current: Document, scope: Scope): symbol {
  const decision = evaluate(expr, { ...scope, current });
  if (decision === KEEP || decision === PRUNE || decision === DESCEND) return decision;
  throw mongoError('Location17053', `$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned ${describeValue(decision)}`);
}

function redactValue(value: unknown, expr: unknown, scope: Scope): unknown {
  if (isDocument(value)) return redactDocument(value, expr, scope);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const element of value) {
      const kept = redactValue(element, expr, scope);
      if (kept !== undefined) out.push(kept);
    }
    return out;
  }
  return value;
}

/** undefined when the document is pruned. */
function redactDocument(doc: Document, expr: unknown, scope: Scope): Document | undefined {
  const decision = decide(expr, doc, scope);
  if (decision === KEEP) return doc;
  if (decision === PRUNE) return undefined;
  const out: Document = {};
  for (const [key, value] of Object.entries(doc)) {
    const kept = redactValue(value, expr, scope);
    if (kept !== undefined) defineField(out, key, kept);
  }
  return out;
}

export function compileRedact(spec: unknown, ctx: PipelineContext): Stage {
  checkExpression(spec);
  return (docs) => {
    const out: Document[] = [];
    for (const doc of docs) {
      const base = documentScope(doc, ctx);
      const vars = new Map(base.vars);
      vars.set('KEEP', KEEP);
      vars.set('PRUNE', PRUNE);
      vars.set('DESCEND', DESCEND);
      const kept = redactDocument(doc, spec, { ...base, vars });
      if (kept) out.push(keepMetadata(ctx, doc, kept));
    }
    return out;
  };
}

/** `{$documents: <array expression>}`: the stage's output replaces its input (used with `aggregate: 1`). */
export function compileDocuments(spec: unknown, ctx: PipelineContext): Stage {
  checkExpression(spec);
  return () => {
    const value = evaluate(spec, documentScope({}, ctx));
    if (!Array.isArray(value) || !value.every(isDocument)) {
      throw mongoError('Location5858203', 'error during lookup of $documents: $documents must evaluate to an array of objects');
    }
    return value;
  };
}
