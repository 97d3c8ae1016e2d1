/**
 * A collection's default collation (from `create`) through the official driver: every operation without a collation
 * of its own uses it, indexes created without one inherit it, and an explicit `{locale: 'simple'}` opts out.
 */
import assert from 'node:assert/strict';
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';

interface Person extends Document {
  _id: number;
  name: string;
  tags?: string[];
}

const SIMPLE = { locale: 'simple' } as const;

describe('conformance: a collection default collation', () => {
  let client: MongoClient | undefined;
  let db: Db | undefined;
  let people: Collection<Person>;

  before(async () => {
    const target = await connectTestClient('collection_collation');
    client = target.client;
    db = client.db(target.dbName);
  });

  beforeEach(async () => {
    if (!db) throw new Error('no database: the connection in before() failed');
    const name = `people_${Math.random().toString(36).slice(2, 10)}`;
    await db.createCollection(name, { collation: { locale: 'en', strength: 2 } });
    people = db.collection<Person>(name);
    await people.insertMany([
      { _id: 1, name: 'Zeta' },
      { _id: 2, name: 'alpha' },
      { _id: 3, name: 'Alpha' },
      { _id: 4, name: 'beta' },
    ]);
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  const names = (docs: Document[]): string[] => docs.map((doc) => doc.name as string);

  it('When find sorts without a collation, then it sorts by the default; with the simple collation, by code point', async () => {
    assert.deepEqual(names(await people.find({}, { sort: { name: 1, _id: 1 } }).toArray()), ['alpha', 'Alpha', 'beta', 'Zeta']);
    assert.deepEqual(names(await people.find({}, { sort: { name: 1 }, collation: SIMPLE }).toArray()), ['Alpha', 'Zeta', 'alpha', 'beta']);
    assert.equal((await people.find({ name: 'ALPHA' }).toArray()).length, 2);
    assert.equal((await people.find({ name: 'ALPHA' }, { collation: SIMPLE }).toArray()).length, 0);
  });

  it('When an indexed field is sorted, then the index (which inherited the collation) gives the same order', async () => {
    await people.createIndex({ name: 1 });
    assert.deepEqual(names(await people.find({ name: { $gte: 'a' } }, { sort: { name: 1, _id: 1 } }).toArray()), ['alpha', 'Alpha', 'beta', 'Zeta']);
  });

  it('When count, distinct, update and delete name no collation, then they match under the default', async () => {
    assert.equal(await people.countDocuments({ name: 'ALPHA' }), 2);
    assert.equal(await people.estimatedDocumentCount(), 4);
    assert.equal(await db?.command({ count: people.collectionName, query: { name: 'BETA' } }).then((r) => r.n), 1);
    const distinct = await people.distinct('name');
    assert.equal(distinct.length, 3, 'alpha and Alpha are one value');
    assert.deepEqual(distinct.map((n: string) => n.toLowerCase()), ['alpha', 'beta', 'zeta']);
    assert.equal((await people.updateMany({ name: 'ALPHA' }, { $set: { seen: true } })).matchedCount, 2);
    assert.equal((await people.updateMany({ name: 'ALPHA' }, { $set: { seen: false } }, { collation: SIMPLE })).matchedCount, 0);
    assert.equal((await people.deleteOne({ name: 'ZETA' })).deletedCount, 1);
    assert.equal((await people.deleteMany({ name: 'BETA' }, { collation: SIMPLE })).deletedCount, 0);
  });

  it('When findAndModify names no collation, then it matches and sorts under the default', async () => {
    const found = await people.findOneAndUpdate({ name: 'ALPHA' }, { $set: { picked: true } }, { sort: { _id: -1 }, returnDocument: 'after' });
    assert.equal(found?._id, 3);
    const removed = await people.findOneAndDelete({}, { sort: { name: -1 } });
    assert.equal(removed?.name, 'Zeta');
  });

  it('When an aggregation names no collation, then $match, $sort and $group use the default', async () => {
    assert.equal((await people.aggregate([{ $match: { name: 'ALPHA' } }]).toArray()).length, 2);
    const sorted = await people.aggregate([{ $project: { name: 1 } }, { $sort: { name: 1, _id: 1 } }]).toArray();
    assert.deepEqual(names(sorted), ['alpha', 'Alpha', 'beta', 'Zeta']);
    const groups = await people.aggregate([{ $group: { _id: '$name', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    assert.deepEqual(groups.map((g) => g.n), [2, 1, 1]);
    const simple = await people.aggregate([{ $group: { _id: '$name' } }], { collation: SIMPLE }).toArray();
    assert.equal(simple.length, 4);
  });

  it('When update operators compare values, then $addToSet and $pull use the default', async () => {
    await people.updateOne({ _id: 4 }, { $set: { tags: ['Red', 'Blue'] } });
    assert.equal((await people.updateOne({ _id: 4 }, { $addToSet: { tags: 'red' } })).modifiedCount, 0);
    await people.updateOne({ _id: 4 }, { $pull: { tags: 'BLUE' } as never });
    assert.deepEqual((await people.findOne({ _id: 4 }))?.tags, ['Red']);
  });

  it('When an index is created without a collation, then listIndexes shows the inherited one; with the simple one, none', async () => {
    await people.createIndex({ name: 1 }, { name: 'inherits' });
    await people.createIndex({ name: -1 }, { name: 'binary', collation: SIMPLE });
    const indexes = await people.listIndexes().toArray();
    const byName = new Map(indexes.map((ix) => [ix.name as string, ix]));
    assert.equal(byName.get('inherits')?.collation?.locale, 'en');
    assert.equal(byName.get('inherits')?.collation?.strength, 2);
    assert.equal(byName.get('_id_')?.collation?.locale, 'en', 'the _id index has it too');
    assert.equal(byName.get('binary')?.collation, undefined);
  });

  it('When a validator compares strings, then it compares them under the default', async () => {
    const name = `checked_${people.collectionName}`;
    await db?.createCollection(name, { collation: { locale: 'en', strength: 2 }, validator: { status: { $in: ['open', 'closed'] } } });
    const checked = (db as Db).collection(name);
    await checked.insertOne({ status: 'OPEN' });
    await assert.rejects(checked.insertOne({ status: 'pending' }), { code: 121 });
  });

  it('When a unique index inherits the collation, then values equal under it collide', async () => {
    await people.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { code: { $exists: true } } });
    await people.insertOne({ _id: 10, name: 'x', code: 'ABC' } as Person);
    await assert.rejects(people.insertOne({ _id: 11, name: 'y', code: 'abc' } as Person), { code: 11000 });
  });
});
