/** The rules of catalog operations: name validity, `_id` rules, index selection for collMod and dropIndexes, errors. */
import { ObjectId } from 'bson';
import { numberOf } from '../bson/double';
import { MongoServerError } from '../errors';
import { normalizeCollation } from '../query/collation';
import type { CollectionOptions, Document } from '../types';
import type { Collection } from './collection';
import { ID_INDEX_NAME, type CollectionIndex } from './collection-index';
import { sameKey } from './index-spec';
import { namespace } from './persistence';
import { describeFields, isPlainObject } from './values';

const ESTIMATED_INDEX_ENTRY_BYTES = 40;

export function indexModification(collection: Collection, raw: unknown): { index: CollectionIndex; change: { name: string; expireAfterSeconds?: number; hidden?: boolean } } {
  if (!isPlainObject(raw)) throw new MongoServerError('TypeMismatch', "BSON field 'collMod.index' is the wrong type, expected type 'object'");
  const index = findIndexBySelector(collection, raw);
  const change: { name: string; expireAfterSeconds?: number; hidden?: boolean } = { name: index.name };
  if (raw.expireAfterSeconds !== undefined) {
    const seconds = numberOf(raw.expireAfterSeconds);
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
      throw new MongoServerError('InvalidOptions', 'expireAfterSeconds must be a non-negative number');
    }
    if (index.fields.length !== 1 || index.name === ID_INDEX_NAME) {
      throw new MongoServerError('InvalidOptions', 'TTL indexes are single-field indexes, compound indexes do not support TTL');
    }
    change.expireAfterSeconds = Math.floor(seconds);
  }
  if (raw.hidden !== undefined) {
    if (typeof raw.hidden !== 'boolean') throw new MongoServerError('TypeMismatch', "BSON field 'collMod.index.hidden' is the wrong type, expected type 'bool'");
    if (index.name === ID_INDEX_NAME) throw new MongoServerError('BadValue', "can't hide _id index");
    change.hidden = raw.hidden;
  }
  if (change.expireAfterSeconds === undefined && change.hidden === undefined) {
    throw new MongoServerError('InvalidOptions', 'no expireAfterSeconds or hidden field to update');
  }
  return { index, change };
}

export function findIndexBySelector(collection: Collection, selector: Record<string, unknown>): CollectionIndex {
  if (typeof selector.name === 'string') {
    const index = collection.indexes.get(selector.name);
    if (!index) throw new MongoServerError('IndexNotFound', `cannot find index ${selector.name} for ns ${collection.ns}`);
    return index;
  }
  const pattern = selector.keyPattern;
  if (isPlainObject(pattern)) {
    const index = [...collection.indexes.values()].find((ix) => sameKey(ix.spec.key, pattern));
    if (!index) throw new MongoServerError('IndexNotFound', `cannot find index ${describeFields(pattern)} for ns ${collection.ns}`);
    return index;
  }
  throw new MongoServerError('InvalidOptions', 'must specify either index name or key pattern');
}

export function indexesToDrop(collection: Collection, which: string | string[] | Document): string[] {
  if (which === '*') return [...collection.indexes.keys()].filter((name) => name !== ID_INDEX_NAME);
  const names = Array.isArray(which) ? which : typeof which === 'string' ? [which] : [keyPatternName(collection, which)];
  for (const name of names) {
    if (name === ID_INDEX_NAME) throw new MongoServerError('InvalidOptions', 'cannot drop _id index');
    if (!collection.indexes.has(name)) throw new MongoServerError('IndexNotFound', `index not found with name [${name}]`);
  }
  return names;
}

export function keyPatternName(collection: Collection, pattern: Document): string {
  const matches = [...collection.indexes.values()].filter((ix) => sameKey(ix.spec.key, pattern));
  if (matches.length === 0) throw new MongoServerError('IndexNotFound', `can't find index with key: ${describeFields(pattern)}`);
  if (matches.length > 1) throw new MongoServerError('IndexNotFound', `${matches.length} indexes found for key: ${describeFields(pattern)}, identify by name instead.`);
  return matches[0].name;
}

export function indexSize(index: CollectionIndex): number {
  return index.size * ESTIMATED_INDEX_ENTRY_BYTES;
}

/** The document to store: `_id` first (generated when missing) and of a type MongoDB allows. */
export function withValidId(doc: Document): Document {
  if (!('_id' in doc) || doc._id === undefined) {
    const { _id: _ignored, ...rest } = doc;
    return { _id: new ObjectId(), ...rest };
  }
  const id = doc._id;
  if (Array.isArray(id)) throw new MongoServerError('InvalidIdField', "The '_id' value cannot be of type array");
  if (isPlainObject(id) && Object.keys(id).some((k) => k.startsWith('$'))) {
    throw new MongoServerError('DollarPrefixedFieldName', `_id fields may not contain '$'-prefixed fields: ${Object.keys(id).find((k) => k.startsWith('$'))} is not valid for storage.`);
  }
  if (Object.keys(doc)[0] === '_id') return doc;
  // MongoDB stores _id as the first field whatever order the client sent.
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

const INVALID_DB_CHARS = /[/\\. "$\0]/;

export function validNamespace(db: string, coll: string): string {
  if (db.length === 0 || db.length >= 64 || INVALID_DB_CHARS.test(db)) throw new MongoServerError('InvalidNamespace', `Invalid database name: '${db}'`);
  if (coll.length === 0 || coll.includes('\0') || coll.includes('$') || coll.startsWith('.')) {
    throw new MongoServerError('InvalidNamespace', `Invalid collection name: ${coll}`);
  }
  return namespace(db, coll);
}

export function normaliseCollectionOptions(options: CollectionOptions): CollectionOptions {
  const result: CollectionOptions = { ...options };
  if (options.collation !== undefined) {
    const collation = normalizeCollation(options.collation);
    if (collation) result.collation = collation;
    else delete result.collation;
  }
  return result;
}

export function namespaceExists(ns: string): MongoServerError {
  return new MongoServerError('NamespaceExists', `Collection ${ns} already exists.`);
}

export function duplicateIdError(ns: string, id: unknown): MongoServerError {
  return new MongoServerError('DuplicateKey', `E11000 duplicate key error collection: ${ns} index: _id_ dup key: ${describeFields({ _id: id })}`, {
    keyPattern: { _id: 1 },
    keyValue: { _id: id },
  });
}

export function writeConflict(): MongoServerError {
  return new MongoServerError(
    'WriteConflict',
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    {},
    ['TransientTransactionError'],
  );
}
