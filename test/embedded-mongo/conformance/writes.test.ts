/** insert / update / delete / findAndModify reply shapes, write errors and retryable writes, through the driver. */
import assert from 'node:assert/strict';
import { Long, MongoBulkWriteError, MongoClient, MongoServerError, ObjectId, Timestamp, type Collection, type Db, type Document } from 'mongodb';
import { connectTestClient, withOwnSession } from '../../helpers/mongo-target';

describe('writes', function () {
  let client: MongoClient;
  let dbName: string;
  let db: Db;

  before(async function () {
    ({ client, dbName } = await connectTestClient('writes'));
    db = client.db(dbName);
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  function coll(name: string): Collection<Document> {
    return db.collection(name);
  }

  describe('insert', function () {
    it('adds an ObjectId _id as the first field when missing, and moves a given _id first', async function () {
      await db.command({ insert: 'ins_id', documents: [{ a: 1 }, { b: 2, _id: 'given' }] });
      const docs = await coll('ins_id').find().sort({ a: -1 }).toArray();
      assert.ok(docs[0]._id instanceof ObjectId);
      assert.deepEqual(Object.keys(docs[0]), ['_id', 'a']);
      const given = await coll('ins_id').findOne({ _id: 'given' as never });
      assert.deepEqual(Object.keys(given ?? {}), ['_id', 'b']);
    });

    it('ordered inserts stop at the first duplicate and report index, code, keyPattern, keyValue', async function () {
      const reply = await db.command({ insert: 'ins_ordered', documents: [{ _id: 1 }, { _id: 1 }, { _id: 2 }] });
      assert.equal(reply.ok, 1);
      assert.equal(reply.n, 1);
      assert.equal(reply.writeErrors.length, 1);
      const [error] = reply.writeErrors;
      assert.equal(error.index, 1);
      assert.equal(error.code, 11000);
      assert.match(error.errmsg, /duplicate key/);
      assert.deepEqual(error.keyPattern, { _id: 1 });
      assert.deepEqual(error.keyValue, { _id: 1 });
      assert.equal(await coll('ins_ordered').countDocuments(), 1);
    });

    it('unordered inserts go on after an error and report every failure', async function () {
      const reply = await db.command({ insert: 'ins_unordered', ordered: false, documents: [{ _id: 1 }, { _id: 1 }, { _id: 2 }, { _id: 2 }, { _id: 3 }] });
      assert.equal(reply.n, 3);
      assert.deepEqual(reply.writeErrors.map((e: { index: number }) => e.index), [1, 3]);
    });

    it('the driver surfaces duplicate keys of a unique secondary index as MongoBulkWriteError 11000', async function () {
      await coll('ins_unique').createIndex({ email: 1 }, { unique: true });
      await coll('ins_unique').insertOne({ email: 'a@example.org' });
      await assert.rejects(
        coll('ins_unique').insertMany([{ email: 'b@example.org' }, { email: 'a@example.org' }]),
        (err: unknown) => err instanceof MongoBulkWriteError && err.code === 11000 && err.insertedCount === 1,
      );
      await assert.rejects(coll('ins_unique').insertOne({ email: 'b@example.org' }), (err: unknown) => {
        assert.ok(err instanceof MongoServerError);
        assert.equal(err.code, 11000);
        assert.deepEqual(err.keyValue, { email: 'b@example.org' });
        return true;
      });
    });

    it('an empty batch is refused with 16 InvalidLength', async function () {
      await assert.rejects(db.command({ insert: 'ins_empty', documents: [] }), (e: MongoServerError) => e.code === 16);
      await assert.rejects(db.command({ delete: 'ins_empty', deletes: [] }), (e: MongoServerError) => e.code === 16);
    });

    it('rejects an array _id with 53 InvalidIdField', async function () {
      const reply = await db.command({ insert: 'ins_bad_id', documents: [{ _id: [1, 2] }] });
      assert.equal(reply.writeErrors[0].code, 53);
    });

    it('keeps BSON types: int64, Decimal128, dates, binary round-trip', async function () {
      const doc = { _id: 'types', long: Long.fromString('9007199254740993'), date: new Date(0), bin: Buffer.from([1, 2, 3]), nested: { arr: [1, 'two', null] } };
      await coll('ins_types').insertOne(doc as Document);
      const back = await coll('ins_types').findOne({ _id: 'types' as never }, { promoteLongs: false });
      assert.ok(back);
      assert.equal(String(back.long), '9007199254740993');
      assert.deepEqual(back.date, new Date(0));
      assert.deepEqual(Buffer.from(back.bin.buffer), Buffer.from([1, 2, 3]));
      assert.deepEqual(back.nested, { arr: [1, 'two', null] });
    });
  });

  describe('insert of an empty timestamp', function () {
    it('When a top-level field is Timestamp(0, 0), then the server stores the current time', async function () {
      const before = Math.floor(Date.now() / 1000);
      await coll('stamps').insertOne({ _id: 1, at: new Timestamp({ t: 0, i: 0 }) } as never);
      const stored = await coll('stamps').findOne({ _id: 1 } as never);
      assert.ok(stored?.at instanceof Timestamp);
      assert.ok(stored.at.high >= before && stored.at.high <= Math.floor(Date.now() / 1000) + 1, `seconds ${stored.at.high}`);
      assert.ok(stored.at.low >= 1, 'an increment from the timestamp clock');
    });

    it('When Timestamp(0, 0) is nested, then it is stored as sent', async function () {
      await coll('stamps').insertOne({ _id: 2, audit: { at: new Timestamp({ t: 0, i: 0 }) } } as never);
      const stored = await coll('stamps').findOne({ _id: 2 } as never);
      assert.ok(stored?.audit.at instanceof Timestamp);
      assert.equal(stored.audit.at.isZero(), true);
    });

    it('When inserts and $currentDate stamp timestamps, then they share one clock and never repeat', async function () {
      await coll('stamps').insertMany([{ _id: 3, at: new Timestamp({ t: 0, i: 0 }) }, { _id: 4, at: new Timestamp({ t: 0, i: 0 }) }] as never[]);
      await coll('stamps').updateOne({ _id: 4 } as never, { $currentDate: { later: { $type: 'timestamp' } } });
      const [third, fourth] = await coll('stamps').find({ _id: { $in: [3, 4] } } as never).sort({ _id: 1 }).toArray();
      assert.ok(third.at.lessThan(fourth.at), `${third.at} < ${fourth.at}`);
      assert.ok(fourth.at.lessThan(fourth.later), `${fourth.at} < ${fourth.later}`);
    });
  });

  describe('update', function () {
    beforeEach(async function () {
      await coll('upd').deleteMany({});
      await coll('upd').insertMany([
        { _id: 1, g: 'a', n: 1, items: [{ k: 'x', v: 1 }, { k: 'y', v: 2 }] },
        { _id: 2, g: 'a', n: 2, items: [] },
        { _id: 3, g: 'b', n: 3, items: [] },
      ] as never[]);
    });

    it('reports n and nModified; an update that changes nothing is matched but not modified', async function () {
      const reply = await db.command({ update: 'upd', updates: [{ q: { g: 'a' }, u: { $set: { n: 2 } }, multi: true }] });
      assert.equal(reply.n, 2);
      assert.equal(reply.nModified, 1);
      const single = await db.command({ update: 'upd', updates: [{ q: { g: 'a' }, u: { $inc: { n: 10 } } }] });
      assert.equal(single.n, 1);
      assert.equal(single.nModified, 1);
      assert.equal((await coll('upd').find({ n: { $gt: 10 } }).toArray()).length, 1);
    });

    it('upserts from the query equality fields and reports upserted [{index, _id}]', async function () {
      const reply = await db.command({
        update: 'upd',
        updates: [
          { q: { _id: 1 }, u: { $set: { touched: true } } },
          { q: { g: 'c', n: { $gt: 5 } }, u: { $set: { created: true }, $setOnInsert: { fresh: 1 } }, upsert: true },
        ],
      });
      assert.equal(reply.n, 2);
      assert.equal(reply.nModified, 1);
      assert.equal(reply.upserted.length, 1);
      assert.equal(reply.upserted[0].index, 1);
      assert.ok(reply.upserted[0]._id instanceof ObjectId);
      const created = await coll('upd').findOne({ _id: reply.upserted[0]._id });
      assert.deepEqual({ ...created, _id: undefined }, { _id: undefined, g: 'c', created: true, fresh: 1 });
    });

    it('a replacement keeps _id; multi with a replacement is refused', async function () {
      await coll('upd').replaceOne({ _id: 2 } as never, { replaced: true });
      assert.deepEqual(await coll('upd').findOne({ _id: 2 } as never), { _id: 2, replaced: true });
      const reply = await db.command({ update: 'upd', updates: [{ q: {}, u: { plain: 1 }, multi: true }] });
      assert.equal(reply.writeErrors[0].code, 9);
    });

    it('applies arrayFilters and the positional $ operator', async function () {
      await coll('upd').updateOne({ _id: 1 } as never, { $set: { 'items.$[e].v': 20 } }, { arrayFilters: [{ 'e.k': 'y' }] });
      await coll('upd').updateOne({ _id: 1, 'items.k': 'x' } as never, { $inc: { 'items.$.v': 100 } });
      const doc = await coll('upd').findOne({ _id: 1 } as never);
      assert.deepEqual(doc?.items, [{ k: 'x', v: 101 }, { k: 'y', v: 20 }]);
    });

    it('changing _id fails with 66 ImmutableField; an unknown operator with a parse error', async function () {
      const immutable = await db.command({ update: 'upd', updates: [{ q: { _id: 1 }, u: { $set: { _id: 9 } } }] });
      assert.equal(immutable.writeErrors[0].code, 66);
      const unknown = await db.command({ update: 'upd', updates: [{ q: { _id: 1 }, u: { $frobnicate: { a: 1 } } }] });
      assert.equal(unknown.writeErrors[0].index, 0);
      assert.ok([9, 2].includes(unknown.writeErrors[0].code));
    });

    it('honours collation when matching', async function () {
      await coll('upd').insertOne({ _id: 10, name: 'Zoë' } as never);
      const res = await coll('upd').updateOne({ name: 'zoe' }, { $set: { hit: true } }, { collation: { locale: 'en', strength: 1 } });
      assert.equal(res.matchedCount, 1);
    });

    it('runs pipeline-style updates', async function () {
      await coll('upd').updateOne({ _id: 3 } as never, [{ $set: { double: { $multiply: ['$n', 2] } } }]);
      assert.equal((await coll('upd').findOne({ _id: 3 } as never))?.double, 6);
    });
  });

  describe('delete', function () {
    it('limit 1 removes one match, limit 0 all; reply n', async function () {
      await coll('del').insertMany([{ t: 1 }, { t: 1 }, { t: 1 }, { t: 2 }]);
      const one = await db.command({ delete: 'del', deletes: [{ q: { t: 1 }, limit: 1 }] });
      assert.equal(one.n, 1);
      const all = await db.command({ delete: 'del', deletes: [{ q: { t: 1 }, limit: 0 }] });
      assert.equal(all.n, 2);
      assert.equal(await coll('del').countDocuments(), 1);
    });

    it('a malformed statement (limit other than 0 or 1) fails the whole command before anything is deleted', async function () {
      await coll('del_bad').insertMany([{ a: 1 }, { a: 2 }]);
      await assert.rejects(
        db.command({ delete: 'del_bad', deletes: [{ q: { a: 1 }, limit: 1 }, { q: {}, limit: 5 }] }),
        (e: MongoServerError) => e.code === 9,
      );
      assert.equal(await coll('del_bad').countDocuments(), 2);
    });
  });

  describe('findAndModify', function () {
    beforeEach(async function () {
      await coll('fam').deleteMany({});
      await coll('fam').insertMany([{ _id: 1, n: 5, q: 'x' }, { _id: 2, n: 1, q: 'x' }] as never[]);
    });

    it('returns the old document by default and the new one with new: true, honouring sort and fields', async function () {
      const old = await db.command({ findAndModify: 'fam', query: { q: 'x' }, sort: { n: 1 }, update: { $inc: { n: 1 } } });
      assert.deepEqual(old.value, { _id: 2, n: 1, q: 'x' });
      assert.deepEqual(old.lastErrorObject, { n: 1, updatedExisting: true });
      const fresh = await db.command({ findAndModify: 'fam', query: { q: 'x' }, sort: { n: -1 }, update: { $inc: { n: 1 } }, new: true, fields: { n: 1 } });
      assert.deepEqual(fresh.value, { _id: 1, n: 6 });
    });

    it('upserts with $setOnInsert and reports lastErrorObject.upserted', async function () {
      const res = await db.command({ findAndModify: 'fam', query: { q: 'new' }, update: { $setOnInsert: { born: true } }, upsert: true, new: true });
      assert.equal(res.lastErrorObject.n, 1);
      assert.equal(res.lastErrorObject.updatedExisting, false);
      assert.ok(res.lastErrorObject.upserted instanceof ObjectId);
      assert.equal(res.value.born, true);
      assert.equal(res.value.q, 'new');
      const driver = await coll('fam').findOneAndUpdate({ q: 'driver' }, { $set: { z: 1 } }, { upsert: true, returnDocument: 'before' });
      assert.equal(driver, null);
    });

    it('removes with remove: true and answers null when nothing matches', async function () {
      const removed = await db.command({ findAndModify: 'fam', query: { _id: 1 }, remove: true });
      assert.deepEqual(removed.value, { _id: 1, n: 5, q: 'x' });
      assert.deepEqual(removed.lastErrorObject, { n: 1 });
      const none = await db.command({ findAndModify: 'fam', query: { _id: 99 }, remove: true });
      assert.equal(none.value, null);
      assert.equal(none.lastErrorObject.n, 0);
    });

    it('refuses both remove and update, and neither', async function () {
      await assert.rejects(db.command({ findAndModify: 'fam', query: {}, remove: true, update: { $set: { a: 1 } } }), (e: MongoServerError) => e.code === 9);
      await assert.rejects(db.command({ findAndModify: 'fam', query: {} }), (e: MongoServerError) => e.code === 9);
    });

    it('a duplicate key fails the command with 11000 and keyValue', async function () {
      await coll('fam').createIndex({ q: 1, n: 1 }, { unique: true });
      await assert.rejects(
        db.command({ findAndModify: 'fam', query: { _id: 1 }, update: { $set: { n: 1 } } }),
        (e: MongoServerError) => e.code === 11000 && e.keyValue?.n === 1,
      );
    });
  });

  describe('collection validators', function () {
    before(async function () {
      await db.createCollection('validated', {
        validator: { $jsonSchema: { bsonType: 'object', required: ['email'], properties: { email: { bsonType: 'string' }, age: { bsonType: 'int', minimum: 0 } } } },
      });
    });

    it('rejects an invalid insert with 121 DocumentValidationFailure, per document', async function () {
      const reply = await db.command({ insert: 'validated', ordered: false, documents: [{ email: 'a@x' }, { age: 3 }, { email: 'b@x', age: -1 }] });
      assert.equal(reply.n, 1);
      assert.deepEqual(reply.writeErrors.map((e: { index: number; code: number }) => [e.index, e.code]), [[1, 121], [2, 121]]);
      assert.match(reply.writeErrors[0].errmsg, /Document failed validation/);
    });

    it('rejects updates and upserts that would make a document invalid; bypassDocumentValidation skips the check', async function () {
      const update = await db.command({ update: 'validated', updates: [{ q: { email: 'a@x' }, u: { $unset: { email: '' } } }] });
      assert.equal(update.writeErrors[0].code, 121);
      const upsert = await db.command({ update: 'validated', updates: [{ q: { name: 'n' }, u: { $set: { age: 5 } }, upsert: true }] });
      assert.equal(upsert.writeErrors[0].code, 121);
      await assert.rejects(
        db.command({ findAndModify: 'validated', query: { email: 'a@x' }, update: { $set: { email: 5 } } }),
        (e: MongoServerError) => e.code === 121,
      );
      const bypass = await db.command({ insert: 'validated', documents: [{ nothing: true }], bypassDocumentValidation: true });
      assert.equal(bypass.n, 1);
    });

    it('validationAction warn and validationLevel off allow invalid documents', async function () {
      await db.command({ collMod: 'validated', validationAction: 'warn' });
      assert.equal((await db.command({ insert: 'validated', documents: [{ warnOnly: 1 }] })).n, 1);
      await db.command({ collMod: 'validated', validationAction: 'error', validationLevel: 'off' });
      assert.equal((await db.command({ insert: 'validated', documents: [{ levelOff: 1 }] })).n, 1);
    });
  });

  describe('retryable writes', function () {
    it('a retried insert with the same lsid and txnNumber is answered from the first reply, not applied twice', async function () {
      await withOwnSession(async (session, own) => {
        const ownDb = own.db(dbName);
        const txn = (n: number) => ({ txnNumber: Long.fromNumber(n) });
        const first = await ownDb.command({ insert: 'retry', documents: [{ _id: 'once' }], ...txn(1) }, { session });
        const retried = await ownDb.command({ insert: 'retry', documents: [{ _id: 'once' }], ...txn(1) }, { session });
        assert.equal(first.n, 1);
        assert.equal(retried.n, 1);
        assert.equal(retried.writeErrors, undefined);
        const update = { update: 'retry', updates: [{ q: { _id: 'once' }, u: { $inc: { c: 1 } } }], ...txn(2) };
        const update1 = await ownDb.command(update, { session });
        await ownDb.command(update, { session });
        assert.equal(update1.nModified, 1);
        await assert.rejects(
          ownDb.command({ insert: 'retry', documents: [{ _id: 'late' }], ...txn(1) }, { session }),
          (e: MongoServerError) => e.code === 225,
        );
      });
      assert.equal((await coll('retry').findOne({ _id: 'once' } as never))?.c, 1);
    });

    it('the driver sends txnNumber on writes (retryWrites) and they succeed', async function () {
      const res = await coll('retry_driver').insertOne({ a: 1 });
      assert.ok(res.acknowledged);
      const upd = await coll('retry_driver').updateOne({ a: 1 }, { $set: { b: 1 } });
      assert.equal(upd.modifiedCount, 1);
    });
  });
});
