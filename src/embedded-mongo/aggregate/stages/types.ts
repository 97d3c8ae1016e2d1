import type { Binary } from 'bson';
import type { Collator, Document } from '../../types';

/** One logical session of the server, as `$listLocalSessions` and `$listSessions` report it. */
export interface LogicalSessionRecord {
  id: Binary;
  lastUse: Date;
}

/** What a pipeline needs from the command that runs it. */
export interface PipelineContext {
  /** The database the aggregate command runs in (the default for $lookup/$out/$unionWith). */
  db: string;
  collator?: Collator;
  /** `$$NOW` for the whole command. */
  now: Date;
  /** Reads a collection (missing → []). The documents are shared: they are never mutated. */
  readCollection(db: string, coll: string, filter?: Document): Document[] | Promise<Document[]>;
  /** Replaces a collection's contents ($out). */
  writeCollection(db: string, coll: string, docs: Document[]): Promise<void>;
  /** User variables: the aggregate command's `let`, or a $lookup's `let` inside its sub-pipeline. */
  variables?: Record<string, unknown>;
  /** The collection the aggregate command names; undefined for a database-level aggregate (`aggregate: 1`). */
  collection?: string;
  /** The server's logical sessions ($listLocalSessions, $listSessions). */
  logicalSessions?: () => LogicalSessionRecord[];
  /**
   * Checks a parsed $merge against the server (the unique index behind `on`, no transaction) and returns the
   * function that writes the stage's input into its target.
   */
  prepareMerge?(spec: MergeSpec): (docs: Document[]) => Promise<void>;
  /**
   * Set when the pipeline starts with a `$match` holding `$text`: each document's text score (`{$meta:
   * 'textScore'}`). Stages that turn one document into another (or several) give the new ones the score too.
   */
  textScores?: Map<Document, number>;
}

/** A parsed `$merge` (aggregate/stages/merge.ts); the command layer does the writing (commands/merge.ts). */
export interface MergeSpec {
  db: string;
  coll: string;
  /** The fields that identify a target document: `['_id']` unless `on` was given. */
  on: string[];
  /** Whether `on` was given: only then must a unique index back it. */
  onGiven: boolean;
  whenMatched: 'replace' | 'keepExisting' | 'merge' | 'fail' | 'pipeline';
  /** The `whenMatched` pipeline, run as an update pipeline against the matched target document. */
  pipeline?: Document[];
  /** Variables of the `whenMatched` pipeline: expressions over the source document (`new` is `$$ROOT`). */
  let?: Document;
  whenNotMatched: 'insert' | 'discard' | 'fail';
}

/** One parsed stage: validated when the pipeline is parsed, run over the whole document list. */
export type Stage = (docs: Document[]) => Document[] | Promise<Document[]>;

export interface StageCompiler {
  (spec: unknown, ctx: PipelineContext, compileSubPipeline: SubPipelineCompiler): Stage;
}

/** Compiles a nested pipeline ($facet, $lookup, $unionWith) with the given context. */
export type SubPipelineCompiler = (pipeline: unknown, ctx: PipelineContext, where: string) => (docs: Document[]) => Promise<Document[]>;
