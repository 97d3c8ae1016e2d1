/** Command layer through the official driver: handshake/diagnostics, catalog, indexes, explain. */
import assert from 'node:assert/strict';
import { Long, MongoClient, MongoServerError, type Db } from 'mongodb';
import { connectTestClient, usingRealMongo } from '../../helpers/mongo-target';
import { serverError } from './server-errors';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startMongoServer } from '../../../src/embedded-mongo';
import { parseArgs } from '../../../src/embedded-mongo/cli';

describe('commands', function () {
  let client: MongoClient;
  let dbName: string;
  let db: Db;
  let admin: Db;

  before(async function () {
    ({ client, dbName } = await connectTestClient('commands'));
    db = client.db(dbName);
    admin = client.db('admin');
  });

  after(async function () {
    await db.dropDatabase();
    await client.db(`${dbName}_other`).dropDatabase();
    await client.close();
  });

  describe('handshake and diagnostics', function () {
    it('hello describes a writable replica-set primary with sessions', async function () {
      const hello = await admin.command({ hello: 1 });
      assert.equal(hello.isWritablePrimary, true);
      assert.equal(typeof hello.setName, 'string');
      assert.ok(Array.isArray(hello.hosts) && hello.hosts.includes(hello.me));
      assert.equal(hello.primary, hello.me);
      assert.equal(hello.logicalSessionTimeoutMinutes, 30);
      assert.equal(hello.maxBsonObjectSize, 16777216);
      assert.equal(hello.maxMessageSizeBytes, 48000000);
      assert.equal(hello.maxWriteBatchSize, 100000);
      assert.ok(hello.localTime instanceof Date);
      assert.ok(hello.maxWireVersion >= 17);
      const legacy = await admin.command({ isMaster: 1 });
      assert.equal(legacy.ismaster, true);
      assert.equal((await admin.command({ ismaster: 1 })).ismaster, true);
    });

    it('ping, buildInfo, hostInfo, serverStatus, connectionStatus, whatsmyuri, getCmdLineOpts answer ok', async function () {
      assert.equal((await admin.command({ ping: 1 })).ok, 1);
      const build = await admin.command({ buildInfo: 1 });
      assert.match(build.version, /^\d+\.\d+\.\d+/);
      assert.ok(Array.isArray(build.versionArray) && build.versionArray.length === 4);
      if (!usingRealMongo()) assert.equal(build.version, '7.0.0');
      assert.ok((await admin.command({ hostInfo: 1 })).system);
      const status = await admin.command({ serverStatus: 1 });
      assert.equal(typeof status.uptime, 'number');
      assert.ok(status.connections.current >= 1);
      assert.equal(typeof status.opcounters.query, 'number');
      const queriesBefore = Number(status.opcounters.query);
      await db.collection('counted').findOne({});
      assert.ok(Number((await admin.command({ serverStatus: 1 })).opcounters.query) > queriesBefore);
      assert.ok(Array.isArray((await admin.command({ connectionStatus: 1 })).authInfo.authenticatedUsers));
      assert.match((await admin.command({ whatsmyuri: 1 })).you, /:\d+$/);
      assert.equal((await admin.command({ getCmdLineOpts: 1 })).ok, 1);
      assert.ok(Array.isArray((await admin.command({ getLog: 'startupWarnings' })).log));
    });

    it('listCommands names the supported commands', async function () {
      const { commands } = await admin.command({ listCommands: 1 });
      for (const name of ['find', 'insert', 'aggregate', 'hello', 'commitTransaction', 'listCommands']) assert.ok(commands[name], name);
    });

    it('getParameter returns the requested parameters and rejects unknown ones', async function () {
      const reply = await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 });
      assert.ok(reply.featureCompatibilityVersion);
      const err = await serverError(admin.command({ getParameter: 1, noSuchParameterAtAll: 1 }));
      assert.equal(err.code, 72);
    });

    it('an unknown command fails with 59 CommandNotFound naming it; names are case-sensitive', async function () {
      const err = await serverError(db.command({ frobnicate: 1 }));
      assert.equal(err.code, 59);
      assert.equal(err.codeName, 'CommandNotFound');
      assert.match(err.message, /no such command: 'frobnicate'/);
      assert.equal((await serverError(db.command({ PING: 1 }))).code, 59);
    });

    it('authentication commands fail clearly', async function () {
      if (usingRealMongo()) this.skip();
      const err = await serverError(admin.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: Buffer.alloc(0) }));
      assert.match(err.message, /authentication is not supported/);
    });
  });

  describe('databases and collections', function () {
    it('When getParameter names an Object.prototype member, then it fails with 72 InvalidOptions', async function () {
      const err = await serverError(admin.command({ getParameter: 1, toString: 1 }));
      assert.equal(err.code, 72);
    });

    it('create makes a collection; creating it again fails with 48 NamespaceExists', async function () {
      await db.createCollection('created');
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      assert.ok(names.includes('created'));
      const err = await serverError(db.command({ create: 'created' }));
      assert.equal(err.code, 48);
      assert.equal(err.codeName, 'NamespaceExists');
    });

    it('listCollections honours filter and nameOnly, and returns a cursor', async function () {
      await db.createCollection('lc_a');
      await db.createCollection('lc_b');
      const reply = await db.command({ listCollections: 1, filter: { name: 'lc_a' } });
      assert.equal(reply.cursor.ns, `${dbName}.$cmd.listCollections`);
      assert.ok(reply.cursor.id instanceof Long || reply.cursor.id === 0);
      assert.equal(reply.cursor.firstBatch.length, 1);
      const info = reply.cursor.firstBatch[0];
      assert.equal(info.name, 'lc_a');
      assert.equal(info.type, 'collection');
      assert.ok(info.idIndex);
      const nameOnly = await db.command({ listCollections: 1, nameOnly: true, filter: { name: { $in: ['lc_a', 'lc_b'] } } });
      assert.deepEqual(
        nameOnly.cursor.firstBatch.map((c: { name: string }) => c.name).sort(),
        ['lc_a', 'lc_b'],
      );
      assert.equal(nameOnly.cursor.firstBatch[0].options, undefined);
    });

    it('listDatabases lists databases with sizes, honours nameOnly and filter, and is admin-only', async function () {
      await db.collection('present').insertOne({ x: 1 });
      const all = await admin.command({ listDatabases: 1 });
      const mine = all.databases.find((d: { name: string }) => d.name === dbName);
      assert.ok(mine);
      assert.equal(typeof mine.sizeOnDisk, 'number');
      assert.equal(mine.empty, false);
      assert.equal(typeof all.totalSize, 'number');
      const filtered = await admin.command({ listDatabases: 1, nameOnly: true, filter: { name: dbName } });
      assert.deepEqual(filtered.databases, [{ name: dbName }]);
      assert.equal((await serverError(db.command({ listDatabases: 1 }))).code, 13);
    });

    it('drop removes a collection and reports its index count; dropping a missing one is ok', async function () {
      await db.collection('dropme').insertOne({ a: 1 });
      await db.collection('dropme').createIndex({ a: 1 });
      const reply = await db.command({ drop: 'dropme' });
      assert.equal(reply.ok, 1);
      assert.equal(reply.nIndexesWas, 2);
      assert.equal(await db.collection('dropme').countDocuments(), 0);
      assert.equal((await db.command({ drop: 'never_existed' })).ok, 1);
    });

    it('dropDatabase removes every collection of the database', async function () {
      const other = client.db(`${dbName}_other`);
      await other.collection('a').insertOne({ a: 1 });
      const reply = await other.command({ dropDatabase: 1 });
      assert.equal(reply.ok, 1);
      assert.deepEqual(await other.listCollections().toArray(), []);
    });

    it('renameCollection moves documents and indexes; existing target needs dropTarget', async function () {
      await db.collection('ren_src').insertMany([{ _id: 1 }, { _id: 2 }] as never[]);
      await db.collection('ren_src').createIndex({ k: 1 }, { name: 'k_idx' });
      await admin.command({ renameCollection: `${dbName}.ren_src`, to: `${dbName}.ren_dst` });
      assert.equal(await db.collection('ren_dst').countDocuments(), 2);
      assert.ok((await db.collection('ren_dst').indexes()).some((i) => i.name === 'k_idx'));
      assert.equal(await db.collection('ren_src').countDocuments(), 0);

      await db.collection('ren_other').insertOne({ _id: 9 } as never);
      const err = await serverError(admin.command({ renameCollection: `${dbName}.ren_other`, to: `${dbName}.ren_dst` }));
      assert.equal(err.code, 48);
      await admin.command({ renameCollection: `${dbName}.ren_other`, to: `${dbName}.ren_dst`, dropTarget: true });
      assert.deepEqual(await db.collection('ren_dst').find().toArray(), [{ _id: 9 }]);

      const missing = await serverError(admin.command({ renameCollection: `${dbName}.nope`, to: `${dbName}.nope2` }));
      assert.equal(missing.code, 26);
      assert.equal((await serverError(db.command({ renameCollection: `${dbName}.ren_dst`, to: `${dbName}.x` }))).code, 13);
    });

    it('collMod changes a TTL index expireAfterSeconds', async function () {
      const coll = db.collection('ttl_mod');
      await coll.createIndex({ at: 1 }, { expireAfterSeconds: 100, name: 'at_ttl' });
      const reply = await db.command({ collMod: 'ttl_mod', index: { name: 'at_ttl', expireAfterSeconds: 50 } });
      assert.equal(reply.ok, 1);
      assert.equal(reply.expireAfterSeconds_new, 50);
      const index = (await coll.indexes()).find((i) => i.name === 'at_ttl');
      assert.equal(index?.expireAfterSeconds, 50);
    });

    it('dbStats and collStats report counts and sizes', async function () {
      const coll = db.collection('stats');
      await coll.insertMany([{ a: 1 }, { a: 2 }, { a: 3 }]);
      const dbStats = await db.command({ dbStats: 1 });
      assert.equal(dbStats.db, dbName);
      assert.ok(dbStats.objects >= 3);
      assert.ok(dbStats.collections >= 1);
      const collStats = await db.command({ collStats: 'stats' });
      assert.equal(collStats.ns, `${dbName}.stats`);
      assert.equal(collStats.count, 3);
      assert.ok(collStats.size > 0);
      assert.equal(collStats.nindexes, 1);
    });
  });

  describe('indexes', function () {
    it('createIndexes reports before/after counts and createdCollectionAutomatically', async function () {
      const reply = await db.command({ createIndexes: 'ix_auto', indexes: [{ key: { a: 1 }, name: 'a_1' }] });
      assert.equal(reply.ok, 1);
      assert.equal(reply.createdCollectionAutomatically, true);
      assert.equal(reply.numIndexesBefore, 1);
      assert.equal(reply.numIndexesAfter, 2);
      const again = await db.command({ createIndexes: 'ix_auto', indexes: [{ key: { a: 1 }, name: 'a_1' }] });
      assert.equal(again.numIndexesAfter, 2);
    });

    it('listIndexes lists specs and fails with 26 for a missing collection', async function () {
      await db.collection('ix_list').createIndex({ b: -1 }, { unique: true });
      const specs = await db.collection('ix_list').indexes();
      assert.deepEqual(specs.map((s) => s.name), ['_id_', 'b_-1']);
      assert.equal(specs[1].unique, true);
      assert.deepEqual(specs[1].key, { b: -1 });
      const err = await serverError(db.command({ listIndexes: 'ix_missing' }));
      assert.equal(err.code, 26);
      assert.equal(err.codeName, 'NamespaceNotFound');
    });

    it('a unique index rejects duplicates, and cannot be built over existing duplicates', async function () {
      const coll = db.collection('ix_unique');
      await coll.insertMany([{ e: 'x' }, { e: 'x' }]);
      await assert.rejects(coll.createIndex({ e: 1 }, { unique: true }), (err: MongoServerError) => err.code === 11000);
      assert.deepEqual((await coll.indexes()).map((s) => s.name), ['_id_']);
    });

    it('dropIndexes by name, by key pattern and "*"; an unknown index fails with 27', async function () {
      const coll = db.collection('ix_drop');
      await coll.createIndexes([{ key: { a: 1 } }, { key: { b: 1 } }, { key: { c: 1 } }]);
      await coll.dropIndex('a_1');
      await db.command({ dropIndexes: 'ix_drop', index: { b: 1 } });
      assert.deepEqual((await coll.indexes()).map((s) => s.name), ['_id_', 'c_1']);
      const reply = await db.command({ dropIndexes: 'ix_drop', index: '*' });
      assert.equal(reply.nIndexesWas, 2);
      assert.deepEqual((await coll.indexes()).map((s) => s.name), ['_id_']);
      const err = await serverError(coll.dropIndex('nope_1'));
      assert.equal(err.code, 27);
    });
  });

  describe('explain', function () {
    before(async function () {
      const coll = db.collection('explained');
      await coll.insertMany(Array.from({ length: 50 }, (_, i) => ({ n: i, tag: `t${i % 5}` })));
      await coll.createIndex({ n: 1 }, { name: 'n_1' });
    });

    function stageNames(plan: Record<string, unknown>): string[] {
      const names: string[] = [];
      for (let stage: Record<string, unknown> | undefined = plan; stage; stage = stage.inputStage as Record<string, unknown> | undefined) {
        names.push(String(stage.stage));
      }
      return names;
    }

    it('an indexed find shows FETCH over IXSCAN with the index name', async function () {
      const explained = await db.collection('explained').find({ n: 7 }).explain('queryPlanner');
      const plan = explained.queryPlanner.winningPlan;
      assert.deepEqual(stageNames(plan).slice(-2), ['FETCH', 'IXSCAN']);
      assert.equal(plan.inputStage.indexName, 'n_1');
    });

    it('an unindexed find shows COLLSCAN; executionStats count what was examined', async function () {
      const explained = await db.collection('explained').find({ tag: 't1' }).explain('executionStats');
      assert.deepEqual(stageNames(explained.queryPlanner.winningPlan), ['COLLSCAN']);
      assert.equal(explained.executionStats.nReturned, 10);
      assert.equal(explained.executionStats.totalDocsExamined, 50);
    });

    it('explains count, distinct, update, delete and aggregate', async function () {
      for (const inner of [
        { count: 'explained', query: { n: 3 } },
        { distinct: 'explained', key: 'tag', query: { n: 3 } },
        { update: 'explained', updates: [{ q: { n: 3 }, u: { $set: { x: 1 } } }] },
        { delete: 'explained', deletes: [{ q: { n: 3 }, limit: 1 }] },
      ]) {
        const reply = await db.command({ explain: inner, verbosity: 'queryPlanner' });
        assert.ok(JSON.stringify(reply.queryPlanner.winningPlan).includes('"indexName":"n_1"'), JSON.stringify(inner));
      }
      const agg = await db.collection('explained').aggregate([{ $match: { n: { $gt: 40 } } }, { $group: { _id: null, c: { $sum: 1 } } }]).explain('queryPlanner');
      const planner = agg.queryPlanner ?? agg.stages?.[0]?.$cursor?.queryPlanner;
      assert.ok(JSON.stringify(planner.winningPlan).includes('IXSCAN'));
      // explain does not write
      assert.equal(await db.collection('explained').countDocuments({ n: 3 }), 1);
    });
  });

  describe('let variables', function () {
    before(async function () {
      await db.collection('letItems').insertMany([
        { _id: 1, qty: 5, limit: 10 },
        { _id: 2, qty: 15, limit: 10 },
        { _id: 3, qty: 25, limit: 30 },
      ] as never[]);
    });

    it('When find has a let, then its $expr filter reads the variables', async function () {
      const docs = await db
        .collection('letItems')
        .find({ $expr: { $gt: ['$qty', '$$floor'] } }, { let: { floor: 10 }, sort: { _id: 1 } })
        .toArray();
      assert.deepEqual(docs.map((d) => d._id), [2, 3]);
    });

    it('When find has a let and an indexable conjunct, then both apply', async function () {
      const docs = await db
        .collection('letItems')
        .find({ _id: { $gte: 3 }, $expr: { $gt: ['$qty', '$$floor'] } } as never, { let: { floor: 10 } })
        .toArray();
      assert.deepEqual(docs.map((d) => d._id), [3]);
    });

    it('When find has a let, then a computed projection field reads the variables', async function () {
      const docs = await db
        .collection('letItems')
        .find({ _id: 1 } as never, { let: { factor: 3 }, projection: { _id: 0, scaled: { $multiply: ['$qty', '$$factor'] } } })
        .toArray();
      assert.deepEqual(docs, [{ scaled: 15 }]);
    });

    it('When findOneAndUpdate has a let, then its projection reads the variables', async function () {
      const doc = await db
        .collection('letItems')
        .findOneAndUpdate({ _id: 2 } as never, { $set: { seen: true } }, { let: { label: 'two' }, projection: { _id: 0, label: '$$label' }, returnDocument: 'after' } as never);
      assert.deepEqual(doc, { label: 'two' });
    });

    it('When a let value is an expression, then it is evaluated once before the filter', async function () {
      const docs = await db
        .collection('letItems')
        .find({ $expr: { $eq: ['$qty', '$$target'] } }, { let: { target: { $add: [10, 5] } } })
        .toArray();
      assert.deepEqual(docs.map((d) => d._id), [2]);
    });

    it('When a let names a variable with a capital letter, then the command fails with 16867', async function () {
      const err = await serverError(db.collection('letItems').find({}, { let: { Bad: 1 } }).toArray());
      assert.equal(err.code, 16867);
    });

    it('When aggregate has a let, then its stages read the variables', async function () {
      const docs = await db
        .collection('letItems')
        .aggregate([{ $sort: { _id: 1 } }, { $project: { _id: 1, over: { $gt: ['$qty', '$$floor'] } } }], { let: { floor: 10 } })
        .toArray();
      assert.deepEqual(docs, [{ _id: 1, over: false }, { _id: 2, over: true }, { _id: 3, over: true }]);
    });

    it("When aggregate's leading $match uses a let variable, then it filters by it", async function () {
      const docs = await db
        .collection('letItems')
        .aggregate([{ $match: { $expr: { $lt: ['$qty', '$$ceiling'] } } }], { let: { ceiling: 20 } })
        .toArray();
      assert.deepEqual(docs.map((d) => d._id).sort(), [1, 2]);
    });

    it("When an update's filter uses the command's let, then only the documents it selects change", async function () {
      const coll = db.collection('letUpdates');
      await coll.insertMany([{ _id: 1, qty: 5 }, { _id: 2, qty: 15 }] as never[]);
      const result = await coll.updateMany({ $expr: { $gt: ['$qty', '$$floor'] } }, { $set: { big: true } }, { let: { floor: 10 } });
      assert.equal(result.modifiedCount, 1);
      assert.deepEqual(await coll.find({ big: true }).toArray(), [{ _id: 2, qty: 15, big: true }]);
    });

    it("When a pipeline update reads the command's let, then the update writes its value", async function () {
      const coll = db.collection('letPipeline');
      await coll.insertOne({ _id: 1 } as never);
      await coll.updateOne({ _id: 1 } as never, [{ $set: { status: '$$status' } }], { let: { status: 'reviewed' } });
      assert.deepEqual(await coll.findOne({ _id: 1 } as never), { _id: 1, status: 'reviewed' });
    });

    it("When an update statement's c names the same variable as the let, then c wins", async function () {
      const coll = db.collection('letConstants');
      await coll.insertOne({ _id: 1 } as never);
      await db.command({
        update: 'letConstants',
        updates: [{ q: { _id: 1 }, u: [{ $set: { status: '$$status', by: '$$by' } }], c: { status: 'closed' } }],
        let: { status: 'open', by: 'auditor' },
      });
      assert.deepEqual(await coll.findOne({ _id: 1 } as never), { _id: 1, status: 'closed', by: 'auditor' });
    });

    it("When find computes a projected field, then it compares with the find's collation", async function () {
      await db.collection('letNames').insertOne({ _id: 1, name: 'abc' } as never);
      const doc = await db
        .collection('letNames')
        .findOne({ _id: 1 } as never, { projection: { same: { $eq: ['$name', 'ABC'] } }, collation: { locale: 'en', strength: 2 } });
      assert.deepEqual(doc, { _id: 1, same: true });
    });

    it('When a find with a let is explained, then its $expr counts with the variables', async function () {
      const explained = await db
        .collection('letItems')
        .find({ $expr: { $gt: ['$qty', '$$floor'] } }, { let: { floor: 10 } })
        .explain('executionStats');
      assert.equal((explained.executionStats as { nReturned: number }).nReturned, 2);
    });

    it("When a delete's filter uses the command's let, then only the documents it selects go", async function () {
      const coll = db.collection('letDeletes');
      await coll.insertMany([{ _id: 1, qty: 5 }, { _id: 2, qty: 15 }] as never[]);
      const result = await coll.deleteMany({ $expr: { $gt: ['$qty', '$$floor'] } }, { let: { floor: 10 } });
      assert.equal(result.deletedCount, 1);
      assert.deepEqual(await coll.find().toArray(), [{ _id: 1, qty: 5 }]);
    });

    it('When an update binds $$NOW in its let, then every statement sees that same instant', async function () {
      const coll = db.collection('letNow');
      await coll.insertMany([{ _id: 1 }, { _id: 2 }] as never[]);
      await db.command({
        update: 'letNow',
        updates: [
          { q: { _id: 1 }, u: [{ $set: { bound: '$$started', now: '$$NOW' } }] },
          { q: { _id: 2 }, u: [{ $set: { bound: '$$started', now: '$$NOW' } }] },
        ],
        let: { started: '$$NOW' },
      });
      const docs = await coll.find().toArray();
      const instants = new Set(docs.flatMap((d) => [d.bound.getTime(), d.now.getTime()]));
      assert.equal(instants.size, 1, `one $$NOW per command, got ${[...instants].join(', ')}`);
    });

    it("When findAndModify's query uses its let, then it picks the matching document", async function () {
      const coll = db.collection('letFam');
      await coll.insertMany([{ _id: 1, qty: 5 }, { _id: 2, qty: 15 }] as never[]);
      const before = await coll.findOneAndUpdate({ $expr: { $gt: ['$qty', '$$floor'] } }, { $set: { picked: true } }, { let: { floor: 10 } });
      assert.deepEqual(before, { _id: 2, qty: 15 });
    });
  });

  describe('$out', function () {
    it('When $out replaces an existing collection, then the target keeps its indexes', async function () {
      await db.collection('outSource').insertMany([{ _id: 1, email: 'a@x.org' }, { _id: 2, email: 'b@x.org' }] as never[]);
      const target = db.collection('outTarget');
      await target.insertOne({ _id: 9, email: 'old@x.org' } as never);
      await target.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
      await db.collection('outSource').aggregate([{ $out: 'outTarget' }]).toArray();
      assert.deepEqual((await target.find().sort({ _id: 1 }).toArray()).map((d) => d._id), [1, 2]);
      const unique = (await target.listIndexes().toArray()).find((spec) => spec.name === 'email_unique');
      assert.ok(unique, 'the unique index survived $out');
      assert.equal(unique.unique, true);
      await assert.rejects(target.insertOne({ _id: 3, email: 'a@x.org' } as never), (err: unknown) => err instanceof MongoServerError && err.code === 11000);
    });

    it('When $out replaces an existing collection, then the target keeps its options', async function () {
      await db.createCollection('outValidated', { validator: { email: { $type: 'string' } } });
      await db.collection('outSource2').insertOne({ _id: 1, email: 'a@x.org' } as never);
      await db.collection('outSource2').aggregate([{ $out: 'outValidated' }]).toArray();
      const [info] = await db.listCollections({ name: 'outValidated' }).toArray();
      assert.deepEqual((info as { options: Record<string, unknown> }).options.validator, { email: { $type: 'string' } });
    });

    it("When $out's documents break the target's unique index, then it fails and the target is unchanged", async function () {
      await db.collection('outDupes').insertMany([{ _id: 1, email: 'same@x.org' }, { _id: 2, email: 'same@x.org' }] as never[]);
      const target = db.collection('outGuarded');
      await target.insertOne({ _id: 7, email: 'kept@x.org' } as never);
      await target.createIndex({ email: 1 }, { unique: true });
      const err = await serverError(db.collection('outDupes').aggregate([{ $out: 'outGuarded' }]).toArray());
      assert.equal(err.code, 11000);
      assert.deepEqual(await target.find().toArray(), [{ _id: 7, email: 'kept@x.org' }]);
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      assert.ok(!names.some((name) => name.startsWith('tmp.agg_out.')), `no temporary collection left: ${names.join(', ')}`);
    });
  });
});

