/**
 * Pipeline-style updates (`[{$set: ...}, {$unset: ...}]`): the stages MongoDB allows inside an update. `$set`,
 * `$addFields`, `$unset` and `$project` are the aggregation stages themselves (`aggregate/project.ts`); `$replaceRoot`
 * and `$replaceWith` parse as in aggregation and differ only in the error an update reports for a non-document.
 */
import { mongoError } from '../errors';
import { checkExpression, createScope, evaluate, type Scope } from '../aggregate/expressions';
import { compileAddFields, compileProjection, compileUnset } from '../aggregate/project';
import { newRootOf } from '../aggregate/stages/basic';
import { typeName } from '../aggregate/values';
import { isPlainDocument } from '../query/paths';
import type { Collator, Document } from '../types';
import { formatValue } from './format';
import type { ApplyContext } from './walk';

type Stage = (doc: Document, scope: Scope) => Document;

function replacementOf(value: unknown, doc: Document): Document {
  if (!isPlainDocument(value)) {
    throw mongoError(
      'BadValue',
      `'replacement document' must evaluate to an object, but resulting value was: ${formatValue(value)}. Type of resulting value: '${typeName(value)}'. Input document: ${formatValue(doc)}`,
    );
  }
  return value;
}

function compileReplaceStage(stage: string, spec: unknown): Stage {
  const expr = stage === '$replaceRoot' ? newRootOf(spec) : spec;
  checkExpression(expr);
  return (doc, scope) => replacementOf(evaluate(expr, scope), doc);
}

function compileProjectStage(spec: unknown): Stage {
  const projection = compileProjection(spec);
  return (doc, scope) => projection.apply(doc, scope);
}

const KNOWN_STAGES_NOT_ALLOWED = new Set([
  '$match', '$group', '$sort', '$limit', '$skip', '$lookup', '$unwind', '$facet', '$out', '$merge', '$count',
  '$sample', '$bucket', '$bucketAuto', '$graphLookup', '$sortByCount', '$densify', '$fill', '$redact', '$geoNear',
  '$unionWith', '$setWindowFields', '$documents', '$collStats', '$indexStats',
]);

function compileStage(stage: unknown): Stage {
  if (!isPlainDocument(stage) || Object.keys(stage).length !== 1) {
    throw mongoError('FailedToParse', 'A pipeline stage specification object must contain exactly one field.');
  }
  const [name, spec] = Object.entries(stage)[0];
  switch (name) {
    case '$set':
    case '$addFields':
      return compileAddFields(spec, name);
    case '$unset':
      return compileUnset(spec);
    case '$project':
      return compileProjectStage(spec);
    case '$replaceWith':
    case '$replaceRoot':
      return compileReplaceStage(name, spec);
    default:
      if (KNOWN_STAGES_NOT_ALLOWED.has(name)) {
        throw mongoError('InvalidOptions', `${name} is not allowed to be used within an update`);
      }
      throw mongoError('Location40324', `Unrecognized pipeline stage name: '${name}'`);
  }
}

/** `variables` are the `$$name` variables: the update statement's `c` constants and the command's `let`. */
export function compilePipelineUpdate(
  pipeline: unknown[],
  collator: Collator | undefined,
  variables: Record<string, unknown> | undefined,
): (doc: Document, ctx: ApplyContext) => Document {
  const stages = pipeline.map(compileStage);
  const vars = new Map(Object.entries(variables ?? {}));
  // Each stage sees the previous stage's output as $$ROOT and $$CURRENT, and the command's one $$NOW.
  return (doc, ctx) => stages.reduce((result, stage) => stage(result, createScope(result, { vars, now: ctx.now, collator })), doc);
}
