/** explain of find, aggregate, count, distinct, update, delete and findAndModify. */
import { mongoError } from '../errors';
import type { Document } from '../types';
import { collectionArg, isDocument, optionalDocument, optionalHint, optionalString, readRequest } from './args';
import { checkCommandFields, checkNestedFields, DELETE_STATEMENT_FIELDS, UPDATE_STATEMENT_FIELDS } from './command-fields';
import type { CommandHandler, Invocation } from './context';
import { parseAggregate, viewAggregate } from './aggregate';
import { explainReply, type ExplainTarget, type Verbosity } from './explain-plan';
import { optionalLet } from './matching';
import { findStages, parseCount, parseDistinct, parseFind } from './reads';
import { notACollection, resolveView } from './views';

const VERBOSITIES = new Set(['queryPlanner', 'executionStats', 'allPlansExecution']);

function firstStatement(body: Document, field: string, command: string): Document {
  const list = body[field];
  if (!Array.isArray(list) || list.length === 0 || !isDocument(list[0])) {
    throw mongoError('FailedToParse', `explain of ${command} needs at least one statement in '${field}'`);
  }
  return list[0];
}

function explainTarget(inner: Document): ExplainTarget {
  const name = Object.keys(inner)[0];
  switch (name) {
    case 'find': {
      const parsed = parseFind(inner);
      return { find: { coll: parsed.coll, request: parsed.request, skip: parsed.skip, limit: parsed.limit } };
    }
    case 'aggregate':
      return { aggregate: parseAggregate(inner) };
    case 'count': {
      const parsed = parseCount(inner);
      return { find: parsed };
    }
    case 'distinct': {
      const parsed = parseDistinct(inner);
      return { find: { coll: parsed.coll, request: parsed.request } };
    }
    case 'update': {
      const stmt = firstStatement(inner, 'updates', 'update');
      checkNestedFields('update.updates', stmt, UPDATE_STATEMENT_FIELDS);
      return { find: { coll: collectionArg(inner, 'update'), request: readRequest(stmt, 'q', 'update') } };
    }
    case 'delete': {
      const stmt = firstStatement(inner, 'deletes', 'delete');
      checkNestedFields('delete.deletes', stmt, DELETE_STATEMENT_FIELDS);
      return { find: { coll: collectionArg(inner, 'delete'), request: readRequest(stmt, 'q', 'delete') } };
    }
    case 'findAndModify':
    case 'findandmodify': {
      const request = readRequest(inner, 'query', name);
      request.sort = optionalDocument(inner, 'sort', name);
      return { find: { coll: collectionArg(inner, name), request } };
    }
    default:
      throw mongoError('CommandNotFound', `Explain failed due to unknown command: ${name ?? ''}`);
  }
}

/**
 * The explain of a read of a view is that of the aggregation mongod runs instead: over the view's collection, with
 * the view's pipeline in front. Writes cannot address a view.
 */
function explainTargetOnView(inv: Invocation, inner: Document): ExplainTarget | undefined {
  const name = Object.keys(inner)[0];
  const coll = inner[name ?? ''];
  if (typeof coll !== 'string') return undefined;
  const view = resolveView(inv.ctx.storage, inv.db, coll);
  if (!view) return undefined;
  const options = { collation: inner.collation, hint: optionalHint(inner, name ?? 'explain') };
  switch (name) {
    case 'find':
      return { aggregate: viewAggregate(view, findStages(parseFind(inner)), options) };
    case 'count':
      return { aggregate: viewAggregate(view, findStages(parseCount(inner)), options) };
    case 'distinct':
      return { aggregate: viewAggregate(view, findStages({ ...parseDistinct(inner), skip: 0, limit: Infinity }), options) };
    case 'aggregate':
      return { aggregate: viewAggregate(view, parseAggregate(inner).pipeline, options) };
    default:
      throw notACollection(inv.db, coll);
  }
}

const explain: CommandHandler = async (inv) => {
  const inner = inv.body.explain;
  if (!isDocument(inner)) throw mongoError('FailedToParse', 'explain command requires a nested object');
  const verbosity = optionalString(inv.body, 'verbosity', 'explain') ?? 'allPlansExecution';
  if (!VERBOSITIES.has(verbosity)) throw mongoError('FailedToParse', `verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`);
  const innerName = Object.keys(inner)[0];
  if (innerName !== undefined) checkCommandFields(innerName, inner);
  const target = explainTargetOnView(inv, inner) ?? explainTarget(inner);
  const variables = optionalLet(inner, Object.keys(inner)[0] ?? 'explain', new Date(), undefined);
  return explainReply(inv, target, verbosity as Verbosity, variables);
};

export const explainCommands: Record<string, CommandHandler> = { explain };
