/**
 * `$listLocalSessions` and `$listSessions`: the server's logical sessions as `{_id: {id, uid}, lastUse}` records,
 * with mongod's spec validation (`{allUsers: bool, users: [{user, db}]}`, strict) and namespace rules.
 *
 * The server runs without authentication, so every session belongs to the unauthenticated user, whose digest
 * (`uid`) is SHA-256 of the empty string, as in a mongod without auth. mongod's `$listSessions` reads
 * `config.system.sessions`, which its session cache refreshes every few minutes; here the records come from the
 * session registry itself, always current (as right after `refreshLogicalSessionCacheNow`).
 */
import { createHash } from 'node:crypto';
import { Binary } from 'bson';
import { mongoError } from '../../errors';
import { compileFilter } from '../../query/matcher';
import { bsonTypeAlias } from '../../query/type-codes';
import type { Document } from '../../types';
import { isDocument } from '../values';
import type { LogicalSessionRecord, PipelineContext, Stage } from './types';

type SessionsStage = '$listLocalSessions' | '$listSessions';

interface ListSessionsSpec {
  allUsers: boolean;
  users: Array<{ user: string; db: string }>;
  predicate?: Document;
}

const SPEC_FIELDS = new Set(['allUsers', 'users', '$_internalPredicate']);
const USER_FIELDS = ['user', 'db'] as const;

function wrongType(path: string, value: unknown, expected: string): Error {
  return mongoError('TypeMismatch', `BSON field '${path}' is the wrong type '${bsonTypeAlias(value)}', expected type '${expected}'`);
}

/** mongod's ListSessionsSpec, parsed strictly under the stage's name. */
function parseSpec(stage: SessionsStage, spec: unknown): ListSessionsSpec {
  if (!isDocument(spec)) {
    throw mongoError('TypeMismatch', `${stage} options must be specified in an object, but found: ${bsonTypeAlias(spec)}`);
  }
  for (const field of Object.keys(spec)) {
    if (!SPEC_FIELDS.has(field)) throw mongoError('Location40415', `BSON field '${stage}.${field}' is an unknown field.`);
  }
  const allUsers = spec.allUsers ?? false;
  if (typeof allUsers !== 'boolean') throw wrongType(`${stage}.allUsers`, allUsers, 'bool');
  const users = parseUsers(stage, spec.users);
  const predicate = spec.$_internalPredicate;
  if (predicate !== undefined && !isDocument(predicate)) throw wrongType(`${stage}.$_internalPredicate`, predicate, 'object');
  if (allUsers && users.length > 0) {
    throw mongoError('UnsupportedFormat', `${stage} may not specify {allUsers:true} and {users:[...]} at the same time`);
  }
  return { allUsers, users, predicate };
}

function parseUsers(stage: SessionsStage, value: unknown): Array<{ user: string; db: string }> {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw wrongType(`${stage}.users`, value, 'array');
  return value.map((entry, i) => {
    if (!isDocument(entry)) throw wrongType(`${stage}.users.${i}`, entry, 'object');
    for (const field of Object.keys(entry)) {
      if (!(USER_FIELDS as readonly string[]).includes(field)) throw mongoError('Location40415', `BSON field '${stage}.users.${field}' is an unknown field.`);
    }
    for (const field of USER_FIELDS) {
      if (entry[field] === undefined) throw mongoError('Location40414', `BSON field '${stage}.users.${field}' is missing but a required field`);
      if (typeof entry[field] !== 'string') throw wrongType(`${stage}.users.${field}`, entry[field], 'string');
    }
    return { user: entry.user as string, db: entry.db as string };
  });
}

/** A user's session digest: SHA-256 of "db.user", or of "" for the unauthenticated user (`{user: '', db: ''}`). */
function userDigest(user: string, db: string): string {
  return createHash('sha256').update(user === '' && db === '' ? '' : `${db}.${user}`).digest('hex');
}

const UNAUTHENTICATED = userDigest('', '');

function sessionDocument(record: LogicalSessionRecord): Document {
  return { _id: { id: record.id, uid: new Binary(Buffer.from(UNAUTHENTICATED, 'hex'), Binary.SUBTYPE_DEFAULT) }, lastUse: record.lastUse };
}

function checkNamespace(stage: SessionsStage, ctx: PipelineContext): void {
  if (stage === '$listLocalSessions' && ctx.collection !== undefined) {
    throw mongoError('InvalidNamespace', '$listLocalSessions must be run against the database with {aggregate: 1}, not a collection');
  }
  if (stage === '$listSessions' && (ctx.db !== 'config' || ctx.collection !== 'system.sessions')) {
    throw mongoError('InvalidNamespace', "$listSessions must be run against the 'system.sessions' collection in the 'config' database.");
  }
}

function compileSessionsStage(stage: SessionsStage): (spec: unknown, ctx: PipelineContext) => Stage {
  return (spec, ctx) => {
    checkNamespace(stage, ctx);
    const parsed = parseSpec(stage, spec);
    // Without `allUsers` or `users` a stage lists the sessions of the user running it: here the unauthenticated one.
    const digests = parsed.allUsers ? undefined : new Set(parsed.users.length > 0 ? parsed.users.map((u) => userDigest(u.user, u.db)) : [UNAUTHENTICATED]);
    const predicate = parsed.predicate ? compileFilter(parsed.predicate, { collator: ctx.collator, now: ctx.now }) : undefined;
    return () => {
      if (digests && !digests.has(UNAUTHENTICATED)) return [];
      const docs = (ctx.logicalSessions?.() ?? []).map(sessionDocument);
      return predicate ? docs.filter((doc) => predicate.test(doc)) : docs;
    };
  };
}

export const compileListLocalSessions = compileSessionsStage('$listLocalSessions');
export const compileListSessions = compileSessionsStage('$listSessions');