describe('server lifecycle and CLI', function () {
  this.timeout(30_000);

  it('startMongoServer validates its options and close() is idempotent', async function () {
    await assert.rejects(startMongoServer({ port: 70000, inMemory: true }), /invalid port/);
    await assert.rejects(startMongoServer({ port: 0 }), /inMemory: true or a dbPath/);
    const server = await startMongoServer({ port: 0, inMemory: true });
    assert.match(server.uri, /^mongodb:\/\/127\.0\.0\.1:\d+\/\?directConnection=true$/);
    assert.ok(server.port > 0);
    await Promise.all([server.close(), server.close()]);
  });

  it("thread: 'worker' runs the server in a worker thread that serves clients and closes cleanly", async function () {
    const records: string[] = [];
    const log = (_obj: object, msg?: string): void => void records.push(msg ?? '');
    const server = await startMongoServer({ port: 0, inMemory: true, thread: 'worker', logger: { debug: log, info: log, warn: log, error: log } });
    const workerClient = await new MongoClient(server.uri).connect();
    try {
      await workerClient.db('worker').collection('c').insertMany([{ a: 1 }, { a: 2 }]);
      assert.equal(await workerClient.db('worker').collection('c').countDocuments({ a: { $gt: 1 } }), 1);
    } finally {
      await workerClient.close();
      await server.close();
    }
    assert.ok(records.some((msg) => /listening/.test(msg)), 'worker log records reach the parent logger');
    await assert.rejects(new MongoClient(server.uri, { serverSelectionTimeoutMS: 300 }).connect());
  });

  it('with a dbPath, data and indexes survive a restart, and a second server cannot open the same directory', async function () {
    const dir = await mkdtemp(path.join(tmpdir(), 'embedded-mongo-'));
    try {
      const first = await startMongoServer({ port: 0, dbPath: dir });
      const c1 = await new MongoClient(first.uri).connect();
      await c1.db('persist').collection('c').insertMany([{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }] as never[]);
      await c1.db('persist').collection('c').createIndex({ v: 1 }, { unique: true });
      await assert.rejects(startMongoServer({ port: 0, dbPath: dir }));
      await c1.close();
      await first.close();

      const second = await startMongoServer({ port: 0, dbPath: dir });
      const c2 = await new MongoClient(second.uri).connect();
      try {
        assert.deepEqual(await c2.db('persist').collection('c').find().sort({ _id: 1 }).toArray(), [{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }]);
        await assert.rejects(c2.db('persist').collection('c').insertOne({ v: 'a' }), (e: MongoServerError) => e.code === 11000);
      } finally {
        await c2.close();
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the CLI validates its arguments', async function () {
    assert.deepEqual(parseArgs(['--port', '27018', '--dbpath', './x']), { host: '127.0.0.1', port: 27018, dbPath: './x', inMemory: false, enableTestCommands: false });
    assert.deepEqual(parseArgs(['--port=0', '--in-memory']), { host: '127.0.0.1', port: 0, inMemory: true, enableTestCommands: false });
    assert.equal(parseArgs(['--in-memory', '--setParameter', 'enableTestCommands=1']).enableTestCommands, true);
    assert.equal(parseArgs(['--in-memory', '--setParameter=enableTestCommands=true']).enableTestCommands, true);
    assert.throws(() => parseArgs(['--setParameter', 'enableTestCommands=yes']), /must be 1, true, 0 or false/);
    assert.throws(() => parseArgs(['--setParameter', 'notablescan=1']), /unknown parameter 'notablescan'/);
    assert.throws(() => parseArgs(['--port', 'abc']), /--port must be an integer/);
    assert.throws(() => parseArgs(['--port', '99999']), /--port must be an integer/);
    assert.throws(() => parseArgs(['--dbpath']), /--dbpath needs a value/);
    assert.throws(() => parseArgs(['--bogus']), /unknown argument/);
    assert.throws(() => parseArgs(['--in-memory', '--dbpath', 'x']), /exclude each other/);
  });

  it('the CLI serves clients and exits cleanly on SIGTERM', async function () {
    const cli = path.join(__dirname, '../../../src/embedded-mongo/cli.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--in-memory', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const uri = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /(mongodb:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`CLI exited early with ${code}`)));
      });
      const cliClient = await new MongoClient(uri).connect();
      await cliClient.db('cli').collection('c').insertOne({ a: 1 });
      assert.equal(await cliClient.db('cli').collection('c').countDocuments(), 1);
      await cliClient.close();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
