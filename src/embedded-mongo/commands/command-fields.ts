/**
 * The fields each command accepts, as a MongoDB 7.0 server parses them. Commands mongod parses with its IDL (strict
 * structs) refuse any other field with 40415 "BSON field '<command>.<field>' is an unknown field."; so do the
 * statements inside update and delete. The handshake and diagnostic commands (hello, ping, serverStatus…) are not
 * listed: they ignore fields they do not know, so the extras a driver puts in its handshake never break a connection.
 */
import { mongoError } from '../errors';
import type { Document } from '../types';

/** Arguments every command accepts (mongod's generic_argument.idl), whether or not it uses them. */
export const GENERIC_ARGUMENTS: ReadonlySet<string> = new Set([
  '$db', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'maxTimeMS', 'readConcern', 'writeConcern', 'lsid',
  'clientOperationKey', 'txnNumber', 'autocommit', 'startTransaction', 'stmtId', 'comment', '$readPreference',
  '$clusterTime', '$audit', '$client', '$configServerState', 'allowImplicitCollectionCreation', '$oplogQueryData',
  '$queryOptions', '$replData', 'databaseVersion', 'help', 'shardVersion', 'tracking_info', 'coordinator',
  'maxTimeMSOpOnly', 'usesDefaultMaxTimeMS', '$configTime', '$topologyTime', 'txnRetryCounter',
  'mayBypassWriteBlocking', '$tenant', 'expectPrefix',
]);

const WRITE_COMMAND_BASE = ['bypassDocumentValidation', 'ordered', 'stmtIds', 'isTimeseriesNamespace', 'collectionUUID', 'encryptionInformation'];

/** Each strictly parsed command's own fields (its name field included). */
const COMMAND_FIELDS: Readonly<Record<string, readonly string[]>> = {
  find: [
    'find', 'filter', 'projection', 'sort', 'hint', 'collation', 'skip', 'limit', 'batchSize', 'ntoreturn', 'singleBatch',
    'allowDiskUse', 'min', 'max', 'returnKey', 'showRecordId', 'tailable', 'oplogReplay', 'noCursorTimeout', 'awaitData',
    'allowPartialResults', 'let', 'options', 'term', 'readOnce', 'allowSpeculativeMajorityRead', '$_requestResumeToken',
    '$_resumeAfter', 'runtimeConstants', 'collectionUUID', 'encryptionInformation', 'sampleId', 'mirrored',
  ],
  getMore: ['getMore', 'collection', 'batchSize', 'term', 'lastKnownCommittedOpTime'],
  killCursors: ['killCursors', 'cursors'],
  aggregate: [
    'aggregate', 'pipeline', 'explain', 'allowDiskUse', 'cursor', 'bypassDocumentValidation', 'collation', 'hint', 'let',
    'needsMerge', 'fromMongos', 'exchange', 'runtimeConstants', 'isMapReduceCommand', 'collectionUUID',
    '$_passthroughToShard', 'encryptionInformation', 'sampleId', '$_requestReshardingResumeToken',
    '$_isClusterQueryWithoutShardKeyCmd', '$_requestResumeToken', '$_resumeAfter',
  ],
  count: ['count', 'query', 'limit', 'skip', 'hint', 'collation', 'fields', 'sampleId', 'mirrored', 'encryptionInformation'],
  distinct: ['distinct', 'key', 'query', 'collation', 'hint', 'sampleId', 'mirrored'],
  insert: ['insert', 'documents', ...WRITE_COMMAND_BASE],
  update: ['update', 'updates', 'let', 'runtimeConstants', ...WRITE_COMMAND_BASE],
  delete: ['delete', 'deletes', 'let', 'runtimeConstants', ...WRITE_COMMAND_BASE],
  findAndModify: [
    'findAndModify', 'query', 'fields', 'sort', 'hint', 'collation', 'arrayFilters', 'remove', 'update', 'upsert', 'new',
    'bypassDocumentValidation', 'let', 'runtimeConstants', 'encryptionInformation', 'sampleId', 'isTimeseriesNamespace',
    '$_allowShardKeyUpdatesWithoutFullShardKeyInQuery',
  ],
  create: [
    'create', 'capped', 'autoIndexId', 'idIndex', 'size', 'max', 'storageEngine', 'validator', 'validationLevel',
    'validationAction', 'indexOptionDefaults', 'viewOn', 'pipeline', 'collation', 'changeStreamPreAndPostImages',
    'timeseries', 'clusteredIndex', 'expireAfterSeconds', 'encryptedFields', 'temp', 'flags',
  ],
  collMod: [
    'collMod', 'validator', 'validationLevel', 'validationAction', 'index', 'viewOn', 'pipeline', 'expireAfterSeconds',
    'timeseries', 'changeStreamPreAndPostImages', 'cappedSize', 'cappedMax', 'recordPreImages', 'dryRun',
    'collectionUUID', 'isTimeseriesNamespace',
  ],
  drop: ['drop', 'collectionUUID', 'isTimeseriesNamespace'],
  dropDatabase: ['dropDatabase'],
  renameCollection: ['renameCollection', 'to', 'dropTarget', 'stayTemp', 'collectionUUID', 'expectedSourceUUID', 'expectedTargetUUID'],
  listCollections: ['listCollections', 'filter', 'nameOnly', 'authorizedCollections', 'cursor', 'includePendingDrops'],
  listDatabases: ['listDatabases', 'filter', 'nameOnly', 'authorizedDatabases'],
  createIndexes: ['createIndexes', 'indexes', 'commitQuorum', 'ignoreUnknownIndexOptions', 'isTimeseriesNamespace', 'collectionUUID'],
  listIndexes: ['listIndexes', 'cursor', 'includeBuildUUIDs', 'includeIndexBuildInfo', 'collectionUUID', 'isTimeseriesNamespace'],
  dropIndexes: ['dropIndexes', 'index', 'collectionUUID', 'isTimeseriesNamespace'],
  explain: ['explain', 'verbosity'],
  startSession: ['startSession'],
  endSessions: ['endSessions'],
  killSessions: ['killSessions'],
  refreshSessions: ['refreshSessions'],
  killAllSessions: ['killAllSessions'],
  commitTransaction: ['commitTransaction', 'commitTimestamp', 'recoveryToken'],
  abortTransaction: ['abortTransaction', 'recoveryToken'],
  dbStats: ['dbStats', 'scale', 'freeStorage'],
};

