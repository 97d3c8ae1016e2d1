/** Databases and collections: listing, creating, dropping, renaming, options and statistics. */
import { mongoError } from '../errors';
import { compileFilter } from '../query/matcher';
import type { CollectionInfo, CollectionOptions, Document, StorageEngine } from '../types';
import {
  collectionArg,
  commandArguments,
  nonNegativeInteger,
  optionalBoolean,
  optionalDocument,
  splitNamespace,
} from './args';
import { checkPreAndPostImagesOption } from './change-stream';
import { cursorReply } from './cursors';
import type { CommandHandler, Invocation } from './context';
import { createView, dropView, modifyView } from './view-definitions';
import { assertNotView, listViews, lookupView, viewInfo } from './views';

function requireAdmin(inv: Invocation): void {
  if (inv.db !== 'admin') throw mongoError('Unauthorized', `${inv.name} may only be run against the admin database.`);
}

/** The catalog entry of `db.coll`, or undefined when the collection does not exist. */
export function collectionInfo(storage: StorageEngine, db: string, coll: string): CollectionInfo | undefined {
  return storage.listCollections(db).find((info) => info.name === coll);
}

const listDatabases: CommandHandler = async (inv) => {
  requireAdmin(inv);
  const filter = optionalDocument(inv.body, 'filter', 'listDatabases');
  const nameOnly = optionalBoolean(inv.body, 'nameOnly', 'listDatabases') ?? false;
  const matcher = filter ? compileFilter(filter, {}) : undefined;
  const storage = inv.ctx.storage;
  const databases: Document[] = [];
  let totalSize = 0;
  for (const name of storage.listDatabaseNames()) {
    const entry: Document = nameOnly ? { name } : describeDatabase(inv, name);
    if (matcher && !matcher.test(entry)) continue;
    if (!nameOnly) totalSize += Number(entry.sizeOnDisk);
    databases.push(entry);
  }
  if (nameOnly) return { databases, ok: 1 };
  return { databases, totalSize, totalSizeMb: Math.floor(totalSize / 1024 / 1024), ok: 1 };
};

function describeDatabase(inv: Invocation, name: string): Document {
  const stats = inv.ctx.storage.databaseStats(name);
  const sizeOnDisk = stats.storageSize + stats.indexSize;
  return { name, sizeOnDisk, empty: stats.objects === 0 };
}

const listCollections: CommandHandler = async (inv) => {
  const filter = optionalDocument(inv.body, 'filter', 'listCollections');
  const nameOnly = optionalBoolean(inv.body, 'nameOnly', 'listCollections') ?? false;
  optionalDocument(inv.body, 'cursor', 'listCollections');
  const matcher = filter ? compileFilter(filter, {}) : undefined;
  const batch: Document[] = [];
  const collections: Document[] = inv.ctx.storage.listCollections(inv.db).map((info) => ({ ...info }));
  for (const full of [...collections, ...listViews(inv.ctx.storage, inv.db).map(viewInfo)]) {
    if (matcher && !matcher.test(full)) continue;
    batch.push(nameOnly ? { name: full.name, type: full.type } : full);
  }
  return cursorReply(`${inv.db}.$cmd.listCollections`, batch);
};

const create: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'create');
  const options = commandArguments(inv.body, 'create');
  if (options.viewOn !== undefined || options.pipeline !== undefined) {
    await createView(inv, coll, options);
    return { ok: 1 };
  }
  if (lookupView(inv.ctx.storage, inv.db, coll)) throw mongoError('NamespaceExists', `A view already exists. NS: ${inv.db}.${coll}`);
  if (options.timeseries !== undefined || options.clusteredIndex !== undefined) {
    throw mongoError('NotImplemented', 'time-series and clustered collections are not supported by the embedded server');
  }
  if (options.expireAfterSeconds !== undefined) throw mongoError('InvalidOptions', "'expireAfterSeconds' requires clustering to be enabled");
  if (options.encryptedFields !== undefined) throw mongoError('NotImplemented', 'queryable encryption is not supported by the embedded server');
  if (options.validator !== undefined) optionalDocument(options, 'validator', 'create');
  checkPreAndPostImagesOption(options, 'create');
  if (options.capped !== undefined && optionalBoolean(options, 'capped', 'create') && options.size === undefined) {
    throw mongoError('InvalidOptions', 'the size field is required when creating a capped collection');
  }
  delete options.idIndex;
  await inv.ctx.storage.createCollection(inv.db, coll, options as CollectionOptions);
  return { ok: 1 };
};

