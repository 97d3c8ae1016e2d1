/** Validation of command fields, with MongoDB's error codes and messages ("BSON field 'find.limit' is ..."). */
import { Binary, Decimal128 } from 'bson';
import { isDouble, jsNumber, numberOf } from '../bson/double';
import { defineField } from '../bson/fields';
import { mongoError } from '../errors';
import { normalizeCollation } from '../query/collation';
import { GENERIC_ARGUMENTS } from './command-fields';
import type { CollationSpec, Document, FindRequest } from '../types';

export function isDocument(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A value's BSON type as mongod's 'is the wrong type' messages name it. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (isDouble(value)) return 'double';
  if (typeof value === 'bigint') return 'long';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'object') return isDocument(value) ? 'object' : (value.constructor?.name ?? 'object');
  return typeof value;
}

function wrongType(command: string, field: string, value: unknown, expected: string): Error {
  return mongoError(
    'TypeMismatch',
    `BSON field '${command}.${field}' is the wrong type '${typeName(value)}', expected type '${expected}'`,
  );
}

/** The collection named by the command's first field, e.g. `{find: "users"}`. */
export function collectionArg(body: Document, command: string): string {
  const value = body[command];
  if (typeof value !== 'string') {
    throw mongoError('InvalidNamespace', `collection name has invalid type ${typeName(value)}`);
  }
  validateCollectionName(value);
  return value;
}

export function validateCollectionName(name: string): void {
  if (name.length === 0) throw mongoError('InvalidNamespace', 'Invalid namespace specified: collection name is empty');
  if (name.includes('\0')) throw mongoError('InvalidNamespace', `Invalid collection name: ${name}`);
  if (name.startsWith('.') || name.endsWith('.') || name.includes('$')) {
    throw mongoError('InvalidNamespace', `Invalid collection name: ${name}`);
  }
}

export function validateDatabaseName(name: string): void {
  if (name.length === 0 || name.length > 63 || /[/\\. "$*<>:|?\0]/.test(name)) {
    throw mongoError('InvalidNamespace', `Invalid database name: '${name}'`);
  }
}

/** Splits "db.coll" (the collection part may itself contain dots). */
export function splitNamespace(ns: string): { db: string; coll: string } {
  const dot = ns.indexOf('.');
  if (dot <= 0 || dot === ns.length - 1) throw mongoError('InvalidNamespace', `Invalid namespace specified '${ns}'`);
  const db = ns.slice(0, dot);
  const coll = ns.slice(dot + 1);
  validateDatabaseName(db);
  validateCollectionName(coll);
  return { db, coll };
}

export function optionalDocument(body: Document, field: string, command: string): Document | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isDocument(value)) throw wrongType(command, field, value, 'object');
  return value;
}

export function requiredDocument(body: Document, field: string, command: string): Document {
  const value = optionalDocument(body, field, command);
  if (!value) throw mongoError('NoSuchKey', `BSON field '${command}.${field}' is missing but a required field`);
  return value;
}

export function optionalArray(body: Document, field: string, command: string): unknown[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType(command, field, value, 'array');
  return value;
}

export function requiredArray(body: Document, field: string, command: string): unknown[] {
  const value = optionalArray(body, field, command);
  if (!value) throw mongoError('NoSuchKey', `BSON field '${command}.${field}' is missing but a required field`);
  return value;
}

export function documentArray(body: Document, field: string, command: string): Document[] {
  const items = requiredArray(body, field, command);
  items.forEach((item, i) => {
    if (!isDocument(item)) throw wrongType(command, `${field}.${i}`, item, 'object');
  });
  return items as Document[];
}

/** Any BSON number that holds an integer, as a JS number. */
export function optionalInteger(body: Document, field: string, command: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const n = numberOf(value);
  if (n !== undefined && Number.isFinite(n)) return Math.trunc(n);
  if (value instanceof Decimal128) {
    const n = Number(value.toString());
    if (Number.isFinite(n)) return Math.trunc(n);
  }
  throw wrongType(command, field, value, 'int');
}

export function nonNegativeInteger(body: Document, field: string, command: string): number | undefined {
  const value = optionalInteger(body, field, command);
  if (value !== undefined && value < 0) {
    throw mongoError('BadValue', `BSON field '${field}' value must be >= 0, actual value '${value}'`);
  }
  return value;
}

export function optionalBoolean(body: Document, field: string, command: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  const n = numberOf(value);
  if (n !== undefined) return n !== 0;
  throw wrongType(command, field, value, 'bool');
}

export function optionalString(body: Document, field: string, command: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(command, field, value, 'string');
  return value;
}

/**
 * `{locale: 'simple'}` given explicitly: binary comparison even on a collection with a default collation (every
 * collator factory reads it as no collator).
 */
export const SIMPLE_COLLATION: CollationSpec = Object.freeze({ locale: 'simple' });

/** A validated collation (MongoDB's defaults filled in); `SIMPLE_COLLATION` for the simple one, undefined when absent. */
export function optionalCollation(body: Document, command: string): CollationSpec | undefined {
  const value = optionalDocument(body, 'collation', command);
  if (!value) return undefined;
  return normalizeCollation(value) ?? SIMPLE_COLLATION;
}

export function optionalHint(body: Document, command: string): string | Document | undefined {
  const value = body.hint;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.length ? value : undefined;
  if (isDocument(value)) return Object.keys(value).length ? value : undefined;
  throw mongoError('FailedToParse', `BSON field '${command}.hint' must be a string or an object`);
}

/** The read a command or statement describes: its `filterField` (absent → {}), collation and hint. */
export function readRequest(body: Document, filterField: string, command: string): FindRequest {
  return {
    filter: optionalDocument(body, filterField, command) ?? {},
    collation: optionalCollation(body, command),
    hint: optionalHint(body, command),
  };
}

export function binaryKey(value: unknown): string | undefined {
  if (value instanceof Binary) return Buffer.from(value.buffer).toString('hex');
  return undefined;
}

/** int32/int64/double txnNumber as bigint. */
export function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  const n = jsNumber(value);
  return n !== undefined && Number.isInteger(n) ? BigInt(n) : undefined;
}

/** The command's own arguments: the body without its name field and the generic request fields. */
export function commandArguments(body: Document, name: string): Document {
  const args: Document = {};
  for (const [key, value] of Object.entries(body)) {
    if (key !== name && !GENERIC_ARGUMENTS.has(key)) defineField(args, key, value);
  }
  return args;
}