/** Spellings mongod accepts for a command, parsed by the canonical command's struct. */
const ALIASES: Readonly<Record<string, string>> = { findandmodify: 'findAndModify', deleteIndexes: 'dropIndexes', dbstats: 'dbStats' };

/** Legacy spellings of the hand-parsed commands. */
const LENIENT_ALIASES: Readonly<Record<string, string>> = { ismaster: 'isMaster', buildinfo: 'buildInfo', collstats: 'collStats' };

/** The name mongod knows a command by (`findandmodify` is `findAndModify`). */
export function canonicalCommandName(name: string): string {
  return ALIASES[name] ?? LENIENT_ALIASES[name] ?? name;
}

const STRICT_COMMANDS = new Map(
  [...Object.entries(COMMAND_FIELDS), ...Object.entries(ALIASES).map(([alias, name]): [string, readonly string[]] => [alias, [alias, ...COMMAND_FIELDS[name]]])]
    .map(([name, fields]) => [name, new Set(fields)]),
);

/** The fields of one entry of `update.updates` (MongoDB 7.0: no `sort`, which 8.0 added). */
export const UPDATE_STATEMENT_FIELDS: ReadonlySet<string> = new Set([
  'q', 'u', 'c', 'arrayFilters', 'hint', 'multi', 'upsert', 'upsertSupplied', 'collation', 'sampleId',
  '$_allowShardKeyUpdatesWithoutFullShardKeyInQuery',
]);

/** The fields of one entry of `delete.deletes`. */
export const DELETE_STATEMENT_FIELDS: ReadonlySet<string> = new Set(['q', 'limit', 'hint', 'collation', 'sampleId']);

/** aggregate's `cursor` option. */
export const CURSOR_OPTION_FIELDS: ReadonlySet<string> = new Set(['batchSize']);

function unknownField(path: string): Error {
  return mongoError('Location40415', `BSON field '${path}' is an unknown field.`);
}

/** Refuses a field the command does not accept, as mongod's strict parser does; commands not listed pass. */
export function checkCommandFields(name: string, body: Document): void {
  const accepted = STRICT_COMMANDS.get(name);
  if (!accepted) return;
  const context = ALIASES[name] ?? name;
  for (const field of Object.keys(body)) {
    if (!accepted.has(field) && !GENERIC_ARGUMENTS.has(field)) throw unknownField(`${context}.${field}`);
  }
}

/** Refuses a field outside `accepted` in a nested struct of a command (`context` is its path, "update.updates"). */
export function checkNestedFields(context: string, value: Document, accepted: ReadonlySet<string>): void {
  for (const field of Object.keys(value)) {
    if (!accepted.has(field)) throw unknownField(`${context}.${field}`);
  }
}
