/**
 * `$changeStream` as mongod 7.0 parses it: the stage's options, where the stream may be opened (a collection, a
 * database, or the whole deployment from `admin` with `allChangesForCluster`), its starting point, and the
 * stages allowed after it. Every refusal uses mongod's code and message.
 */
import { Timestamp } from 'bson';
import { mongoError } from '../errors';
import { isPlainDocument } from '../query/paths';
import type { Document } from '../types';
import { decodeToken, isInvalidateSlot, type ResumeTokenData } from './resume-token';

export type StreamScope =
  | { kind: 'collection'; db: string; coll: string }
  | { kind: 'database'; db: string }
  | { kind: 'cluster' };

export type StreamStart =
  | { kind: 'now' }
  | { kind: 'resumeAfter' | 'startAfter'; token: ResumeTokenData }
  | { kind: 'startAtOperationTime'; ts: Timestamp };

export type FullDocumentMode = 'default' | 'updateLookup' | 'whenAvailable' | 'required';
export type FullDocumentBeforeChangeMode = 'off' | 'whenAvailable' | 'required';

export interface ChangeStreamSpec {
  scope: StreamScope;
  start: StreamStart;
  fullDocument: FullDocumentMode;
  fullDocumentBeforeChange: FullDocumentBeforeChangeMode;
  showExpandedEvents: boolean;
  /** Streams on a database or the deployment also report `system.*` collections. */
  showSystemEvents: boolean;
  /** The stages after `$changeStream`, run on each event. */
  pipeline: Document[];
}

/** The stages mongod lets follow `$changeStream`: they filter or reshape single events. */
const ALLOWED_STAGES = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$redact']);
const INTERNAL_DATABASES = new Set(['admin', 'config', 'local']);

const FULL_DOCUMENT_MODES: readonly FullDocumentMode[] = ['default', 'updateLookup', 'whenAvailable', 'required'];
const BEFORE_CHANGE_MODES: readonly FullDocumentBeforeChangeMode[] = ['off', 'whenAvailable', 'required'];
const BOOLEAN_OPTIONS = ['allChangesForCluster', 'showMigrationEvents', 'showSystemEvents', 'showExpandedEvents', 'allowToRunOnConfigDB', 'allowToRunOnSystemNS', 'showRawUpdateDescription'] as const;
const KNOWN_OPTIONS = new Set<string>(['resumeAfter', 'startAfter', 'startAtOperationTime', 'fullDocument', 'fullDocumentBeforeChange', ...BOOLEAN_OPTIONS]);

/** Whether an aggregate's pipeline is a change stream (`$changeStream` first); a later `$changeStream` is refused. */
export function isChangeStreamPipeline(pipeline: unknown): boolean {
  if (!Array.isArray(pipeline)) return false;
  pipeline.forEach((stage, index) => {
    if (index > 0 && isPlainDocument(stage) && '$changeStream' in stage) {
      throw mongoError('Location40602', '$changeStream is only valid as the first stage in a pipeline');
    }
  });
  const first: unknown = pipeline[0];
  return isPlainDocument(first) && Object.keys(first)[0] === '$changeStream';
}

/** `db` and `coll` (undefined for `aggregate: 1`) name where the aggregate runs. */
export function parseChangeStream(db: string, coll: string | undefined, pipeline: Document[]): ChangeStreamSpec {
  const stage = pipeline[0].$changeStream;
  if (!isPlainDocument(stage)) throw mongoError('Location50808', '$changeStream stage expects a document as argument');
  for (const key of Object.keys(stage)) {
    if (!KNOWN_OPTIONS.has(key)) throw mongoError('Location40415', `BSON field '$changeStream.${key}' is an unknown field.`);
  }
  const flags = Object.fromEntries(BOOLEAN_OPTIONS.map((name) => [name, booleanOption(stage, name)])) as Record<(typeof BOOLEAN_OPTIONS)[number], boolean>;
  if (flags.showRawUpdateDescription) {
    throw mongoError('BadValue', "$changeStream: 'showRawUpdateDescription' is not supported by the embedded server");
  }
  const scope = scopeOf(db, coll, flags);
  const start = startOf(stage);
  for (const [index, spec] of pipeline.slice(1).entries()) {
    const name = isPlainDocument(spec) ? Object.keys(spec)[0] : undefined;
    if (name !== undefined && !ALLOWED_STAGES.has(name)) throw mongoError('IllegalOperation', `${name} is not permitted in a $changeStream pipeline`);
    if (name === undefined) throw mongoError('Location40323', `A pipeline stage specification object must contain exactly one field (stage ${index + 1}).`);
  }
  return {
    scope,
    start,
    fullDocument: enumOption(stage, 'fullDocument', FULL_DOCUMENT_MODES, 'default'),
    fullDocumentBeforeChange: enumOption(stage, 'fullDocumentBeforeChange', BEFORE_CHANGE_MODES, 'off'),
    showExpandedEvents: flags.showExpandedEvents,
    showSystemEvents: flags.showSystemEvents,
    pipeline: pipeline.slice(1),
  };
}