const drop: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'drop');
  const storage = inv.ctx.storage;
  const view = lookupView(storage, inv.db, coll);
  if (view) {
    await dropView(inv, view);
    return { ns: `${inv.db}.${coll}`, ok: 1 };
  }
  const exists = collectionInfo(storage, inv.db, coll) !== undefined;
  const nIndexesWas = exists ? storage.listIndexes(inv.db, coll).length : 0;
  await storage.dropCollection(inv.db, coll);
  return exists ? { nIndexesWas, ns: `${inv.db}.${coll}`, ok: 1 } : { ok: 1 };
};

const dropDatabase: CommandHandler = async (inv) => {
  await inv.ctx.storage.dropDatabase(inv.db);
  return { dropped: inv.db, ok: 1 };
};

const renameCollection: CommandHandler = async (inv) => {
  requireAdmin(inv);
  const fromNs = inv.body.renameCollection;
  const toNs = inv.body.to;
  if (typeof fromNs !== 'string') throw mongoError('TypeMismatch', "BSON field 'renameCollection' must be a string namespace");
  if (typeof toNs !== 'string') throw mongoError('TypeMismatch', "BSON field 'to' must be a string namespace");
  const from = splitNamespace(fromNs);
  const to = splitNamespace(toNs);
  if (fromNs === toNs) throw mongoError('IllegalOperation', "Can't rename a collection to itself");
  const dropTarget = optionalBoolean(inv.body, 'dropTarget', 'renameCollection') ?? false;
  if (lookupView(inv.ctx.storage, from.db, from.coll)) throw mongoError('CommandNotSupportedOnView', `cannot rename view: ${fromNs}`);
  if (lookupView(inv.ctx.storage, to.db, to.coll)) throw mongoError('NamespaceExists', `a view already exists with that name: ${toNs}`);
  await inv.ctx.storage.renameCollection(from.db, from.coll, to.db, to.coll, dropTarget);
  return { ok: 1 };
};

const collMod: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'collMod');
  const changes = commandArguments(inv.body, 'collMod');
  const view = lookupView(inv.ctx.storage, inv.db, coll);
  if (view) {
    await modifyView(inv, view, changes);
    return { ok: 1 };
  }
  for (const option of ['pipeline', 'viewOn']) {
    if (changes[option] !== undefined) throw mongoError('InvalidOptions', `option only supported on a view: ${option}`);
  }
  checkPreAndPostImagesOption(changes, 'collMod');
  const result = await inv.ctx.storage.collMod(inv.db, coll, { collMod: coll, ...changes });
  return { ...result, ok: 1 };
};

function scaleOf(inv: Invocation): number {
  const scale = nonNegativeInteger(inv.body, 'scale', inv.name) ?? 1;
  return scale < 1 ? 1 : scale;
}

const dbStats: CommandHandler = async (inv) => {
  const scale = scaleOf(inv);
  const stats = inv.ctx.storage.databaseStats(inv.db);
  return {
    db: inv.db,
    collections: stats.collections,
    views: listViews(inv.ctx.storage, inv.db).length,
    objects: stats.objects,
    avgObjSize: stats.objects ? stats.dataSize / stats.objects : 0,
    dataSize: Math.floor(stats.dataSize / scale),
    storageSize: Math.floor(stats.storageSize / scale),
    indexes: stats.indexes,
    indexSize: Math.floor(stats.indexSize / scale),
    totalSize: Math.floor((stats.storageSize + stats.indexSize) / scale),
    scaleFactor: scale,
    ok: 1,
  };
};

const collStats: CommandHandler = async (inv) => {
  const coll = collectionArg(inv.body, 'collStats');
  assertNotView(inv.ctx.storage, inv.db, coll);
  const scale = scaleOf(inv);
  const stats = inv.ctx.storage.collectionStats(inv.db, coll);
  const indexSizes: Document = {};
  for (const [name, size] of Object.entries(stats.indexSizes)) indexSizes[name] = Math.floor(size / scale);
  return {
    ns: `${inv.db}.${coll}`,
    count: stats.count,
    size: Math.floor(stats.dataSize / scale),
    avgObjSize: stats.avgObjSize,
    storageSize: Math.floor(stats.storageSize / scale),
    nindexes: stats.nindexes,
    totalIndexSize: Math.floor(stats.indexSize / scale),
    totalSize: Math.floor((stats.storageSize + stats.indexSize) / scale),
    indexSizes,
    scaleFactor: scale,
    ok: 1,
  };
};

export const catalogCommands: Record<string, CommandHandler> = {
  listDatabases,
  listCollections,
  create,
  drop,
  dropDatabase,
  renameCollection,
  collMod,
  dbStats,
  dbstats: dbStats,
  collStats,
  collstats: collStats,
};
