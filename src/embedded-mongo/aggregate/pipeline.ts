/**
 * `runPipeline(input, pipeline, ctx)`: parses and validates every stage first (so errors do not depend on the
 * data), then runs them in order over the whole document list. The result never shares objects with the input.
 */
import { deepClone } from '../bson/clone';
import { mongoError } from '../errors';
import type { Document } from '../types';
import './expressions';
import {
  addFieldsCompiler,
  compileCount,
  compileLimit,
  compileOut,
  compileProject,
  compileReplaceRoot,
  compileReplaceWith,
  compileSample,
  compileSkip,
  compileSortStage,
  compileUnsetStage,
  compileUnwind,
} from './stages/basic';
import { compileBucket, compileBucketAuto, compileGroup, compileSortByCount } from './stages/group';
import { compileGraphLookup, compileLookup, compileUnionWith } from './stages/lookup';
import { compileMatch } from './stages/match';
import { compileMerge } from './stages/merge';
import { compileDocuments, compileRedact } from './stages/redact';
import { compileListLocalSessions, compileListSessions } from './stages/sessions';
import { compileSetWindowFields } from './stages/window';
import type { PipelineContext, Stage, StageCompiler, SubPipelineCompiler } from './stages/types';
import { isDocument } from './values';

export type { PipelineContext } from './stages/types';

const STAGES: Record<string, StageCompiler> = {
  $match: compileMatch,
  $project: compileProject,
  $addFields: addFieldsCompiler('$addFields'),
  $set: addFieldsCompiler('$set'),
  $unset: compileUnsetStage,
  $group: compileGroup,
  $sort: compileSortStage,
  $limit: compileLimit,
  $skip: compileSkip,
  $unwind: compileUnwind,
  $lookup: compileLookup,
  $graphLookup: compileGraphLookup,
  $unionWith: compileUnionWith,
  $count: compileCount,
  $facet: compileFacet,
  $replaceRoot: compileReplaceRoot,
  $replaceWith: compileReplaceWith,
  $sortByCount: compileSortByCount,
  $bucket: compileBucket,
  $bucketAuto: compileBucketAuto,
  $sample: compileSample,
  $out: compileOut,
  $merge: compileMerge,
  $setWindowFields: compileSetWindowFields,
  $redact: compileRedact,
  $documents: compileDocuments,
  $listLocalSessions: compileListLocalSessions,
  $listSessions: compileListSessions,
};

/** Stages that write or inspect the server and so may not run inside $facet. */
const FACET_FORBIDDEN = new Set(['$out', '$merge', '$facet', '$collStats', '$indexStats', '$geoNear', '$changeStream']);
const LAST_ONLY = new Set(['$out', '$merge']);
/** Stages that produce the pipeline's input rather than transform it. */
const FIRST_ONLY = new Set(['$documents', '$listLocalSessions', '$listSessions']);

function stageName(stage: unknown): string {
  if (!isDocument(stage)) throw mongoError('Location40323', 'A pipeline stage specification object must contain exactly one field.');
  const keys = Object.keys(stage);
  if (keys.length !== 1) throw mongoError('Location40323', 'A pipeline stage specification object must contain exactly one field.');
  return keys[0];
}

function parsePipeline(pipeline: unknown, ctx: PipelineContext, where?: string): Stage[] {
  if (!Array.isArray(pipeline)) throw mongoError('TypeMismatch', "'pipeline' option must be specified as an array");
  return pipeline.map((stage, index) => {
    const name = stageName(stage);
    const compiler = STAGES[name];
    if (!compiler) throw mongoError('Location40324', `Unrecognized pipeline stage name: '${name}'`);
    if (where === '$facet' && FACET_FORBIDDEN.has(name)) {
      throw mongoError('Location40600', `${name} is not allowed to be used within a $facet stage`);
    }
    if (where === '$lookup' && LAST_ONLY.has(name)) {
      throw mongoError('Location51047', `${name} is not allowed within a $lookup's sub-pipeline`);
    }
    if (where === '$unionWith' && LAST_ONLY.has(name)) {
      throw mongoError('Location31441', `${name} is not allowed within a $unionWith's sub-pipeline`);
    }
    if (FIRST_ONLY.has(name) && index !== 0) {
      throw mongoError('Location40602', `${name} is only valid as the first stage in a pipeline`);
    }
    if (LAST_ONLY.has(name) && index !== pipeline.length - 1) {
      throw mongoError('Location40601', `${name} can only be the final stage in the pipeline`);
    }
    return compiler((stage as Document)[name], ctx, compileSubPipeline);
  });
}

async function runStages(stages: Stage[], input: Document[]): Promise<Document[]> {
  let docs = input;
  for (const stage of stages) docs = await stage(docs);
  return docs;
}

const compileSubPipeline: SubPipelineCompiler = (pipeline, ctx, where) => {
  const stages = parsePipeline(pipeline, ctx, where);
  return (docs) => runStages(stages, docs);
};

function compileFacet(spec: unknown, ctx: PipelineContext): Stage {
  if (!isDocument(spec) || Object.keys(spec).length === 0) {
    throw mongoError('Location40169', 'the $facet specification must be a non-empty object');
  }
  const facets = Object.entries(spec).map(([name, pipeline]) => {
    if (name === '' || name.startsWith('$') || name.includes('.')) {
      throw mongoError('Location40183', `$facet output field name '${name}' is invalid: it must not be empty, start with '$' or contain '.'`);
    }
    if (!Array.isArray(pipeline)) throw mongoError('Location40170', `arguments to $facet must be arrays, ${name} is type ${typeof pipeline}`);
    if (pipeline.length === 0) throw mongoError('Location40172', 'sub-pipeline in $facet stage cannot be empty');
    if (!pipeline.every(isDocument)) throw mongoError('Location40171', 'elements of arrays in $facet spec must be non-empty objects');
    return { name, run: compileSubPipeline(pipeline, ctx, '$facet') };
  });
  return async (docs) => {
    const out: Document = {};
    for (const facet of facets) out[facet.name] = await facet.run(docs);
    return [out];
  };
}

/** Parses and validates every stage of `pipeline` (a view's definition, say) without running it. */
export function validatePipeline(pipeline: unknown, ctx: PipelineContext): void {
  parsePipeline(pipeline, ctx);
}

/**
 * Runs an aggregation pipeline over `input` (shared, read-only documents) and returns fresh documents.
 * Throws MongoServerError with MongoDB's codes (40324 unknown stage, 40323 malformed stage, …).
 */
export async function runPipeline(input: Document[], pipeline: unknown, ctx: PipelineContext): Promise<Document[]> {
  const stages = parsePipeline(pipeline, ctx);
  const output = await runStages(stages, input);
  return output.map((doc) => deepClone(doc));
}
