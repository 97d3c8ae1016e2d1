/** find / getMore / killCursors / count / distinct: batching, cursor ids, limits and their errors. */
import assert from 'node:assert/strict';
import { Long, MongoServerError, type Db, type MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { CursorRegistry } from '../../../src/embedded-mongo/commands/cursors';

describe('cursors and reads', function () {
  let client: MongoClient;
  let dbName: string;
  let db: Db;
  const COUNT = 250;

  before(async function () {
    ({ client, dbName } = await connectTestClient('cursors'));
    db = client.db(dbName);
    await db.collection('items').insertMany(
      Array.from({ length: COUNT }, (_, i) => ({ _id: i, n: i, parity: i % 2 ? 'odd' : 'even', tags: [`t${i % 3}`, 'all'], name: i % 2 ? 'Alpha' : 'alpha' })) as never[],
    );
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  function isLong(value: unknown): boolean {
    return value instanceof Long;
  }

  it('find returns firstBatch of 101 by default and an int64 cursor id with the namespace', async function () {
    const reply = await db.command({ find: 'items', filter: {} }, { promoteLongs: false });
    assert.equal(reply.cursor.firstBatch.length, 101);
    assert.ok(isLong(reply.cursor.id));
    assert.ok(!reply.cursor.id.isZero() && !reply.cursor.id.isNegative());
    assert.equal(reply.cursor.ns, `${dbName}.items`);
  });

  it('getMore continues where the batch ended; the last batch has id 0', async function () {
    const first = await db.command({ find: 'items', filter: {}, sort: { n: 1 }, batchSize: 100 }, { promoteLongs: false });
    const id = first.cursor.id;
    const second = await db.command({ getMore: id, collection: 'items', batchSize: 100 }, { promoteLongs: false });
    assert.equal(second.cursor.nextBatch[0].n, 100);
    assert.equal(second.cursor.nextBatch.length, 100);
    assert.ok(second.cursor.id.equals(id));
    const third = await db.command({ getMore: id, collection: 'items', batchSize: 100 }, { promoteLongs: false });
    assert.equal(third.cursor.nextBatch.length, 50);
    assert.ok(third.cursor.id.isZero());
    await assert.rejects(db.command({ getMore: id, collection: 'items' }), (e: MongoServerError) => e.code === 43 && e.codeName === 'CursorNotFound');
  });

  it('getMore on another namespace is refused and the cursor stays usable', async function () {
    const first = await db.command({ find: 'items', filter: {}, batchSize: 2 }, { promoteLongs: false });
    await assert.rejects(db.command({ getMore: first.cursor.id, collection: 'other' }), (e: MongoServerError) => e.code === 13);
    const next = await db.command({ getMore: first.cursor.id, collection: 'items', batchSize: 2 });
    assert.equal(next.cursor.nextBatch.length, 2);
    await db.command({ killCursors: 'items', cursors: [first.cursor.id] });
  });

  it('an unknown cursor id fails with 43 CursorNotFound', async function () {
    await assert.rejects(db.command({ getMore: Long.fromString('123456789'), collection: 'items' }), (e: MongoServerError) => e.code === 43);
  });

  it('killCursors reports killed and not-found ids', async function () {
    const first = await db.command({ find: 'items', filter: {}, batchSize: 1 }, { promoteLongs: false });
    const unknown = Long.fromString('987654321');
    const reply = await db.command({ killCursors: 'items', cursors: [first.cursor.id, unknown] }, { promoteLongs: false });
    assert.equal(reply.cursorsKilled.length, 1);
    assert.ok(reply.cursorsKilled[0].equals(first.cursor.id));
    assert.ok(reply.cursorsNotFound[0].equals(unknown));
    assert.deepEqual(reply.cursorsAlive, []);
    assert.deepEqual(reply.cursorsUnknown, []);
  });

  it('killCursors only kills cursors of the named collection, including database-level aggregate cursors', async function () {
    const first = await db.command({ find: 'items', filter: {}, batchSize: 1 }, { promoteLongs: false });
    const wrong = await db.command({ killCursors: 'other', cursors: [first.cursor.id] }, { promoteLongs: false });
    assert.equal(wrong.cursorsNotFound.length, 1);
    const right = await db.command({ killCursors: 'items', cursors: [first.cursor.id] }, { promoteLongs: false });
    assert.equal(right.cursorsKilled.length, 1);

    const agg = await db.command({ aggregate: 1, pipeline: [{ $documents: [{ x: 1 }, { x: 2 }, { x: 3 }] }], cursor: { batchSize: 1 } }, { promoteLongs: false });
    assert.equal(agg.cursor.ns, `${dbName}.$cmd.aggregate`);
    const killed = await db.command({ killCursors: '$cmd.aggregate', cursors: [agg.cursor.id] }, { promoteLongs: false });
    assert.equal(killed.cursorsKilled.length, 1);
  });

  it('driver cursors iterate every document across batches, with sort, skip, limit and projection', async function () {
    const docs = await db.collection('items').find({ parity: 'odd' }, { projection: { n: 1, _id: 0 } }).sort({ n: -1 }).skip(5).limit(60).batchSize(7).toArray();
    assert.equal(docs.length, 60);
    assert.deepEqual(docs[0], { n: 239 });
    assert.deepEqual(docs[59], { n: 121 });
    assert.equal((await db.collection('items').find().toArray()).length, COUNT);
  });

  it('a negative limit returns a single batch and closes the cursor', async function () {
    const reply = await db.command({ find: 'items', filter: {}, limit: -3 }, { promoteLongs: false });
    assert.equal(reply.cursor.firstBatch.length, 3);
    assert.ok(reply.cursor.id.isZero());
  });

  it('singleBatch closes the cursor after the first batch; a limit below the batch size exhausts it', async function () {
    const single = await db.command({ find: 'items', filter: {}, batchSize: 5, singleBatch: true }, { promoteLongs: false });
    assert.equal(single.cursor.firstBatch.length, 5);
    assert.ok(single.cursor.id.isZero());
    const limited = await db.command({ find: 'items', filter: {}, limit: 10 }, { promoteLongs: false });
    assert.equal(limited.cursor.firstBatch.length, 10);
    assert.ok(limited.cursor.id.isZero());
  });

  it('batchSize 0 opens a cursor with an empty first batch', async function () {
    const reply = await db.command({ find: 'items', filter: { n: { $lt: 3 } }, batchSize: 0 }, { promoteLongs: false });
    assert.equal(reply.cursor.firstBatch.length, 0);
    assert.ok(!reply.cursor.id.isZero());
    const rest = await db.command({ getMore: reply.cursor.id, collection: 'items' }, { promoteLongs: false });
    assert.equal(rest.cursor.nextBatch.length, 3);
  });

  it('find honours collation, hint, comment and maxTimeMS', async function () {
    const strict = await db.collection('items').countDocuments({ name: 'alpha' });
    assert.equal(strict, 125);
    const folded = await db.collection('items').find({ name: 'alpha' }, { collation: { locale: 'en', strength: 2 } }).toArray();
    assert.equal(folded.length, 250);
    const hinted = await db.collection('items').find({ n: 5 }, { hint: { _id: 1 }, comment: 'why', maxTimeMS: 5000 }).toArray();
    assert.equal(hinted.length, 1);
  });

  it('invalid filters and argument types fail with MongoDB codes', async function () {
    await assert.rejects(db.command({ find: 'items', filter: { n: { $bogus: 1 } } }), (e: MongoServerError) => e.code === 2);
    await assert.rejects(db.command({ find: 'items', filter: 'nope' }), (e: MongoServerError) => e.code === 14);
    await assert.rejects(db.command({ find: 'items', skip: -1 }), (e: MongoServerError) => [2, 51024].includes(Number(e.code)));
  });

  it('count honours query, skip and limit', async function () {
    assert.equal((await db.command({ count: 'items', query: { parity: 'even' } })).n, 125);
    assert.equal((await db.command({ count: 'items', query: {}, skip: 240 })).n, 10);
    assert.equal((await db.command({ count: 'items', query: {}, skip: 10, limit: 5 })).n, 5);
    assert.equal(await db.collection('items').estimatedDocumentCount(), COUNT);
    assert.equal((await db.command({ count: 'missing_collection' })).n, 0);
  });

  it('distinct flattens arrays and honours query and collation', async function () {
    assert.deepEqual((await db.collection('items').distinct('tags')).sort(), ['all', 't0', 't1', 't2']);
    assert.deepEqual(await db.collection('items').distinct('n', { n: { $lt: 3 } }), [0, 1, 2]);
    const folded = await db.collection('items').distinct('name', {}, { collation: { locale: 'en', strength: 2 } });
    assert.equal(folded.length, 1);
    assert.equal((await db.collection('items').distinct('name')).length, 2);
  });

  it('a distinct whose reply would exceed 16 MB fails cleanly and the connection keeps working', async function () {
    await db.collection('wide').insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, blob: `${i}`.padEnd(1024 * 1024, 'x') })) as never[]);
    await assert.rejects(db.collection('wide').distinct('blob'), (e: unknown) => e instanceof MongoServerError);
    assert.equal((await db.collection('wide').distinct('_id')).length, 20);
  });

  it('aggregate returns a cursor that getMore continues', async function () {
    const cursor = db.collection('items').aggregate([{ $match: { parity: 'even' } }, { $project: { n: 1 } }], { batchSize: 10 });
    const all = await cursor.toArray();
    assert.equal(all.length, 125);
    const grouped = await db.collection('items').aggregate([{ $group: { _id: '$parity', c: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    assert.deepEqual(grouped, [{ _id: 'even', c: 125 }, { _id: 'odd', c: 125 }]);
    await assert.rejects(db.command({ aggregate: 'items', pipeline: [] }), (e: MongoServerError) => e.code === 9);
    await assert.rejects(db.collection('items').aggregate([{ $bogusStage: {} }]).toArray(), (e: MongoServerError) => e.code === 40324);
  });

  it('a batch never exceeds 16 MB: large documents are split across batches', async function () {
    const big = 'x'.repeat(3 * 1024 * 1024);
    await db.collection('big').insertMany(Array.from({ length: 8 }, (_, i) => ({ _id: i, big })) as never[]);
    const reply = await db.command({ find: 'big', filter: {} }, { promoteLongs: false });
    assert.ok(reply.cursor.firstBatch.length < 8 && reply.cursor.firstBatch.length >= 1);
    const docs = await db.collection('big').find().toArray();
    assert.equal(docs.length, 8);
  });
});

describe('cursor idle timeout (server internals, driven by a fake clock)', function () {
  it('kills cursors idle for more than 10 minutes; using a cursor keeps it alive', async function () {
    let now = 0;
    const cursors = new CursorRegistry(() => now);
    const docs = Array.from({ length: 10 }, (_, i) => ({ _id: i }));
    const idle = cursors.start({ ns: 'db.c', docs }, 2, false);
    const busy = cursors.start({ ns: 'db.c', docs }, 2, false);
    assert.ok(idle.id > 0n && busy.id > 0n && idle.id !== busy.id);
    now += 9 * 60_000;
    cursors.next(busy.id, 'db.c', 2);
    now += 2 * 60_000;
    assert.equal(cursors.sweep(), 1);
    assert.deepEqual(cursors.next(idle.id, 'db.c', 2), { error: 'notFound' });
    const next = cursors.next(busy.id, 'db.c', 100);
    assert.ok('batch' in next && next.batch.docs.length === 6 && next.batch.exhausted);
    assert.equal(cursors.size, 0);
  });

  it('When a cursor was opened with noCursorTimeout, then idleness never kills it', async function () {
    let now = 0;
    const cursors = new CursorRegistry(() => now);
    const docs = Array.from({ length: 4 }, (_, i) => ({ _id: i }));
    const kept = cursors.start({ ns: 'db.c', docs, noTimeout: true }, 2, false);
    now += 24 * 60 * 60_000;
    assert.equal(cursors.sweep(), 0);
    const next = cursors.next(kept.id, 'db.c', 10);
    assert.ok('batch' in next && next.batch.docs.length === 2 && next.batch.exhausted);
  });
});
