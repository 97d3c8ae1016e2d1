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
  return { root: doc, current: doc, vars: variablesOf(ctx), now: ctx.now, collator: ctx.collator, textScore: ctx.textScores?.get(doc) };
}

/** `to` was made from `from` by a per-document stage: it keeps `from`'s text score, as in mongod. */
export function keepMetadata(ctx: PipelineContext, from: Document, to: Document): Document {
  const score = ctx.textScores?.get(from);
  if (score !== undefined) ctx.textScores?.set(to, score);
  return to;
}

/** Maps each document through `transform`, the results keeping their inputs' metadata. */
export function mapKeepingMetadata(docs: Document[], ctx: PipelineContext, transform: (doc: Document) => Document): Document[] {
  return ctx.textScores ? docs.map((doc) => keepMetadata(ctx, doc, transform(doc))) : docs.map(transform);
}
