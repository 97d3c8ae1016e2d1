import { strict as assert } from 'node:assert';
import { Decimal128, Double, Int32, Long, type Collection, type Db, type Document, type MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';

/** Test documents use numeric _id values. */
interface NumberDoc extends Document {
  _id: number;
}

/** Documents read back without the driver's number promotion: every value keeps the class of its BSON type. */
const EXACT = { promoteValues: false, promoteLongs: false } as const;

/** The BSON type alias of each named field of the documents, in _id order. */
async function typesOf(coll: Collection<NumberDoc>, field: string): Promise<string[]> {
  const rows = await coll.aggregate([{ $sort: { _id: 1 } }, { $project: { _id: 0, t: { $type: `$${field}` } } }]).toArray();
  return rows.map((row) => row.t as string);
}

describe('conformance: numeric types round-trip exactly', () => {
  let client: MongoClient | undefined;
  let db: Db | undefined;
  let coll: Collection<NumberDoc>;

  before(async () => {
    const target = await connectTestClient('numeric_types');
    client = target.client;
    db = target.client.db(target.dbName);
  });

  beforeEach(async () => {
    if (!db) throw new Error('no database: the connection in before() failed');
    coll = db.collection<NumberDoc>(`c_${Math.random().toString(36).slice(2, 10)}`);
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  describe('storage and queries', () => {
    it('When each numeric type is inserted, then $type finds each one and it reads back as the type it was written as', async () => {
      await coll.insertMany([
        { _id: 1, v: new Double(42) },
        { _id: 2, v: 4.5 },
        { _id: 3, v: new Int32(7) },
        { _id: 4, v: Long.fromNumber(5) },
        { _id: 5, v: Decimal128.fromString('1.10') },
        { _id: 6, v: -0 },
        { _id: 7, v: new Double(3e9) },
      ] as NumberDoc[]);
      assert.deepEqual(await coll.distinct('_id', { v: { $type: 'double' } }), [1, 2, 6, 7]);
      assert.deepEqual(await coll.distinct('_id', { v: { $type: 'int' } }), [3]);
      assert.deepEqual(await coll.distinct('_id', { v: { $type: 'long' } }), [4]);
      assert.deepEqual(await coll.distinct('_id', { v: { $type: 'decimal' } }), [5]);
      const docs = await coll.find({}, { sort: { _id: 1 }, ...EXACT }).toArray();
      const classes = docs.map((doc) => (doc.v as { _bsontype: string })._bsontype);
      assert.deepEqual(classes, ['Double', 'Double', 'Int32', 'Long', 'Decimal128', 'Double', 'Double']);
      assert.equal((docs[0].v as Double).value, 42);
      assert.equal((docs[4].v as Decimal128).toString(), '1.10');
      assert.ok(Object.is((docs[5].v as Double).value, -0));
    });

    it('When an integral double sits in an array or an embedded document, then it stays a double there too', async () => {
      await coll.insertOne({ _id: 1, a: { b: [new Double(1), 2, { c: new Double(-7) }] } } as NumberDoc);
      assert.equal(await coll.countDocuments({ 'a.b': { $type: 'double' } }), 1);
      assert.equal(await coll.countDocuments({ 'a.b.c': { $type: 'double' } }), 1);
      const [doc] = await coll.find({}, EXACT).toArray();
      const list = (doc.a as { b: unknown[] }).b;
      assert.ok(list[0] instanceof Double);
      assert.ok(list[1] instanceof Int32);
      assert.ok((list[2] as { c: unknown }).c instanceof Double);
    });

    it('When a double and an int32 hold the same value, then equality, ranges, $in and a unique index treat them as equal', async () => {
      await coll.createIndex({ v: 1 }, { unique: true });
      await coll.insertOne({ _id: 1, v: new Double(3) } as NumberDoc);
      await assert.rejects(coll.insertOne({ _id: 2, v: 3 }), { code: 11000 });
      assert.equal(await coll.countDocuments({ v: 3 }), 1);
      assert.equal(await coll.countDocuments({ v: { $in: [Long.fromNumber(3)] } }), 1);
      assert.equal(await coll.countDocuments({ v: { $gte: Decimal128.fromString('3.0'), $lt: new Double(3.5) } }), 1);
      assert.equal(await coll.countDocuments({ v: { $bitsAllSet: 3 } }), 1, 'an integral double has bits');
    });
  });

  describe('update operators follow mongod\'s type promotion', () => {
    async function afterUpdate(start: Document, update: Document): Promise<unknown> {
      await coll.insertOne({ _id: 1, ...start });
      await coll.updateOne({ _id: 1 }, update);
      const [doc] = await coll.find({ _id: 1 }, EXACT).toArray();
      return doc.n;
    }

    it('When $inc mixes types, then the result has the wider type, and int32 overflow becomes int64', async () => {
      assert.ok((await afterUpdate({ n: 1 }, { $inc: { n: new Double(1) } })) instanceof Double, 'int + double');
      await coll.deleteMany({});
      assert.ok((await afterUpdate({ n: new Double(1) }, { $inc: { n: 1 } })) instanceof Double, 'double + int');
      await coll.deleteMany({});
      const sum = await afterUpdate({ n: 1.5 }, { $inc: { n: 1.5 } });
      assert.ok(sum instanceof Double && sum.value === 3, '1.5 + 1.5 is the double 3.0');
      await coll.deleteMany({});
      const overflow = await afterUpdate({ n: 2147483647 }, { $inc: { n: 1 } });
      assert.ok(overflow instanceof Long && overflow.toString() === '2147483648');
      await coll.deleteMany({});
      assert.ok((await afterUpdate({ n: Long.fromNumber(1) }, { $inc: { n: 1 } })) instanceof Long, 'long + int');
      await coll.deleteMany({});
      assert.ok((await afterUpdate({ n: 1 }, { $inc: { n: Decimal128.fromString('1') } })) instanceof Decimal128, 'int + decimal');
      await coll.deleteMany({});
      assert.ok((await afterUpdate({}, { $inc: { n: new Double(2) } })) instanceof Double, 'a missing field takes the increment as it is');
    });

    it('When $mul mixes types or meets a missing field, then the result type is mongod\'s', async () => {
      assert.ok((await afterUpdate({ n: 2 }, { $mul: { n: new Double(3) } })) instanceof Double);
      await coll.deleteMany({});
      const zero = await afterUpdate({}, { $mul: { n: new Double(2) } });
      assert.ok(zero instanceof Double && zero.value === 0, 'a missing field becomes 0.0');
      await coll.deleteMany({});
      assert.ok((await afterUpdate({}, { $mul: { n: 2 } })) instanceof Int32);
      await coll.deleteMany({});
      assert.ok((await afterUpdate({ n: 2 }, { $mul: { n: Long.fromNumber(3) } })) instanceof Long);
    });

    it('When $set, $min and $max write a double, then it stays a double, and an equal value of another type changes nothing', async () => {
      assert.ok((await afterUpdate({ n: 1 }, { $set: { n: new Double(5) } })) instanceof Double);
      await coll.deleteMany({});
      assert.ok((await afterUpdate({ n: 5 }, { $max: { n: new Double(7) } })) instanceof Double);
      await coll.deleteMany({});
      await coll.insertOne({ _id: 1, n: 5 });
      const result = await coll.updateOne({ _id: 1 }, { $min: { n: new Double(5) } });
      assert.equal(result.modifiedCount, 0);
      const [doc] = await coll.find({ _id: 1 }, EXACT).toArray();
      assert.ok(doc.n instanceof Int32);
    });

    it('When a double replaces an equal int32, then the document counts as modified', async () => {
      await coll.insertOne({ _id: 1, n: 5 });
      const result = await coll.updateOne({ _id: 1 }, { $set: { n: new Double(5) } });
      assert.equal(result.modifiedCount, 1);
    });

    it('When findOneAndUpdate and an upsert write doubles, then the returned and the inserted documents keep them', async () => {
      await coll.insertOne({ _id: 1, n: 1 });
      const found = await coll.findOneAndUpdate({ _id: 1 }, { $inc: { n: new Double(1) } }, { returnDocument: 'after', ...EXACT });
      assert.ok(found?.n instanceof Double);
      await coll.updateOne({ _id: 2 }, { $setOnInsert: { n: new Double(8) } }, { upsert: true });
      await coll.replaceOne({ _id: 3 }, { n: new Double(9) }, { upsert: true });
      assert.deepEqual(await typesOf(coll, 'n'), ['double', 'double', 'double']);
    });
  });

  describe('aggregation keeps mongod\'s result types', () => {
    it('When arithmetic expressions run, then each result has the type mongod gives it', async () => {
      await coll.insertOne({ _id: 1, d: new Double(2), i: 2, f: 2.5 });
      const [row] = await coll
        .aggregate([
          {
            $project: {
              _id: 0,
              addDouble: { $type: { $add: ['$d', 1] } },
              addInts: { $type: { $add: ['$i', 1] } },
              divide: { $type: { $divide: [6, 3] } },
              multiply: { $type: { $multiply: ['$i', '$d'] } },
              floor: { $type: { $floor: '$f' } },
              floorInt: { $type: { $floor: '$i' } },
              abs: { $type: { $abs: { $subtract: [0, '$d'] } } },
              round: { $type: { $round: ['$f', 0] } },
              sqrt: { $type: { $sqrt: 4 } },
              pow: { $type: { $pow: ['$d', 2] } },
              powInts: { $type: { $pow: ['$i', 2] } },
              toDouble: { $type: { $toDouble: '$i' } },
              toInt: { $type: { $toInt: '$d' } },
              toString: { $toString: '$d' },
              sumArray: { $type: { $sum: ['$i', '$d'] } },
              avgArray: { $type: { $avg: [2, 4] } },
              sameValue: { $eq: ['$d', '$i'] },
            },
          },
        ])
        .toArray();
      assert.deepEqual(row, {
        addDouble: 'double',
        addInts: 'int',
        divide: 'double',
        multiply: 'double',
        floor: 'double',
        floorInt: 'int',
        abs: 'double',
        round: 'double',
        sqrt: 'double',
        pow: 'double',
        powInts: 'int',
        toDouble: 'double',
        toInt: 'int',
        toString: '2',
        sumArray: 'double',
        avgArray: 'double',
        sameValue: true,
      });
    });

    it('When $group sums, averages and groups by mixed number types, then equal values group together and sums keep the wider type', async () => {
      await coll.insertMany([
        { _id: 1, k: new Double(1), n: 1 },
        { _id: 2, k: 1, n: new Double(2) },
        { _id: 3, k: 2, n: 3 },
        { _id: 4, k: 2, n: 4 },
      ] as NumberDoc[]);
      const rows = await coll
        .aggregate([
          { $group: { _id: '$k', sum: { $sum: '$n' }, avg: { $avg: '$n' }, count: { $sum: 1 } } },
          { $project: { count: 1, sumType: { $type: '$sum' }, avgType: { $type: '$avg' }, sum: 1 } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      assert.deepEqual(
        rows.map((row) => [row.count, row.sum, row.sumType, row.avgType]),
        [
          [2, 3, 'double', 'double'],
          [2, 7, 'int', 'double'],
        ],
      );
    });

    it('When a text score is a whole number, then it is still a double in aggregation and in a find projection', async () => {
      await coll.createIndex({ name: 'text' });
      await coll.insertOne({ _id: 1, name: 'cotton' });
      const [row] = await coll.aggregate([{ $match: { $text: { $search: 'cotton' } } }, { $project: { t: { $type: { $meta: 'textScore' } } } }]).toArray();
      assert.equal(row.t, 'double');
      const [found] = await coll.find({ $text: { $search: 'cotton' } }, { projection: { score: { $meta: 'textScore' } }, ...EXACT }).toArray();
      assert.ok(found.score instanceof Double);
    });

    it('When documents with doubles pass through $match and $out, then the written documents keep their types', async () => {
      await coll.insertOne({ _id: 1, n: new Double(4) });
      const target = `${coll.collectionName}_out`;
      await coll.aggregate([{ $match: { n: 4 } }, { $out: target }]).toArray();
      const [doc] = await (db as Db).collection(target).find({}, EXACT).toArray();
      assert.ok(doc.n instanceof Double);
      await (db as Db).collection(target).drop();
    });
  });
});