function scopeOf(db: string, coll: string | undefined, flags: Record<(typeof BOOLEAN_OPTIONS)[number], boolean>): StreamScope {
  if (flags.allChangesForCluster && (db !== 'admin' || coll !== undefined)) {
    throw mongoError(
      'InvalidOptions',
      `A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name; found ${db}.${coll ?? '$cmd.aggregate'}`,
    );
  }
  if (db === 'admin') {
    if (!flags.allChangesForCluster) throw mongoError('InvalidNamespace', '$changeStream may not be opened on the internal admin database');
    return { kind: 'cluster' };
  }
  if (db === 'local' || (db === 'config' && !flags.allowToRunOnConfigDB)) {
    throw mongoError('InvalidNamespace', `$changeStream may not be opened on the internal ${db} database`);
  }
  if (coll === undefined) return { kind: 'database', db };
  if (coll.startsWith('system.') && !flags.allowToRunOnSystemNS) {
    throw mongoError('InvalidNamespace', `$changeStream may not be opened on the internal ${db}.${coll} collection`);
  }
  return { kind: 'collection', db, coll };
}

function startOf(stage: Document): StreamStart {
  const resumeAfter = stage.resumeAfter === undefined ? undefined : decodeToken(stage.resumeAfter, 'resumeAfter');
  const startAfter = stage.startAfter === undefined ? undefined : decodeToken(stage.startAfter, 'startAfter');
  const at = stage.startAtOperationTime;
  if (at !== undefined && !(at instanceof Timestamp)) {
    throw mongoError('TypeMismatch', "BSON field '$changeStream.startAtOperationTime' is the wrong type, expected type 'timestamp'");
  }
  if (resumeAfter && startAfter) throw mongoError('Location50865', "Do not specify both 'resumeAfter' and 'startAfter' in a $changeStream stage");
  const token = resumeAfter ?? startAfter;
  if (at && token) throw mongoError('Location40674', 'Only one type of resume option is allowed, but multiple were found');
  if (resumeAfter && resumeAfter.kind === 'event' && isInvalidateSlot(resumeAfter.slot)) {
    throw mongoError('InvalidResumeToken', "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification");
  }
  if (resumeAfter) return { kind: 'resumeAfter', token: resumeAfter };
  if (startAfter) return { kind: 'startAfter', token: startAfter };
  if (at) return { kind: 'startAtOperationTime', ts: at };
  return { kind: 'now' };
}

function booleanOption(stage: Document, name: string): boolean {
  const value = stage[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw mongoError('TypeMismatch', `BSON field '$changeStream.${name}' is the wrong type, expected type 'bool'`);
  return value;
}

function enumOption<T extends string>(stage: Document, name: string, values: readonly T[], fallback: T): T {
  const value = stage[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw mongoError('TypeMismatch', `BSON field '$changeStream.${name}' is the wrong type, expected type 'string'`);
  if (!(values as readonly string[]).includes(value)) {
    throw mongoError('BadValue', `Enumeration value '${value}' for field '$changeStream.${name}' is not a valid value.`);
  }
  return value as T;
}

/** Whether the stream reports changes of `ns` ("db.coll") at all (before its own pipeline). */
export function watchesNamespace(spec: Pick<ChangeStreamSpec, 'scope' | 'showSystemEvents'>, db: string, coll: string): boolean {
  const scope = spec.scope;
  if (scope.kind === 'collection') return scope.db === db && scope.coll === coll;
  if (coll.startsWith('system.') && !spec.showSystemEvents) return false;
  if (scope.kind === 'database') return scope.db === db;
  return !INTERNAL_DATABASES.has(db);
}

/** Whether the stream reports a dropDatabase of `db` (never on a collection stream: its drops invalidate it first). */
export function watchesDatabase(spec: Pick<ChangeStreamSpec, 'scope'>, db: string): boolean {
  const scope = spec.scope;
  if (scope.kind === 'collection') return false;
  if (scope.kind === 'database') return scope.db === db;
  return !INTERNAL_DATABASES.has(db);
}
