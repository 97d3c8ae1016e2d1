/** Builds explain output (queryPlanner / executionStats) from the storage engine's PlanInfo. */
import type { Document, FindRequest, PlanInfo } from '../types';
import { createCollator } from '../query/collation';
import type { Invocation } from './context';
import { findMatching, plainScope, storageReader, type Variables } from './matching';
import type { ParsedAggregate } from './aggregate';
import { SERVER_VERSION } from './handshake';

export type ExplainTarget =
  | { find: { coll: string; request: FindRequest; skip?: number; limit?: number } }
  | { aggregate: ParsedAggregate };

export type Verbosity = 'queryPlanner' | 'executionStats' | 'allPlansExecution';

/** MongoDB shows an index scan as FETCH over IXSCAN, and an in-memory sort as SORT above the access stage. */
export function planStages(plan: PlanInfo, sort: Document | undefined): Document {
  let stage: Document;
  switch (plan.stage) {
    case 'IXSCAN':
      stage = {
        stage: 'FETCH',
        inputStage: {
          stage: 'IXSCAN',
          keyPattern: plan.keyPattern ?? {},
          indexName: plan.indexName ?? '',
          isMultiKey: false,
          direction: 'forward',
        },
      };
      break;
    case 'IDHACK':
      stage = { stage: 'IDHACK' };
      break;
    case 'EOF':
      stage = { stage: 'EOF' };
      break;
    case 'TEXT':
      stage = textStages(plan);
      break;
    default:
      stage = { stage: 'COLLSCAN', direction: 'forward' };
  }
  const sorted = plan.providesSort && plan.stage !== 'TEXT';
  if (sort && Object.keys(sort).length > 0 && !sorted) stage = { stage: 'SORT', sortPattern: sort, inputStage: stage };
  return stage;
}

/** mongod's `$text` plan: TEXT_MATCH (negations, phrases) over TEXT_OR (scores) over one IXSCAN per term. */
function textStages(plan: PlanInfo): Document {
  const text = plan.text ?? { indexPrefix: {}, parsedTextQuery: {}, textIndexVersion: 3, terms: [] };
  const scans = text.terms.map(() => ({
    stage: 'IXSCAN',
    keyPattern: plan.keyPattern ?? {},
    indexName: plan.indexName ?? '',
    isMultiKey: true,
    isUnique: false,
    isSparse: false,
    isPartial: false,
    indexVersion: 2,
    direction: 'backward',
    indexBounds: {},
  }));
  const textOr: Document = scans.length === 1 ? { stage: 'TEXT_OR', inputStage: scans[0] } : { stage: 'TEXT_OR', inputStages: scans };
  return {
    stage: 'TEXT_MATCH',
    indexPrefix: text.indexPrefix,
    indexName: plan.indexName ?? '',
    parsedTextQuery: text.parsedTextQuery,
    textIndexVersion: text.textIndexVersion,
    inputStage: textOr,
  };
}

/** `variables`: the explained command's `let`, for the `$expr` of its filter. */
export function explainReply(inv: Invocation, target: ExplainTarget, verbosity: Verbosity, variables?: Variables): Document {
  const started = Date.now();
  const { coll, request, stages } = 'find' in target
    ? { coll: target.find.coll, request: target.find.request, stages: undefined }
    : { coll: target.aggregate.coll, request: target.aggregate.request, stages: target.aggregate.rest };
  const result = coll === undefined
    ? { docs: [], plan: { stage: 'EOF', providesSort: true, docsExamined: 0, keysExamined: 0 } as PlanInfo }
    : findMatching(storageReader(inv, coll), request, plainScope(createCollator(request.collation), new Date(), variables));
  const winningPlan = planStages(result.plan, request.sort);
  const queryPlanner: Document = {
    plannerVersion: 1,
    namespace: `${inv.db}.${coll ?? '$cmd.aggregate'}`,
    indexFilterSet: false,
    parsedQuery: request.filter,
    winningPlan,
    rejectedPlans: [],
  };
  const reply: Document = { explainVersion: '1', queryPlanner };
  if (verbosity !== 'queryPlanner') {
    let returned = result.docs.length;
    if ('find' in target) returned = Math.max(0, Math.min(returned - (target.find.skip ?? 0), target.find.limit ?? Infinity));
    reply.executionStats = {
      executionSuccess: true,
      nReturned: returned,
      executionTimeMillis: Date.now() - started,
      totalKeysExamined: result.plan.keysExamined,
      totalDocsExamined: result.plan.docsExamined,
      executionStages: { ...winningPlan, nReturned: returned },
    };
  }
  if (stages) reply.stages = [{ $cursor: { queryPlanner } }, ...stages];
  reply.serverInfo = { host: inv.ctx.identity.host, port: inv.ctx.identity.port, version: SERVER_VERSION };
  reply.command = inv.body;
  reply.ok = 1;
  return reply;
}
