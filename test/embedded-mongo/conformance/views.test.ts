/**
 * Views through the official driver, as mongod 7 answers them: reads through every read command, views on views,
 * the catalog (listCollections, system.views, collMod, drop), collations, the refused writes and commands, and the
 * checks of a definition (cycles, depth, stages). Runs against the embedded server, or a real MongoDB when
 * MONGODB_URI is set.
 */
import assert from 'node:assert/strict';
import { MongoClient, type Db, type Document } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode, serverError } from './server-errors';

/** Documents with any kind of `_id` (the driver's default types assume ObjectId). */
interface Row {
  _id: number | string;
  [field: string]: unknown;
}

describe('conformance: views', () => {
  let client: MongoClient;
  let dbName: string;
  let db: Db;
  const coll = (name: string) => db.collection<Row>(name);
  const listed = async (name: string): Promise<Document | undefined> => (await db.listCollections({ name }).toArray())[0];

  const supplierFixtures: Row[] = [
    { _id: 1, name: 'Acme Textiles', country: 'SE', risk: 40, tags: ['cotton', 'dye'] },
    { _id: 2, name: 'Bolt Electronics', country: 'CN', risk: 85, tags: ['pcb'] },
    { _id: 3, name: 'cray cotton', country: 'IN', risk: 95, tags: ['cotton'] },
    { _id: 4, name: 'Dune Logistics', country: 'SE', risk: 10, tags: [] },
  ];

  before(async () => {
    ({ client, dbName } = await connectTestClient('views'));
    db = client.db(dbName);
    await coll('suppliers').insertMany(supplierFixtures);
    await db.createCollection('highRisk', { viewOn: 'suppliers', pipeline: [{ $match: { risk: { $gte: 40 } } }, { $project: { tags: 0 } }] });
  });

  after(async () => {
    await db.dropDatabase();
    await client.close();
  });

  describe('reads', () => {
    it('When a view is read with find, then filter, projection, sort, skip and limit apply after its pipeline', async () => {
      const view = coll('highRisk');
      assert.deepEqual(await view.find({}).sort({ _id: 1 }).toArray(), [
        { _id: 1, name: 'Acme Textiles', country: 'SE', risk: 40 },
        { _id: 2, name: 'Bolt Electronics', country: 'CN', risk: 85 },
        { _id: 3, name: 'cray cotton', country: 'IN', risk: 95 },
      ]);
      assert.deepEqual(await view.find({ country: { $ne: 'SE' } }, { projection: { _id: 0, name: 1 } }).sort({ risk: -1 }).skip(1).limit(1).toArray(), [
        { name: 'Bolt Electronics' },
      ]);
      assert.deepEqual(await view.findOne({ _id: 3 }), { _id: 3, name: 'cray cotton', country: 'IN', risk: 95 });
    });

    it('When a view is aggregated, then the stages run after its pipeline', async () => {
      const byCountry = await coll('highRisk').aggregate([{ $group: { _id: '$country', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
      assert.deepEqual(byCountry, [{ _id: 'CN', n: 1 }, { _id: 'IN', n: 1 }, { _id: 'SE', n: 1 }]);
    });

    it('When a view is counted, then count, countDocuments and estimatedDocumentCount see its documents only', async () => {
      const view = coll('highRisk');
      assert.equal(await view.countDocuments(), 3);
      assert.equal(await view.countDocuments({ country: 'SE' }), 1);
      assert.equal(await view.estimatedDocumentCount(), 3);
      assert.equal((await db.command({ count: 'highRisk', query: { risk: { $gt: 50 } }, skip: 1 })).n, 1);
    });

    it('When distinct runs on a view, then the values come from its documents', async () => {
      assert.deepEqual((await coll('highRisk').distinct('country')).sort(), ['CN', 'IN', 'SE']);
      assert.deepEqual(await coll('highRisk').distinct('country', { risk: { $gt: 90 } }), ['IN']);
      assert.deepEqual(await coll('highRisk').distinct('tags'), []);
    });

    it('When a view is defined on a view, then both pipelines apply, innermost first', async () => {
      await db.createCollection('highRiskNames', { viewOn: 'highRisk', pipeline: [{ $project: { _id: 0, name: { $toUpper: '$name' } } }] });
      assert.deepEqual(await coll('highRiskNames').find({}).sort({ name: 1 }).toArray(), [
        { name: 'ACME TEXTILES' },
        { name: 'BOLT ELECTRONICS' },
        { name: 'CRAY COTTON' },
      ]);
      assert.equal(await coll('highRiskNames').countDocuments({ name: /^B/ }), 1);
    });

    it('When a view is read in batches, then the cursor carries the view’s namespace through getMore', async () => {
      const first = await db.command({ find: 'highRisk', sort: { _id: 1 }, batchSize: 2 });
      assert.equal(first.cursor.ns, `${dbName}.highRisk`);
      assert.equal(first.cursor.firstBatch.length, 2);
      const more = await db.command({ getMore: first.cursor.id, collection: 'highRisk' });
      assert.equal(more.cursor.ns, `${dbName}.highRisk`);
      assert.deepEqual(more.cursor.nextBatch.map((doc: Document) => doc._id), [3]);
    });

    it('When $lookup, $graphLookup or $unionWith read a view, then they see its documents', async () => {
      await coll('audits').insertMany([{ _id: 'a1', supplierId: 1 }, { _id: 'a2', supplierId: 4 }]);
      const joined = await db
        .collection('audits')
        .aggregate([{ $lookup: { from: 'highRisk', localField: 'supplierId', foreignField: '_id', as: 'supplier' } }, { $project: { n: { $size: '$supplier' } } }, { $sort: { _id: 1 } }])
        .toArray();
      assert.deepEqual(joined, [{ _id: 'a1', n: 1 }, { _id: 'a2', n: 0 }]);
      const graph = await db
        .collection('audits')
        .aggregate([{ $graphLookup: { from: 'highRisk', startWith: '$supplierId', connectFromField: '_id', connectToField: '_id', as: 'chain' } }, { $project: { n: { $size: '$chain' } } }, { $sort: { _id: 1 } }])
        .toArray();
      assert.deepEqual(graph, [{ _id: 'a1', n: 1 }, { _id: 'a2', n: 0 }]);
      assert.equal((await coll('audits').aggregate([{ $unionWith: 'highRisk' }]).toArray()).length, 5);
    });

    it('When a view is read inside a transaction, then it sees the transaction’s own writes', async () => {
      const session = client.startSession();
      try {
        session.startTransaction();
        await coll('suppliers').insertOne({ _id: 5, name: 'Echo Mining', country: 'CD', risk: 99 }, { session });
        assert.equal(await coll('highRisk').countDocuments({}, { session }), 4);
        assert.equal((await coll('highRisk').find({ _id: 5 }, { session }).toArray()).length, 1);
      } finally {
        await session.abortTransaction();
        await session.endSession();
      }
      assert.equal(await coll('highRisk').countDocuments(), 3);
    });

    it('When a read of a view is explained, then the plan is that of its collection', async () => {
      const plan = await coll('highRisk').find({ country: 'SE' }).explain();
      assert.ok(JSON.stringify(plan).includes(`${dbName}.suppliers`), 'the explained namespace is the collection underneath');
    });

    it('When find asks a view for a cursor option an aggregation lacks, then it fails with 168', async () => {
      await rejectsWithCode(db.command({ find: 'highRisk', tailable: true }), 168);
      await rejectsWithCode(db.command({ find: 'highRisk', showRecordId: true }), 168);
    });
  });

  describe('catalog', () => {
    it('When views exist, then listCollections lists them with type view, their options and read-only info, beside system.views', async () => {
      const [entry] = await db.listCollections({ name: 'highRisk' }).toArray();
      assert.deepEqual(entry, {
        name: 'highRisk',
        type: 'view',
        options: { viewOn: 'suppliers', pipeline: [{ $match: { risk: { $gte: 40 } } }, { $project: { tags: 0 } }] },
        info: { readOnly: true },
      });
      const views = await db.listCollections({ type: 'view' }, { nameOnly: true }).toArray();
      assert.ok(views.every((view) => view.type === 'view'));
      assert.ok(views.some((view) => view.name === 'highRisk'));
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((info) => info.name);
      assert.ok(names.includes('system.views'), 'system.views is listed as a collection');
      assert.ok(names.includes('suppliers'));
    });

    it('When system.views is read, then it holds each view’s definition under its full name', async () => {
      const [definition] = await coll('system.views').find({ _id: `${dbName}.highRisk` }).toArray();
      assert.deepEqual(definition, { _id: `${dbName}.highRisk`, viewOn: 'suppliers', pipeline: [{ $match: { risk: { $gte: 40 } } }, { $project: { tags: 0 } }] });
    });

    it('When collMod changes a view’s pipeline or viewOn, then reads follow the new definition', async () => {
      await db.createCollection('changing', { viewOn: 'suppliers', pipeline: [{ $match: { country: 'SE' } }] });
      assert.equal(await coll('changing').countDocuments(), 2);
      await db.command({ collMod: 'changing', pipeline: [{ $match: { country: 'CN' } }] });
      assert.equal(await coll('changing').countDocuments(), 1);
      await db.command({ collMod: 'changing', viewOn: 'highRisk', pipeline: [{ $match: { country: 'SE' } }] });
      assert.deepEqual(await coll('changing').find({}).toArray(), [{ _id: 1, name: 'Acme Textiles', country: 'SE', risk: 40 }]);
      assert.deepEqual((await listed('changing'))?.options, { viewOn: 'highRisk', pipeline: [{ $match: { country: 'SE' } }] });
    });

    it('When collMod gives a view collection options, or a collection view options, then it fails with 72', async () => {
      await rejectsWithCode(db.command({ collMod: 'highRisk', validator: { risk: { $gte: 0 } } }), 72, /option not supported on a view: validator/);
      await rejectsWithCode(db.command({ collMod: 'highRisk', expireAfterSeconds: 1 }), 72);
      await rejectsWithCode(db.command({ collMod: 'suppliers', viewOn: 'audits', pipeline: [] }), 72);
      await rejectsWithCode(db.command({ collMod: 'highRisk', pipeline: { $match: {} } }), 14);
    });

    it('When a view is dropped, then it is gone and its collection is untouched; dropping the collection empties the views on it', async () => {
      await db.createCollection('shortLived', { viewOn: 'suppliers' });
      assert.equal((await db.command({ drop: 'shortLived' })).ok, 1);
      assert.deepEqual(await db.listCollections({ name: 'shortLived' }).toArray(), []);
      assert.equal(await coll('suppliers').countDocuments(), 4);
      await coll('scratch').insertOne({ _id: 1 });
      await db.createCollection('onScratch', { viewOn: 'scratch' });
      await coll('scratch').drop();
      assert.deepEqual(await coll('onScratch').find({}).toArray(), []);
      assert.equal((await db.listCollections({ name: 'onScratch' }).toArray())[0]?.type, 'view');
    });

    it('When a view is defined on a collection that does not exist yet, then it reads as empty until the collection appears', async () => {
      await db.createCollection('early', { viewOn: 'notYet', pipeline: [] });
      assert.equal(await coll('early').countDocuments(), 0);
      await coll('notYet').insertOne({ _id: 1 });
      assert.deepEqual(await coll('early').find({}).toArray(), [{ _id: 1 }]);
    });

    it('When dbStats runs, then it counts the views', async () => {
      const stats = await db.command({ dbStats: 1 });
      assert.ok(stats.views >= 1);
    });
  });

  describe('collation', () => {
    before(async () => {
      await coll('names').insertMany([{ _id: 1, name: 'Zeta' }, { _id: 2, name: 'alpha' }, { _id: 3, name: 'Äpple' }]);
      await db.createCollection('namesSv', { viewOn: 'names', collation: { locale: 'sv' } });
      await db.createCollection('namesSimple', { viewOn: 'names' });
    });

    it('When a view has a collation, then its reads sort and match with it and listCollections shows it', async () => {
      const sorted = await coll('namesSv').find({}).sort({ name: 1 }).toArray();
      assert.deepEqual(sorted.map((doc) => doc.name), ['alpha', 'Zeta', 'Äpple']);
      const simple = await coll('namesSimple').find({}).sort({ name: 1 }).toArray();
      assert.deepEqual(simple.map((doc) => doc.name), ['Zeta', 'alpha', 'Äpple']);
      assert.equal((await listed('namesSv'))?.options.collation.locale, 'sv');
      assert.equal('collation' in (await listed('namesSimple'))?.options, false);
    });

    it('When a read asks a view for another collation, then it fails with 167; its own collation is accepted', async () => {
      await rejectsWithCode(coll('namesSv').find({}, { collation: { locale: 'en' } }).toArray(), 167, /Cannot override a view's default collation/);
      await rejectsWithCode(coll('namesSv').find({}, { collation: { locale: 'simple' } }).toArray(), 167);
      await rejectsWithCode(coll('namesSimple').aggregate([], { collation: { locale: 'sv' } }).toArray(), 167);
      await rejectsWithCode(db.command({ count: 'namesSv', collation: { locale: 'fr' } }), 167);
      await rejectsWithCode(db.command({ distinct: 'namesSv', key: 'name', collation: { locale: 'fr' } }), 167);
      assert.equal((await coll('namesSv').find({}, { collation: { locale: 'sv' } }).toArray()).length, 3);
      assert.equal((await coll('namesSimple').find({}, { collation: { locale: 'simple' } }).toArray()).length, 3);
    });

    it('When a view is defined on a view of another collation, then it fails with 167', async () => {
      await rejectsWithCode(db.createCollection('namesEn', { viewOn: 'namesSv', collation: { locale: 'en' } }), 167);
      await rejectsWithCode(db.createCollection('namesPlain', { viewOn: 'namesSv' }), 167);
      await db.createCollection('namesSvToo', { viewOn: 'namesSv', collation: { locale: 'sv' } });
      assert.equal(await coll('namesSvToo').countDocuments(), 3);
    });
  });

  describe('refused operations', () => {
    const refused = () => new RegExp(`Namespace ${dbName}\\.highRisk is a view, not a collection`);

    it('When a write addresses a view, then it fails with 166 and writes nothing', async () => {
      const view = coll('highRisk');
      await rejectsWithCode(view.insertOne({ _id: 100 }), 166, refused());
      await rejectsWithCode(view.updateOne({ _id: 1 }, { $set: { risk: 0 } }), 166, refused());
      await rejectsWithCode(view.deleteMany({}), 166, refused());
      await rejectsWithCode(view.replaceOne({ _id: 1 }, { name: 'x' }, { upsert: true }), 166, refused());
      await rejectsWithCode(view.findOneAndUpdate({ _id: 1 }, { $set: { risk: 0 } }), 166, refused());
      await rejectsWithCode(view.findOneAndDelete({ _id: 1 }), 166, refused());
      const reply = await db.command({ insert: 'highRisk', documents: [{ _id: 100 }, { _id: 101 }], ordered: false });
      assert.deepEqual(reply.writeErrors.map((e: Document) => [e.index, e.code]), [[0, 166], [1, 166]]);
      assert.equal(reply.n, 0);
      const ordered = await db.command({ insert: 'highRisk', documents: [{ _id: 100 }, { _id: 101 }] });
      assert.deepEqual(ordered.writeErrors.map((e: Document) => e.index), [0]);
      assert.equal(await coll('suppliers').countDocuments(), 4);
      assert.equal((await db.listCollections({ name: 'highRisk' }).toArray())[0].type, 'view');
    });

    it('When indexes are created, listed or dropped on a view, then it fails with 166', async () => {
      const view = coll('highRisk');
      await rejectsWithCode(view.createIndex({ risk: 1 }), 166);
      await rejectsWithCode(view.listIndexes().toArray(), 166, refused());
      await rejectsWithCode(view.dropIndex('risk_1'), 166);
      await rejectsWithCode(db.command({ collStats: 'highRisk' }), 166);
    });

    it('When $out or $merge target a view, then they fail with 166', async () => {
      await rejectsWithCode(coll('suppliers').aggregate([{ $out: 'highRisk' }]).toArray(), 166);
      await rejectsWithCode(coll('suppliers').aggregate([{ $merge: 'highRisk' }]).toArray(), 166);
      assert.equal(await coll('highRisk').countDocuments(), 3);
    });

    it('When a view is renamed, or a collection renamed onto a view, then it fails with 166 or 48', async () => {
      const admin = client.db('admin');
      await rejectsWithCode(admin.command({ renameCollection: `${dbName}.highRisk`, to: `${dbName}.renamedView` }), 166, /cannot rename view/);
      await rejectsWithCode(admin.command({ renameCollection: `${dbName}.audits`, to: `${dbName}.highRisk`, dropTarget: true }), 48, /a view already exists with that name/);
    });

    it('When a name is taken by a view or a collection, then creating the other under it fails with 48', async () => {
      await rejectsWithCode(db.createCollection('highRisk'), 48);
      await rejectsWithCode(db.createCollection('suppliers', { viewOn: 'audits' }), 48);
      await rejectsWithCode(db.createCollection('highRisk', { viewOn: 'audits', pipeline: [{ $match: { risk: 1 } }] }), 48);
    });
  });

  describe('definitions', () => {
    it('When a definition is malformed, then create fails with mongod’s codes and nothing is listed', async () => {
      await rejectsWithCode(db.command({ create: 'bad', pipeline: [] }), 72, /'pipeline' requires 'viewOn' to also be specified/);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: 5 }), 14);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: 'suppliers', pipeline: { $match: {} } }), 14);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: '' }), 2);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: 'suppliers', pipeline: [{ $nope: 1 }] }), 40324);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: 'suppliers', pipeline: [{ $lookup: { from: 'audits', localField: 'a', foreignField: 'b' } }] }), 9);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: 'suppliers', pipeline: [{ $out: 'x' }] }), 167, /cannot be used in the view definition .* because it writes to disk/);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: 'suppliers', pipeline: [{ $merge: { into: 'x' } }] }), 167);
      await rejectsWithCode(db.command({ create: 'bad', viewOn: 'suppliers', pipeline: [{ $lookup: { from: 'x', pipeline: [{ $out: 'y' }], as: 'z' } }] }), 51047);
      await rejectsWithCode(db.command({ create: 'system.views', viewOn: 'suppliers' }), 73, /Cannot create a view called/);
      await rejectsWithCode(db.command({ create: 'system.special', viewOn: 'suppliers' }), 73);
      assert.deepEqual(await db.listCollections({ name: 'bad' }).toArray(), []);
    });

    it('When a view would read itself, directly, through other views or through $lookup, then it fails with 5', async () => {
      await rejectsWithCode(db.createCollection('selfish', { viewOn: 'selfish' }), 5, /View cycle detected/);
      await db.createCollection('loopA', { viewOn: 'loopB' });
      const err = await serverError(db.createCollection('loopB', { viewOn: 'loopA' }));
      assert.equal(err.code, 5);
      assert.match(err.message, new RegExp(`View cycle detected: ${dbName}\\.loopB => ${dbName}\\.loopB => ${dbName}\\.loopA => ${dbName}\\.loopB`));
      await rejectsWithCode(db.createCollection('lookupLoop', { viewOn: 'suppliers', pipeline: [{ $lookup: { from: 'lookupLoop', localField: 'a', foreignField: 'b', as: 'c' } }] }), 5);
      await db.createCollection('loopC', { viewOn: 'suppliers' });
      await rejectsWithCode(db.command({ collMod: 'loopC', viewOn: 'loopA', pipeline: [{ $unionWith: 'loopC' }] }), 5);
      assert.equal(await coll('loopC').countDocuments(), 4, 'the refused collMod left the view as it was');
    });

    it('When views would stack more than 20 deep, then it fails with 165; 20 deep is fine', async () => {
      for (let level = 1; level <= 20; level++) await db.createCollection(`deep${level}`, { viewOn: level === 20 ? 'suppliers' : `deep${level + 1}` });
      await rejectsWithCode(db.createCollection('deep0', { viewOn: 'deep1' }), 165, /View depth limit exceeded; maximum depth is 20/);
      await rejectsWithCode(db.createCollection('deepSide', { viewOn: 'suppliers', pipeline: [{ $lookup: { from: 'deep1', localField: 'a', foreignField: 'b', as: 'c' } }] }), 165);
      await db.createCollection('deepMiddle', { viewOn: 'deep10' });
      assert.equal(await coll('deepMiddle').countDocuments(), 4);
    });
  });
});
