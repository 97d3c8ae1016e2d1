/** createIndexes, listIndexes, dropIndexes. */
import { numberOf } from '../bson/double';
import { mongoError } from '../errors';
import type { Document, IndexSpec } from '../types';
import { collectionArg, isDocument, requiredArray } from './args';
import { cursorReply } from './cursors';
import type { CommandHandler } from './context';
import { assertNotView } from './views';

function toIndexSpec(raw: unknown, i: number): IndexSpec {
  if (!isDocument(raw)) throw mongoError('TypeMismatch', `BSON field 'createIndexes.indexes.${i}' is the wrong type, expected type 'object'`);
  const key = raw.key;
  if (!isDocument(key) || Object.keys(key).length === 0) {
    throw mongoError('BadValue', `Index key pattern of index ${i} must be a non-empty object`);
  }
  for (const [field, direction] of Object.entries(key)) {
    if (!isValidDirection(direction)) {
      throw mongoError('BadValue', `Values in the index key pattern can only be numbers or strings, found ${field}: ${String(direction)}`);
    }
  }
  const name = raw.name === undefined ? defaultIndexName(key) : raw.name;
  if (typeof name !== 'string' || name.length === 0) throw mongoError('BadValue', 'index name must be a non-empty string');
  if (raw.expireAfterSeconds !== undefined && numberOf(raw.expireAfterSeconds) === undefined) {
    throw mongoError('TypeMismatch', 'expireAfterSeconds must be a number');
  }
  const spec: IndexSpec = { ...raw, v: 2, key, name };
  if (spec.expireAfterSeconds !== undefined) spec.expireAfterSeconds = numberOf(spec.expireAfterSeconds);
  return spec;
}

function isValidDirection(direction: unknown): boolean {
  const n = numberOf(direction);
  if (n !== undefined) return n !== 0 && Number.isFinite(n);
  return typeof direction === 'string' && ['text', '2dsphere', '2d', 'hashed'].includes(direction);
}

/** MongoDB's default index name: field_direction pairs joined with underscores ("a_1_b_-1"). */
function defaultIndexName(key: Document): string {
  return Object.entries(key).map(([field, direction]) => `${field}_${String(direction)}`).join('_');
}

const createIndexes: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'createIndexes');
  assertNotView(inv.ctx.storage, inv.db, coll);
  const raw = requiredArray(inv.body, 'indexes', 'createIndexes');
  if (raw.length === 0) throw mongoError('BadValue', 'Must specify at least one index to create');
  const specs = raw.map(toIndexSpec);
  const result = await inv.ctx.storage.createIndexes(inv.db, coll, specs);
  return { ...result, ok: 1 };
};

const listIndexes: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'listIndexes');
  assertNotView(inv.ctx.storage, inv.db, coll);
  const indexes = inv.ctx.storage.listIndexes(inv.db, coll);
  return cursorReply(`${inv.db}.${coll}`, indexes.map((spec) => ({ ...spec })));
};

const dropIndexes: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, inv.name);
  assertNotView(inv.ctx.storage, inv.db, coll);
  const which = inv.body.index;
  if (typeof which === 'string' || isDocument(which)) {
    const result = await inv.ctx.storage.dropIndexes(inv.db, coll, which);
    return { ...result, ok: 1 };
  }
  if (Array.isArray(which) && which.every((name): name is string => typeof name === 'string')) {
    const result = await inv.ctx.storage.dropIndexes(inv.db, coll, which);
    return { ...result, ok: 1 };
  }
  throw mongoError('TypeMismatch', "BSON field 'dropIndexes.index' must be a string, an array of strings or an object");
};

export const indexCommands: Record<string, CommandHandler> = {
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
};
