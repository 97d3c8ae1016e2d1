/**
 * Sort order through the official driver: several keys, mixed types, arrays, missing fields.
 */
import assert from 'node:assert/strict';
import { Decimal128, Long, MaxKey, MinKey, MongoClient, ObjectId, type Collection, type Db, type Document, type Sort } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

describe('conformance: sort', () => {
  let client: MongoClient;
  let db: Db;
  let coll: Collection;

  before(async () => {
    const target = await connectTestClient('sort');
    client = target.client;
    db = client.db(target.dbName);
    coll = db.collection('mixed');
    await coll.insertMany([
      { _id: 'max', v: new MaxKey(), g: 1 },
      { _id: 'date', v: new Date(0), g: 2 },
      { _id: 'true', v: true, g: 1 },
      { _id: 'oid', v: new ObjectId('000000000000000000000001'), g: 2 },
      { _id: 'arr', v: [7, 0.5], g: 1 },
      { _id: 'obj', v: { a: 1 }, g: 2 },
      { _id: 'str', v: 'abc', g: 1 },
      { _id: 'long', v: Long.fromNumber(2), g: 2 },
      { _id: 'dec', v: Decimal128.fromString('1.5'), g: 1 },
      { _id: 'null', v: null, g: 2 },
      { _id: 'missing', g: 1 },
      { _id: 'min', v: new MinKey(), g: 2 },
    ] as unknown as Document[]);
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  async function order(sort: Sort, filter: Document = {}): Promise<unknown[]> {
    const docs = await coll.find(filter, { sort, projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }

  it('orders values of different types by MongoDB type order, arrays by their smallest element', async () => {
    assert.deepEqual(await order({ v: 1, _id: 1 }), ['min', 'missing', 'null', 'arr', 'dec', 'long', 'str', 'obj', 'oid', 'true', 'date', 'max']);
  });

  it('descending uses the largest array element', async () => {
    assert.deepEqual(await order({ v: -1, _id: 1 }, { v: { $type: 'number' } }), ['arr', 'long', 'dec']);
  });

  it('sorts on several keys with mixed directions', async () => {
    assert.deepEqual(await order({ g: -1, _id: 1 }, { _id: { $in: ['date', 'oid', 'str', 'true'] } }), ['date', 'oid', 'str', 'true']);
  });

  it('combines sort with skip and limit', async () => {
    const docs = await coll.find({}, { sort: { v: 1, _id: 1 }, skip: 2, limit: 3, projection: { _id: 1 } }).toArray();
    assert.deepEqual(docs.map((d) => d._id), ['null', 'arr', 'dec']);
  });

  it('rejects an invalid sort order with code 15975', async () => {
    // The driver refuses such a sort itself, so send the command directly.
    await rejectsWithCode(
      db.command({ find: 'mixed', filter: {}, sort: { v: 2 } }),
      15975,
      /\$sort key ordering must be 1 \(for ascending\) or -1 \(for descending\)/,
    );
  });
});
