/**
 * Query filters through the official driver: what `find` returns for each operator group. Runs against the
 * embedded server, or a real MongoDB when MONGODB_URI is set (to check the expectations themselves).
 */
import assert from 'node:assert/strict';
import { Decimal128, Long, MongoClient, ObjectId, type Collection, type Db, type Document, type Filter } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

describe('conformance: query filters', () => {
  let client: MongoClient;
  let db: Db;
  let suppliers: Collection;

  const fixtures: Document[] = [
    { _id: 1, name: 'Acme', country: 'SE', score: 72, risk: Long.fromNumber(3), tags: ['textile', 'audited'], contacts: [{ role: 'buyer', name: 'Ann' }, { role: 'owner', name: 'Bo' }] },
    { _id: 2, name: 'acme nordic', country: 'NO', score: 55.5, risk: Decimal128.fromString('2.5'), tags: ['textile'], contacts: [{ role: 'owner', name: 'Cy' }] },
    { _id: 3, name: 'Brick AB', country: 'SE', score: null, tags: [], contacts: [] },
    { _id: 4, name: 'Cotton Ltd', country: 'IN', score: 91, risk: 7, tags: ['cotton', 'textile', 'flagged'] },
    { _id: 5, name: 'Öresund Metals', country: 'SE', score: '80', address: { city: 'Malmö', zip: '21100' } },
  ];

  async function ids(filter: Filter<Document>): Promise<unknown[]> {
    const docs = await suppliers.find(filter, { sort: { _id: 1 }, projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }

  function rejects(filter: Filter<Document>, code: number, message?: RegExp): Promise<void> {
    return rejectsWithCode(suppliers.find(filter).toArray(), code, message);
  }

  before(async () => {
    const target = await connectTestClient('query');
    client = target.client;
    db = client.db(target.dbName);
    suppliers = db.collection('suppliers');
    await suppliers.insertMany(fixtures);
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('matches plain equality, also against array elements', async () => {
    assert.deepEqual(await ids({ country: 'SE' }), [1, 3, 5]);
    assert.deepEqual(await ids({ tags: 'textile' }), [1, 2, 4]);
  });

  it('matches equal numbers across int32, int64, double and Decimal128', async () => {
    assert.deepEqual(await ids({ risk: 3 }), [1]);
    assert.deepEqual(await ids({ risk: 2.5 }), [2]);
    assert.deepEqual(await ids({ risk: Long.fromNumber(7) }), [4]);
  });

  it('matches null against null and missing fields', async () => {
    assert.deepEqual(await ids({ score: null }), [3]);
    assert.deepEqual(await ids({ risk: null }), [3, 5]);
    assert.deepEqual(await ids({ risk: { $ne: null } }), [1, 2, 4]);
  });

  it('compares only within the same type bracket', async () => {
    assert.deepEqual(await ids({ score: { $gt: 60 } }), [1, 4]);
    assert.deepEqual(await ids({ score: { $gte: '0' } }), [5]);
    assert.deepEqual(await ids({ risk: { $lt: Decimal128.fromString('3.5') } }), [1, 2]);
  });

  it('$in and $nin, with regexes inside $in', async () => {
    assert.deepEqual(await ids({ country: { $in: ['NO', 'IN'] } }), [2, 4]);
    assert.deepEqual(await ids({ country: { $nin: ['SE'] } }), [2, 4]);
    assert.deepEqual(await ids({ name: { $in: [/^acme/i, 'Brick AB'] } }), [1, 2, 3]);
  });

  it('$and, $or and $nor', async () => {
    assert.deepEqual(await ids({ $and: [{ country: 'SE' }, { tags: 'textile' }] }), [1]);
    assert.deepEqual(await ids({ $or: [{ country: 'IN' }, { score: null }] }), [3, 4]);
    assert.deepEqual(await ids({ $nor: [{ country: 'SE' }, { country: 'IN' }] }), [2]);
  });

  it('$not with an operator and with a regex', async () => {
    assert.deepEqual(await ids({ score: { $not: { $gt: 60 } } }), [2, 3, 5]);
    assert.deepEqual(await ids({ name: { $not: /^a/i } }), [3, 4, 5]);
  });

  it('$exists', async () => {
    assert.deepEqual(await ids({ address: { $exists: true } }), [5]);
    assert.deepEqual(await ids({ contacts: { $exists: false } }), [4, 5]);
  });

  it('$type with names, codes and "number"', async () => {
    assert.deepEqual(await ids({ score: { $type: 'number' } }), [1, 2, 4]);
    assert.deepEqual(await ids({ score: { $type: 'string' } }), [5]);
    assert.deepEqual(await ids({ risk: { $type: ['long', 'decimal'] } }), [1, 2]);
    assert.deepEqual(await ids({ score: { $type: 10 } }), [3]);
  });

  it('$regex with $options', async () => {
    assert.deepEqual(await ids({ name: { $regex: 'ACME', $options: 'i' } }), [1, 2]);
    assert.deepEqual(await ids({ name: { $regex: '^ö', $options: 'i' } }), [5]);
  });

  it('$mod, $size and $all', async () => {
    assert.deepEqual(await ids({ score: { $mod: [2, 1] } }), [2, 4]);
    assert.deepEqual(await ids({ tags: { $size: 0 } }), [3]);
    assert.deepEqual(await ids({ tags: { $all: ['textile', 'cotton'] } }), [4]);
  });

  it('$elemMatch needs one element to satisfy every condition', async () => {
    assert.deepEqual(await ids({ contacts: { $elemMatch: { role: 'owner', name: 'Bo' } } }), [1]);
    assert.deepEqual(await ids({ contacts: { $elemMatch: { role: 'buyer', name: 'Bo' } } }), []);
  });

  it('dotted paths traverse arrays of documents and embedded documents', async () => {
    assert.deepEqual(await ids({ 'contacts.role': 'owner' }), [1, 2]);
    assert.deepEqual(await ids({ 'contacts.0.name': 'Cy' }), [2]);
    assert.deepEqual(await ids({ 'address.city': 'Malmö' }), [5]);
  });

  it('embedded document equality is exact, field order included', async () => {
    assert.deepEqual(await ids({ address: { city: 'Malmö', zip: '21100' } }), [5]);
    assert.deepEqual(await ids({ address: { zip: '21100', city: 'Malmö' } }), []);
  });

  it('$expr compares fields of the same document', async () => {
    assert.deepEqual(await ids({ $expr: { $gt: [{ $size: { $ifNull: ['$tags', []] } }, 1] } }), [1, 4]);
  });

  it('$comment is accepted and ignored', async () => {
    assert.deepEqual(await ids({ country: 'NO', $comment: 'supplier lookup' }), [2]);
  });

  it('finds by ObjectId', async () => {
    const byObjectId = db.collection<{ _id: ObjectId; name: string }>('suppliers');
    const id = new ObjectId();
    await byObjectId.insertOne({ _id: id, name: 'temp' });
    const found = await byObjectId.find({ _id: new ObjectId(id.toHexString()) }).toArray();
    assert.deepEqual(found.map((d) => d._id.toHexString()), [id.toHexString()]);
    await byObjectId.deleteOne({ _id: id });
  });

  it('rejects an unknown operator with BadValue', async () => {
    await rejects({ score: { $foo: 1 } } as Filter<Document>, 2, /unknown operator: \$foo/);
  });

  it('rejects $in without an array', async () => {
    await rejects({ score: { $in: 5 } } as unknown as Filter<Document>, 2, /\$in needs an array/);
  });

  it('rejects an empty $or', async () => {
    await rejects({ $or: [] }, 2, /\$and\/\$or\/\$nor must be a nonempty array/);
  });

  it('applies the collation of the find to string comparisons', async () => {
    const docs = await suppliers.find({ name: 'ACME' }, { collation: { locale: 'en', strength: 2 } }).toArray();
    assert.deepEqual(docs.map((d) => d._id), [1]);
  });
});
