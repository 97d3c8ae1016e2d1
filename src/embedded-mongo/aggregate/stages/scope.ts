import type { Document } from '../../types';
import type { Scope } from '../evaluate';
import type { PipelineContext } from './types';

const variableMaps = new WeakMap<PipelineContext, ReadonlyMap<string, unknown>>();

function variablesOf(ctx: PipelineContext): ReadonlyMap<string, unknown> {
  let vars = variableMaps.get(ctx);
  if (!vars) {
    vars = new Map(Object.entries(ctx.variables ?? {}));
    variableMaps.set(ctx, vars);
  }
  return vars;
}

/** The expression scope for one document of a stage. */
export function documentScope(doc: Document, ctx: PipelineContext): Scope {
  return { root: doc, current: doc, vars: variablesOf(ctx), now: ctx.now, collator: ctx.collator };
}
