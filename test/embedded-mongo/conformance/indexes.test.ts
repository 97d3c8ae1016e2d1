/** Indexes through the official driver: uniqueness and its error shape, sparse/partial/multikey/collated indexes, conflicts. */
import assert from 'node:assert/strict';
import { MongoBulkWriteError, type Db, type MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { serverError } from './server-errors';

describe('indexes (conformance)', function () {
  let client: MongoClient;
  let db: Db;

  before(async function () {
    const target = await connectTestClient('indexes');
    client = target.client;
    db = client.db(target.dbName);
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  it('When a unique index is violated, then the write error carries code 11000, the message, keyPattern and keyValue', async function () {
    const users = db.collection('users');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ _id: 1 as never, email: 'ann@example.org' });
    const err = await serverError(users.insertOne({ _id: 2 as never, email: 'ann@example.org' }));
    assert.equal(err.code, 11000);
    assert.match(err.message, /^E11000 duplicate key error collection: \S+\.users index: email_1 dup key: \{ email: "ann@example\.org" \}$/);
    assert.deepEqual(err.keyPattern, { email: 1 });
    assert.deepEqual(err.keyValue, { email: 'ann@example.org' });
  });

  it('When an unordered insertMany hits duplicates, then the others are inserted and each duplicate is reported', async function () {
    const coll = db.collection('many');
    await coll.createIndex({ code: 1 }, { unique: true });
    try {
      await coll.insertMany([{ code: 'a' }, { code: 'a' }, { code: 'b' }, { code: 'b' }], { ordered: false });
      assert.fail('expected duplicates');
    } catch (err) {
      assert.ok(err instanceof MongoBulkWriteError);
      assert.deepEqual(err.writeErrors instanceof Array ? err.writeErrors.map((e) => e.index) : [], [1, 3]);
    }
    assert.equal(await coll.countDocuments(), 2);
  });

  it('When an update would create a duplicate, then it fails with 11000 and changes nothing', async function () {
    const coll = db.collection('upd');
    await coll.createIndex({ a: 1, b: -1 }, { unique: true });
    await coll.insertMany([{ _id: 1 as never, a: 1, b: 1 }, { _id: 2 as never, a: 1, b: 2 }]);
    const err = await serverError(coll.updateOne({ _id: 2 as never }, { $set: { b: 1 } }));
    assert.equal(err.code, 11000);
    assert.deepEqual(err.keyValue, { a: 1, b: 1 });
    assert.equal((await coll.findOne({ _id: 2 as never }))?.b, 2);
  });

  it('When a unique index is sparse or partial, then documents outside it do not collide', async function () {
    const coll = db.collection('sparse');
    await coll.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await coll.createIndex({ ref: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await coll.insertMany([{}, {}, { ref: 1 }, { ref: 1 }, { ref: 1, active: true }]);
    assert.equal((await serverError(coll.insertOne({ ref: 1, active: true }))).code, 11000);
    const specs = await coll.indexes();
    assert.deepEqual(specs.find((s) => s.name === 'ref_1')?.partialFilterExpression, { active: true });
    assert.equal(specs.find((s) => s.name === 'nick_1')?.sparse, true);
  });

  it('When existing documents violate a new unique index, then createIndex fails with 11000 and no index remains', async function () {
    const coll = db.collection('dups');
    await coll.insertMany([{ k: 1 }, { k: 1 }]);
    assert.equal((await serverError(coll.createIndex({ k: 1 }, { unique: true }))).code, 11000);
    assert.deepEqual((await coll.indexes()).map((s) => s.name), ['_id_']);
  });

  it('When two array fields meet in one compound index, then the write fails with 171', async function () {
    const coll = db.collection('multikey');
    await coll.createIndex({ x: 1, y: 1 });
    await coll.insertOne({ x: [1, 2], y: 1 });
    const err = await serverError(coll.insertOne({ x: [1], y: [2] }));
    assert.equal(err.code, 171);
    assert.match(err.message, /cannot index parallel arrays/);
    assert.deepEqual(await coll.find({ x: 2 }, { projection: { _id: 0 } }).toArray(), [{ x: [1, 2], y: 1 }]);
  });

  it('When an index has a case-insensitive collation, then uniqueness ignores case', async function () {
    const coll = db.collection('collated');
    await coll.createIndex({ name: 1 }, { unique: true, collation: { locale: 'en', strength: 2 } });
    await coll.insertOne({ name: 'Supplier AB' });
    assert.equal((await serverError(coll.insertOne({ name: 'SUPPLIER ab' }))).code, 11000);
    const spec = (await coll.indexes()).find((s) => s.name === 'name_1');
    assert.equal(spec?.collation?.locale, 'en');
    assert.equal(spec?.collation?.strength, 2);
  });

  it('When createIndexes repeats an index, then it is a no-op; a clashing name is 86 and a clashing key 85', async function () {
    await db.collection('conflicts').createIndex({ a: 1 }, { name: 'by_a' });
    const again = await db.command({ createIndexes: 'conflicts', indexes: [{ key: { a: 1 }, name: 'by_a' }] });
    assert.equal(again.numIndexesBefore, again.numIndexesAfter);
    assert.equal(again.note, 'all indexes already exist');
    const sameName = await serverError(db.command({ createIndexes: 'conflicts', indexes: [{ key: { b: 1 }, name: 'by_a' }] }));
    assert.equal(sameName.code, 86);
    assert.equal(sameName.codeName, 'IndexKeySpecsConflict');
    const sameKey = await serverError(db.command({ createIndexes: 'conflicts', indexes: [{ key: { a: 1 }, name: 'other' }] }));
    assert.equal(sameKey.code, 85);
    assert.equal(sameKey.codeName, 'IndexOptionsConflict');
  });

  it('When GridFS-style chunks are indexed on {files_id, n}, then a sorted read returns them in order', async function () {
    const chunks = db.collection('fs.chunks');
    await chunks.createIndex({ files_id: 1, n: 1 }, { unique: true });
    await chunks.insertMany([3, 0, 2, 1].map((n) => ({ files_id: 'f', n, data: `part${n}` })));
    const read = await chunks.find({ files_id: 'f' }).sort({ n: 1 }).toArray();
    assert.deepEqual(read.map((c) => c.n), [0, 1, 2, 3]);
    assert.equal((await serverError(chunks.insertOne({ files_id: 'f', n: 2 }))).code, 11000);
  });

  it('When a hint names no index, then the find fails with 2 BadValue', async function () {
    const err = await serverError(db.collection('users').find({}).hint('nope').toArray());
    assert.equal(err.code, 2);
    assert.match(err.message, /hint provided does not correspond to an existing index/);
  });
});
