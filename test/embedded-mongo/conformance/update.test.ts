import { strict as assert } from 'node:assert';
import { Decimal128, Long, ObjectId, Timestamp, type Collection, type Db, type Document, type MongoClient, type UpdateFilter } from 'mongodb';

/** Test documents use plain _id values (numbers, strings), not only ObjectIds. */
interface TestDoc extends Document {
  _id: number | string | ObjectId;
}
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

/** An update document sent as written: the driver's typings reject some valid shapes ($pull conditions, $push modifiers). */
function raw(update: Document): UpdateFilter<TestDoc> {
  return update as UpdateFilter<TestDoc>;
}

describe('conformance: update', () => {
  let client: MongoClient | undefined;
  let db: Db | undefined;
  let coll: Collection<TestDoc>;

  before(async () => {
    const target = await connectTestClient('update');
    client = target.client;
    db = target.client.db(target.dbName);
  });

  beforeEach(async () => {
    if (!db) throw new Error('no database: the connection in before() failed');
    coll = db.collection<TestDoc>(`c_${Math.random().toString(36).slice(2, 10)}`);
  });

  after(async () => {
    // `before` may have failed to connect; clean up whatever was set up.
    await db?.dropDatabase();
    await client?.close();
  });

  describe('reply shapes', () => {
    it('When updateOne modifies a document, then matchedCount and modifiedCount are 1', async () => {
      await coll.insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 1 }]);
      const result = await coll.updateOne({ a: 1 }, { $set: { b: 2 } });
      assert.equal(result.acknowledged, true);
      assert.equal(result.matchedCount, 1);
      assert.equal(result.modifiedCount, 1);
      assert.equal(result.upsertedCount, 0);
      assert.equal(result.upsertedId, null);
    });

    it('When an update changes nothing, then it is matched but not modified', async () => {
      await coll.insertOne({ _id: 1, a: 1, list: [1, 2], other: [3] });
      const result = await coll.updateOne({ _id: 1 }, raw({ $set: { a: 1 }, $addToSet: { list: 2 }, $pull: { other: 9 } }));
      assert.equal(result.matchedCount, 1);
      assert.equal(result.modifiedCount, 0);
    });

    it('When updateMany matches several documents, then only changed ones count as modified', async () => {
      await coll.insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 2 }, { _id: 3, a: 2 }, { _id: 4, a: 9 }]);
      const result = await coll.updateMany({ a: { $lte: 2 } }, { $set: { a: 2 } });
      assert.equal(result.matchedCount, 3);
      assert.equal(result.modifiedCount, 1);
    });

    it('When nothing matches without upsert, then all counts are 0', async () => {
      const result = await coll.updateMany({ a: 1 }, { $set: { b: 1 } });
      assert.equal(result.matchedCount, 0);
      assert.equal(result.modifiedCount, 0);
      assert.equal(result.upsertedId, null);
    });
  });

  describe('upserts', () => {
    it('When an upsert inserts, then the query equalities and $setOnInsert seed the document', async () => {
      const result = await coll.updateOne(
        { supplier: 'acme', 'contact.country': 'SE', score: { $gt: 3 }, status: { $eq: 'open' } },
        { $set: { answered: true }, $setOnInsert: { createdBy: 'buyer' } },
        { upsert: true },
      );
      assert.equal(result.matchedCount, 0);
      assert.equal(result.modifiedCount, 0);
      assert.equal(result.upsertedCount, 1);
      assert.ok(result.upsertedId);
      const doc = await coll.findOne({ _id: result.upsertedId });
      assert.deepEqual(doc, {
        _id: result.upsertedId,
        supplier: 'acme',
        contact: { country: 'SE' },
        status: 'open',
        answered: true,
        createdBy: 'buyer',
      });
    });

    it('When an upsert matches an existing document, then $setOnInsert is not applied', async () => {
      await coll.insertOne({ _id: 'k', n: 1 });
      const result = await coll.updateOne({ _id: 'k' }, { $inc: { n: 1 }, $setOnInsert: { fresh: true } }, { upsert: true });
      assert.equal(result.upsertedCount, 0);
      assert.equal(result.matchedCount, 1);
      assert.deepEqual(await coll.findOne({ _id: 'k' }), { _id: 'k', n: 2 });
    });

    it('When the upsert query pins _id, then upsertedId is that _id', async () => {
      const result = await coll.updateOne({ _id: 42 }, { $set: { a: 1 } }, { upsert: true });
      assert.equal(result.upsertedId, 42);
      assert.deepEqual(await coll.findOne({ _id: 42 }), { _id: 42, a: 1 });
    });

    it('When replaceOne upserts, then only the query _id is taken from the filter', async () => {
      const result = await coll.replaceOne({ _id: 7, a: 1 }, { b: 2 }, { upsert: true });
      assert.equal(result.upsertedId, 7);
      assert.deepEqual(await coll.findOne({ _id: 7 }), { _id: 7, b: 2 });
    });

    it('When findOneAndUpdate upserts, then the new document is returned', async () => {
      const doc = await coll.findOneAndUpdate(
        { key: 'x' },
        { $inc: { count: 1 } },
        { upsert: true, returnDocument: 'after', projection: { _id: 0 } },
      );
      assert.deepEqual(doc, { key: 'x', count: 1 });
      const again = await coll.findOneAndUpdate({ key: 'x' }, { $inc: { count: 1 } }, { upsert: true, returnDocument: 'before', projection: { _id: 0 } });
      assert.deepEqual(again, { key: 'x', count: 1 });
    });
  });

  describe('operators through the wire', () => {
    it('When $inc overflows int32 or works on Decimal128, then the stored types follow MongoDB', async () => {
      await coll.insertOne({ _id: 1, i: 2147483647, d: Decimal128.fromString('0.1'), l: Long.fromNumber(5) });
      await coll.updateOne({ _id: 1 }, { $inc: { i: 1, d: Decimal128.fromString('0.2'), l: 1 } });
      const doc = await coll.findOne({ _id: 1 }, { useBigInt64: true });
      assert.equal(doc?.i, 2147483648n);
      assert.equal(doc?.l, 6n);
      assert.ok(doc?.d instanceof Decimal128);
      assert.equal(String(doc?.d), '0.3');
    });

    it('When $push uses $each, $sort and $slice, then the array is kept sorted and capped', async () => {
      await coll.insertOne({ _id: 1, scores: [{ s: 5 }, { s: 1 }] });
      await coll.updateOne({ _id: 1 }, raw({ $push: { scores: { $each: [{ s: 9 }, { s: 3 }], $sort: { s: -1 }, $slice: 3 } } }));
      assert.deepEqual((await coll.findOne({ _id: 1 }))?.scores, [{ s: 9 }, { s: 5 }, { s: 3 }]);
    });

    it('When $pull has a condition, then matching elements are removed', async () => {
      await coll.insertOne({ _id: 1, v: [1, 5, 7, 9], o: [{ k: 'a', n: 1 }, { k: 'b', n: 2 }] });
      await coll.updateOne({ _id: 1 }, raw({ $pull: { v: { $gte: 6 }, o: { k: 'a' } } }));
      assert.deepEqual(await coll.findOne({ _id: 1 }), { _id: 1, v: [1, 5], o: [{ k: 'b', n: 2 }] });
    });

    it('When the query matches an array element, then $ updates that element', async () => {
      await coll.insertOne({ _id: 1, answers: [{ q: 'q1', flag: false }, { q: 'q2', flag: false }] });
      await coll.updateOne({ _id: 1, 'answers.q': 'q2' }, { $set: { 'answers.$.flag': true } });
      assert.deepEqual((await coll.findOne({ _id: 1 }))?.answers, [{ q: 'q1', flag: false }, { q: 'q2', flag: true }]);
    });

    it('When arrayFilters select elements, then only those are updated', async () => {
      await coll.insertOne({ _id: 1, items: [{ risk: 1 }, { risk: 8 }, { risk: 6 }] });
      const result = await coll.updateOne({ _id: 1 }, { $set: { 'items.$[high].review': true } }, { arrayFilters: [{ 'high.risk': { $gt: 5 } }] });
      assert.equal(result.modifiedCount, 1);
      assert.deepEqual((await coll.findOne({ _id: 1 }))?.items, [{ risk: 1 }, { risk: 8, review: true }, { risk: 6, review: true }]);
    });

    it('When $currentDate and $rename run, then a date is stored and the field moves to the end', async () => {
      await coll.insertOne({ _id: 1, a: 1, b: 2 });
      await coll.updateOne({ _id: 1 }, raw({ $currentDate: { at: true, ts: { $type: 'timestamp' } }, $rename: { a: 'z' } }));
      const doc = await coll.findOne({ _id: 1 });
      assert.deepEqual(Object.keys(doc ?? {}), ['_id', 'b', 'at', 'ts', 'z']);
      assert.ok(doc?.at instanceof Date);
      assert.ok(doc?.ts instanceof Timestamp);
    });

    it('When a pipeline update runs, then computed fields use the current values', async () => {
      await coll.insertMany([{ _id: 1, a: 2, b: 3, old: true }, { _id: 2, a: 5, b: 5, old: true }]);
      const result = await coll.updateMany({}, [{ $set: { total: { $add: ['$a', '$b'] } } }, { $unset: 'old' }]);
      assert.equal(result.modifiedCount, 2);
      assert.deepEqual(await coll.find().sort({ _id: 1 }).toArray(), [
        { _id: 1, a: 2, b: 3, total: 5 },
        { _id: 2, a: 5, b: 5, total: 10 },
      ]);
    });

    it('When replaceOne replaces a document, then its _id stays', async () => {
      await coll.insertOne({ _id: 1, a: 1, b: 2 });
      const result = await coll.replaceOne({ _id: 1 }, { c: 3 });
      assert.equal(result.modifiedCount, 1);
      assert.deepEqual(await coll.findOne({ _id: 1 }), { _id: 1, c: 3 });
    });
  });

  describe('collation, findOneAndUpdate and many documents', () => {
    it('When the update has a collation, then $pull and $addToSet compare strings with it', async () => {
      await coll.insertOne({ _id: 1, tags: ['Forced', 'child'] });
      const collation = { locale: 'en', strength: 2 };
      await coll.updateOne({ _id: 1 }, raw({ $pull: { tags: 'forced' } }), { collation });
      await coll.updateOne({ _id: 1 }, { $addToSet: { tags: 'CHILD' } }, { collation });
      assert.deepEqual((await coll.findOne({ _id: 1 }))?.tags, ['child']);
    });

    it('When findOneAndUpdate uses arrayFilters, then the returned document shows the change', async () => {
      await coll.insertOne({ _id: 1, answers: [{ q: 1, flagged: false }, { q: 2, flagged: false }] });
      const after = await coll.findOneAndUpdate(
        { _id: 1 },
        { $set: { 'answers.$[a].flagged': true } },
        { arrayFilters: [{ 'a.q': 2 }], returnDocument: 'after' },
      );
      assert.deepEqual(after?.answers, [{ q: 1, flagged: false }, { q: 2, flagged: true }]);
    });

    it('When updateMany uses $[] on several documents, then every element of each is updated', async () => {
      await coll.insertMany([{ _id: 1, v: [1, 2] }, { _id: 2, v: [3] }, { _id: 3, v: [] }]);
      const result = await coll.updateMany({}, { $inc: { 'v.$[]': 10 } });
      assert.equal(result.matchedCount, 3);
      assert.equal(result.modifiedCount, 2);
      assert.deepEqual(await coll.find().sort({ _id: 1 }).toArray(), [{ _id: 1, v: [11, 12] }, { _id: 2, v: [13] }, { _id: 3, v: [] }]);
    });

    it('When updateMany upserts, then one document is created from the equalities inside $and', async () => {
      const result = await coll.updateMany({ $and: [{ campaign: 'c1' }, { supplier: 's1' }] }, { $inc: { reminders: 1 } }, { upsert: true });
      assert.equal(result.upsertedCount, 1);
      assert.deepEqual(await coll.findOne({}, { projection: { _id: 0 } }), { campaign: 'c1', supplier: 's1', reminders: 1 });
    });

    it('When an upsert uses the positional $ and inserts, then the update fails with 2', async () => {
      await rejectsWithCode(coll.updateOne({ a: 1 }, { $set: { 'a.$': 2 } }, { upsert: true }), 2, /positional operator did not find the match/);
    });
  });

  describe('errors as the driver reports them', () => {
    beforeEach(async () => {
      await coll.insertOne({ _id: 1, a: 1, s: 'text' });
    });

    it('When an update changes _id, then 66 ImmutableField', async () => {
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { _id: 2 } }), 66, /immutable field '_id'/);
      await rejectsWithCode(coll.replaceOne({ _id: 1 }, { _id: 2, a: 1 }), 66);
    });

    it('When paths conflict, then 40 ConflictingUpdateOperators', async () => {
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { a: 1, 'a.b': 2 } }), 40, /Updating the path 'a.b' would create a conflict at 'a'/);
    });

    it('When a modifier is unknown, then 9 FailedToParse', async () => {
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $foo: { a: 1 } }), 9, /Unknown modifier: \$foo/);
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { a: 2 }, b: 1 } as Document), 9, /Unknown modifier: b/);
    });

    it('When $inc meets a string, then 14 TypeMismatch and the document is unchanged', async () => {
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $inc: { s: 1 } }), 14, /Cannot apply \$inc to a value of non-numeric type/);
      assert.deepEqual(await coll.findOne({ _id: 1 }), { _id: 1, a: 1, s: 'text' });
    });

    it('When a field would be created inside a scalar, then 28 PathNotViable', async () => {
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { 'a.b': 1 } }), 28, /Cannot create field 'b' in element \{a: 1\}/);
    });

    it('When an array filter is missing or unused, then 2 or 9', async () => {
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { 'a.$[x]': 1 } }), 2, /No array filter found for identifier 'x'/);
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { a: 2 } }, { arrayFilters: [{ x: 1 }] }), 9, /was not used in the update/);
    });

    it('When an update would make the document larger than 16 MB, then 17419 and the document is unchanged', async () => {
      const nineMegabytes = 'x'.repeat(9 * 1024 * 1024);
      await coll.updateOne({ _id: 1 }, { $set: { big: nineMegabytes } });
      const eightMegabytes = 'y'.repeat(8 * 1024 * 1024);
      const tooLarge = /Resulting document after update is larger than 16777216/;
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { more: eightMegabytes } }), 17419, tooLarge);
      await rejectsWithCode(coll.findOneAndUpdate({ _id: 1 }, { $set: { more: eightMegabytes }, $inc: { a: 1 } }), 17419, tooLarge);
      const stored = await coll.findOne({ _id: 1 });
      assert.equal(stored?.more, undefined);
      assert.equal(stored?.a, 1);
      assert.equal(stored?.big, nineMegabytes);
    });

    it('When an upsert would insert a document larger than 16 MB, then 17420 and nothing is inserted', async () => {
      const nineMegabytes = 'x'.repeat(9 * 1024 * 1024);
      // The pipeline copies the query's 9 MB field, so the new document passes 16 MB while the statement does not.
      await rejectsWithCode(
        coll.updateOne({ _id: 'huge-upsert', big: nineMegabytes }, [{ $set: { copy: '$big' } }], { upsert: true }),
        17420,
        /Document to upsert is larger than 16777216/,
      );
      assert.equal(await coll.countDocuments({ _id: 'huge-upsert' }), 0);
    });
  });

  describe('MongoDB 5.0 update rules', () => {
    it('When an operator has an empty operand, then the update is a no-op rather than an error', async () => {
      await coll.insertOne({ _id: 1, n: 1 });
      const empty = await coll.updateOne({ _id: 1 }, { $set: {} });
      assert.equal(empty.matchedCount, 1);
      assert.equal(empty.modifiedCount, 0);
      assert.equal((await coll.updateOne({ _id: 1 }, { $unset: {}, $inc: { n: 1 } })).modifiedCount, 1);
      assert.deepEqual(await coll.findOne({ _id: 1 }), { _id: 1, n: 2 });
      const upserted = await coll.updateOne({ _id: 2 }, { $set: {} }, { upsert: true });
      assert.equal(upserted.upsertedId, 2);
      assert.deepEqual(await coll.findOne({ _id: 2 }), { _id: 2 });
    });

    it('When an upsert sets a top-level $-prefixed field, then the new document holds it; in an existing document it is refused with 52', async () => {
      await coll.updateOne({ _id: 1 }, { $set: { $price: 5 } }, { upsert: true });
      await coll.updateOne({ _id: 2 }, { $setOnInsert: { $label: 'x' } }, { upsert: true });
      assert.deepEqual(await coll.find({}, { sort: { _id: 1 } }).toArray(), [{ _id: 1, $price: 5 }, { _id: 2, $label: 'x' }]);
      await rejectsWithCode(coll.updateOne({ _id: 1 }, { $set: { $other: 1 } }), 52);
      await coll.updateOne({ _id: 1 }, { $set: { 'nested.$ok': 1 } });
      assert.deepEqual(await coll.findOne({ _id: 1 }), { _id: 1, $price: 5, nested: { $ok: 1 } });
    });

    it('When an _id would hold a $-prefixed field, then the insert or the upsert is refused with 52', async () => {
      await rejectsWithCode(coll.insertOne({ _id: { $bad: 1 } as never }), 52);
      await rejectsWithCode(coll.updateOne({ a: 1 }, { $set: { _id: { $bad: 1 } } } as Document, { upsert: true }), 52);
      assert.equal(await coll.countDocuments(), 0);
    });

    it('When the array was matched through $exists, $size, $type or $mod, then the positional $ finds that element', async () => {
      const cases: Array<{ filter: Document; path: string }> = [
        { filter: { 'children.vals.github': { $exists: true } }, path: 'children' },
        { filter: { 'children.tags': { $size: 2 } }, path: 'children' },
        { filter: { 'children.vals.github': { $type: 'string' } }, path: 'children' },
        { filter: { 'children.n': { $mod: [5, 0] } }, path: 'children' },
      ];
      for (const [i, { filter }] of cases.entries()) {
        const children = [{ n: 1, tags: ['a'], vals: { x: 1 } }, { n: 10, tags: ['a', 'b'], vals: { github: 'old' } }, { n: 3, tags: [], vals: {} }];
        await coll.insertOne({ _id: i, children });
        await coll.updateOne({ _id: i, ...filter }, { $set: { 'children.$.vals': { github: 'new' } } });
        const stored = await coll.findOne({ _id: i });
        assert.deepEqual((stored?.children as Document[]).map((child) => child.vals), [{ x: 1 }, { github: 'new' }, {}], JSON.stringify(filter));
      }
    });
  });
});
