/**
 * Change streams through the official driver: every event type, updateDescription, updateLookup and pre/post
 * images, pipelines on the stream, resume tokens, invalidation, transactions and the history bound. Runs against the
 * embedded server, or a real MongoDB 7/8 replica set when MONGODB_URI is set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Long, MongoClient, Timestamp, type ChangeStream, type ChangeStreamOptions, type Collection, type Db, type Document } from 'mongodb';
import { startMongoServer } from '../../../src/embedded-mongo';
import { connectTestClient, testCommandsEnabled, usingRealMongo } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

/** Streams typed as plain documents: the tests look at every field themselves. */
type Stream = ChangeStream<Document, Document>;
type Watchable = { watch(pipeline?: Document[], options?: ChangeStreamOptions): ChangeStream };

function watch(target: Watchable, pipeline: Document[], options: ChangeStreamOptions): Stream {
  return target.watch(pipeline, options) as unknown as Stream;
}

/** A stream that is open on the server (its aggregate has run), so every write from now on shows. */
async function openStream(target: Watchable, pipeline: Document[] = [], options: ChangeStreamOptions = {}): Promise<Stream> {
  const stream = watch(target, pipeline, { maxAwaitTimeMS: 100, ...options });
  assert.equal(await stream.tryNext(), null, 'nothing has happened yet');
  return stream;
}

async function nextEvents(stream: Stream, count: number): Promise<Document[]> {
  const events: Document[] = [];
  while (events.length < count) events.push(await stream.next());
  return events;
}

describe('conformance: change streams', function () {
  this.timeout(30_000);
  let client: MongoClient;
  let db: Db;
  let dbName: string;
  let suppliers: Collection;
  const open: Stream[] = [];

  async function watching(target: Watchable, pipeline: Document[] = [], options: ChangeStreamOptions = {}): Promise<Stream> {
    const stream = await openStream(target, pipeline, options);
    open.push(stream);
    return stream;
  }

  before(async () => {
    ({ client, dbName } = await connectTestClient('change_streams'));
    db = client.db(dbName);
  });

  beforeEach(async () => {
    suppliers = db.collection(`suppliers_${Math.random().toString(36).slice(2, 8)}`);
    await db.createCollection(suppliers.collectionName);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((stream) => stream.close()));
  });

  after(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('When documents are inserted, updated, replaced and deleted, then each change arrives in order with its fields', async () => {
    const stream = await watching(suppliers);
    await suppliers.insertOne({ _id: 'acme' as never, name: 'Acme', country: 'SE', certificates: ['iso9001'] });
    await suppliers.updateOne({ _id: 'acme' as never }, { $set: { country: 'VN', 'contact.email': 'a@acme.example' }, $unset: { certificates: '' } });
    await suppliers.replaceOne({ _id: 'acme' as never }, { name: 'Acme AB', country: 'SE' });
    await suppliers.deleteOne({ _id: 'acme' as never });
    const [insert, update, replace, remove] = await nextEvents(stream, 4);

    assert.equal(insert.operationType, 'insert');
    assert.deepEqual(insert.ns, { db: dbName, coll: suppliers.collectionName });
    assert.deepEqual(insert.documentKey, { _id: 'acme' });
    assert.deepEqual(insert.fullDocument, { _id: 'acme', name: 'Acme', country: 'SE', certificates: ['iso9001'] });
    assert.ok(insert.clusterTime instanceof Timestamp);
    assert.ok(insert.wallTime instanceof Date);
    assert.equal(typeof insert._id._data, 'string');

    assert.equal(update.operationType, 'update');
    assert.deepEqual(update.documentKey, { _id: 'acme' });
    assert.equal(update.fullDocument, undefined, 'no fullDocument without updateLookup');
    assert.deepEqual(update.updateDescription, { updatedFields: { country: 'VN', contact: { email: 'a@acme.example' } }, removedFields: ['certificates'], truncatedArrays: [] });

    assert.equal(replace.operationType, 'replace');
    assert.deepEqual(replace.fullDocument, { _id: 'acme', name: 'Acme AB', country: 'SE' });

    assert.equal(remove.operationType, 'delete');
    assert.deepEqual(remove.documentKey, { _id: 'acme' });
    assert.equal(remove.fullDocument, undefined);

    const times = [insert, update, replace, remove].map((e) => e.clusterTime as Timestamp);
    for (let i = 1; i < times.length; i++) assert.ok(times[i].greaterThan(times[i - 1]), 'cluster times increase');
  });

  it('When arrays and nested fields change, then updateDescription names each changed path as mongod logs it', async () => {
    await suppliers.insertOne({ _id: 1 as never, sites: [{ city: 'Hanoi' }, { city: 'Dhaka' }], scores: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], notes: 'n'.repeat(200) });
    const stream = await watching(suppliers);
    await suppliers.updateOne({ _id: 1 as never }, { $push: { scores: 11 } as never });
    await suppliers.updateOne({ _id: 1 as never, 'sites.city': 'Dhaka' } as never, { $set: { 'sites.$.audited': true } });
    await suppliers.updateOne({ _id: 1 as never }, [{ $set: { scores: { $slice: ['$scores', 5] } } }]);
    const [pushed, positional, sliced] = await nextEvents(stream, 3);
    assert.deepEqual(pushed.updateDescription.updatedFields, { 'scores.10': 11 });
    assert.deepEqual(positional.updateDescription.updatedFields, { 'sites.1.audited': true });
    assert.equal(sliced.operationType, 'update');
    assert.deepEqual(sliced.updateDescription.truncatedArrays, [{ field: 'scores', newSize: 5 }]);
    assert.deepEqual(sliced.updateDescription.updatedFields, {});
  });

  it('When the stream asks for updateLookup, then update events carry the document as it is now, or null once deleted', async () => {
    await suppliers.insertOne({ _id: 7 as never, name: 'Bolt', employees: 10 });
    const stream = await watching(suppliers, [], { fullDocument: 'updateLookup' });
    await suppliers.updateOne({ _id: 7 as never }, { $inc: { employees: 5 } });
    const update = await stream.next();
    assert.deepEqual(update.fullDocument, { _id: 7, name: 'Bolt', employees: 15 });

    await suppliers.updateOne({ _id: 7 as never }, { $inc: { employees: 1 } });
    await suppliers.deleteOne({ _id: 7 as never });
    const [later, removed] = await nextEvents(stream, 2);
    assert.equal(later.operationType, 'update');
    assert.equal(later.fullDocument, null, 'the document was deleted before the lookup');
    assert.equal(removed.operationType, 'delete');
  });

  it('When a collection is dropped, then its stream reports the drop, then invalidate, and closes', async () => {
    const stream = await watching(suppliers);
    await suppliers.insertOne({ _id: 1 as never });
    await suppliers.drop();
    const [insert, drop, invalidate] = await nextEvents(stream, 3);
    assert.equal(insert.operationType, 'insert');
    assert.equal(drop.operationType, 'drop');
    assert.deepEqual(drop.ns, { db: dbName, coll: suppliers.collectionName });
    assert.equal(invalidate.operationType, 'invalidate');
    assert.equal(invalidate.ns, undefined);
    assert.equal(await stream.hasNext(), false, 'an invalidated stream has nothing more');
  });

  it('When a collection is renamed, then its stream reports the rename with its target, then invalidate', async () => {
    const stream = await watching(suppliers);
    const target = `${suppliers.collectionName}_renamed`;
    await suppliers.rename(target);
    const [rename, invalidate] = await nextEvents(stream, 2);
    assert.equal(rename.operationType, 'rename');
    assert.deepEqual(rename.ns, { db: dbName, coll: suppliers.collectionName });
    assert.deepEqual(rename.to, { db: dbName, coll: target });
    assert.equal(invalidate.operationType, 'invalidate');
    await db.collection(target).drop();
  });

  it('When a database is watched and dropped, then every collection drop, the dropDatabase and invalidate arrive', async () => {
    const other = client.db(`${dbName}_drop`);
    await other.collection('a').insertOne({ _id: 1 as never });
    await other.collection('b').insertOne({ _id: 1 as never });
    const stream = await watching(other);
    await other.collection('a').insertOne({ _id: 2 as never });
    await other.dropDatabase();
    const events = await nextEvents(stream, 5);
    assert.equal(events[0].operationType, 'insert');
    assert.deepEqual(events.slice(1, 3).map((e) => e.operationType), ['drop', 'drop']);
    assert.deepEqual(events.slice(1, 3).map((e) => e.ns.coll).sort(), ['a', 'b']);
    assert.equal(events[3].operationType, 'dropDatabase');
    assert.deepEqual(events[3].ns, { db: `${dbName}_drop` });
    assert.equal(events[4].operationType, 'invalidate');
  });

  it('When the whole deployment is watched, then changes of every database arrive and a dropDatabase does not invalidate', async () => {
    const mine = [{ $match: { 'ns.db': { $in: [dbName, `${dbName}_other`] } } }];
    const stream = await watching(client, mine);
    const other = client.db(`${dbName}_other`);
    await suppliers.insertOne({ _id: 'here' as never });
    await other.collection('elsewhere').insertOne({ _id: 'there' as never });
    await other.dropDatabase();
    await suppliers.insertOne({ _id: 'after' as never });
    const events = await nextEvents(stream, 5);
    assert.deepEqual(events.map((e) => e.operationType), ['insert', 'insert', 'drop', 'dropDatabase', 'insert']);
    assert.deepEqual(events.map((e) => e.ns.db), [dbName, `${dbName}_other`, `${dbName}_other`, `${dbName}_other`, dbName]);
  });

  it('When the stream has its own pipeline, then $match filters and $project, $addFields and $unset reshape the events', async () => {
    const stream = await watching(suppliers, [
      { $match: { operationType: 'insert', 'fullDocument.country': 'SE' } },
      { $addFields: { supplierName: '$fullDocument.name' } },
      { $project: { operationType: 1, supplierName: 1, documentKey: 1 } },
      { $unset: 'documentKey' },
    ]);
    await suppliers.insertMany([
      { _id: 1 as never, name: 'Acme', country: 'SE' },
      { _id: 2 as never, name: 'Bolt', country: 'CN' },
      { _id: 3 as never, name: 'Cray', country: 'SE' },
    ]);
    await suppliers.deleteOne({ _id: 1 as never });
    const events = await nextEvents(stream, 2);
    assert.deepEqual(events.map((e) => ({ ...e, _id: undefined })), [
      { _id: undefined, operationType: 'insert', supplierName: 'Acme' },
      { _id: undefined, operationType: 'insert', supplierName: 'Cray' },
    ]);
    assert.ok(events.every((e) => typeof e._id._data === 'string'), 'the resume token stays');
  });

  it('When the stream pipeline holds a stage mongod does not allow there, then the aggregate fails with 20', async () => {
    await rejectsWithCode(suppliers.aggregate([{ $changeStream: {} }, { $group: { _id: null } }]).toArray(), 20, /\$group is not permitted in a \$changeStream pipeline/);
    await rejectsWithCode(suppliers.aggregate([{ $match: {} }, { $changeStream: {} }]).toArray(), 40602);
  });

  it('When the stream pipeline changes the resume token, then reading fails with 280', async () => {
    const stream = watch(suppliers, [{ $project: { _id: 0 } }], { maxAwaitTimeMS: 100 });
    open.push(stream);
    await stream.tryNext();
    await suppliers.insertOne({ _id: 1 as never });
    await assert.rejects(stream.next(), (err: { code?: number }) => err.code === 280);
  });

  it('When a stream resumes after a token, then it gets exactly the events after that one', async () => {
    const first = await watching(suppliers);
    await suppliers.insertMany([{ _id: 1 as never }, { _id: 2 as never }, { _id: 3 as never }]);
    const [one] = await nextEvents(first, 1);
    await first.close();
    const resumed = watch(suppliers, [], { resumeAfter: one._id, maxAwaitTimeMS: 100 });
    open.push(resumed);
    const events = await nextEvents(resumed, 2);
    assert.deepEqual(events.map((e) => e.documentKey._id), [2, 3]);
  });

  it('When a stream starts at an operation time, then it includes the write made at that time', async () => {
    const session = client.startSession();
    try {
      await suppliers.insertOne({ _id: 'before' as never }, { session });
      const at = session.operationTime;
      assert.ok(at instanceof Timestamp);
      await suppliers.insertOne({ _id: 'after' as never });
      const stream = watch(suppliers, [], { startAtOperationTime: at, maxAwaitTimeMS: 100 });
      open.push(stream);
      const events = await nextEvents(stream, 2);
      assert.deepEqual(events.map((e) => e.documentKey._id), ['before', 'after']);
    } finally {
      await session.endSession();
    }
  });

  it('When a stream was invalidated, then startAfter its invalidate opens a new one and resumeAfter it is refused with 260', async () => {
    const stream = await watching(suppliers);
    await suppliers.drop();
    const [, invalidate] = await nextEvents(stream, 2);
    assert.equal(invalidate.operationType, 'invalidate');

    await rejectsWithCode(suppliers.aggregate([{ $changeStream: { resumeAfter: invalidate._id } }]).toArray(), 260);
    const again = watch(suppliers, [], { startAfter: invalidate._id, maxAwaitTimeMS: 100 });
    open.push(again);
    await suppliers.insertOne({ _id: 'recreated' as never });
    const next = await again.next();
    assert.equal(next.operationType, 'insert');
    assert.deepEqual(next.documentKey, { _id: 'recreated' });
  });

  it('When a stream starts before the oldest kept history, then it fails with 286 ChangeStreamHistoryLost', async () => {
    await rejectsWithCode(suppliers.aggregate([{ $changeStream: { startAtOperationTime: new Timestamp({ t: 1, i: 1 }) } }]).toArray(), 286);
  });

  it('When a transaction commits, then its events arrive together, in order, carrying the session id and txnNumber', async () => {
    const stream = await watching(suppliers, [], { useBigInt64: true });
    const session = client.startSession();
    try {
      session.startTransaction();
      await suppliers.insertOne({ _id: 'a' as never, n: 1 }, { session });
      await suppliers.updateOne({ _id: 'a' as never }, { $inc: { n: 1 } }, { session });
      await suppliers.insertOne({ _id: 'b' as never }, { session });
      assert.equal(await stream.tryNext(), null, 'nothing shows before the commit');
      await session.commitTransaction();
      const events = await nextEvents(stream, 3);
      assert.deepEqual(events.map((e) => e.operationType), ['insert', 'update', 'insert']);
      const sessionId = session.id?.id;
      for (const event of events) {
        assert.equal(typeof event.txnNumber, 'bigint', 'txnNumber is a long');
        assert.ok(sessionId && Buffer.from(event.lsid.id.buffer).equals(Buffer.from(sessionId.buffer)), 'lsid is the session');
        assert.ok(event.clusterTime.equals(events[0].clusterTime), 'one commit, one cluster time');
      }
      assert.equal(events[0].txnNumber, events[2].txnNumber);
    } finally {
      await session.endSession();
    }
    await suppliers.insertOne({ _id: 'plain' as never });
    const plain = await stream.next();
    assert.equal(plain.lsid, undefined, 'a write outside a transaction has no lsid');
    assert.equal(plain.txnNumber, undefined);
  });

  it('When a transaction is aborted, then none of its writes appear', async () => {
    const stream = await watching(suppliers);
    const session = client.startSession();
    try {
      session.startTransaction();
      await suppliers.insertOne({ _id: 'ghost' as never }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    await suppliers.insertOne({ _id: 'real' as never });
    assert.deepEqual((await stream.next()).documentKey, { _id: 'real' });
  });

  it('When a getMore is waiting and a write happens, then the waiting getMore returns the event', async () => {
    // Opened from a known time rather than with a first empty read, which would itself wait the whole await time.
    const { operationTime } = await db.command({ ping: 1 });
    const stream = watch(suppliers, [], { startAtOperationTime: operationTime as Timestamp, maxAwaitTimeMS: 10_000 });
    open.push(stream);
    const pending = stream.next();
    await suppliers.insertOne({ _id: 'wake' as never });
    assert.deepEqual((await pending).documentKey, { _id: 'wake' });
  });

  it('When the server forgets the stream cursor, then the driver resumes where it was without losing an event', async () => {
    const stream = await watching(suppliers);
    await suppliers.insertOne({ _id: 1 as never });
    assert.deepEqual((await stream.next()).documentKey, { _id: 1 });
    const cursorId = (stream as unknown as { cursor: { id?: Long } }).cursor.id;
    assert.ok(cursorId);
    await db.command({ killCursors: suppliers.collectionName, cursors: [cursorId] });
    await suppliers.insertOne({ _id: 2 as never });
    assert.deepEqual((await stream.next()).documentKey, { _id: 2 });
  });

  it('When the connection drops under a getMore, then the driver resumes on a new one without losing an event', async function () {
    if (!(await testCommandsEnabled(client))) this.skip();
    const stream = await watching(suppliers);
    await suppliers.insertOne({ _id: 1 as never });
    assert.deepEqual((await stream.next()).documentKey, { _id: 1 });
    const admin = client.db('admin');
    const before = await admin.command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['getMore'], closeConnection: true } });
    let after: Document | undefined;
    try {
      await suppliers.insertOne({ _id: 2 as never });
      assert.deepEqual((await stream.next()).documentKey, { _id: 2 });
    } finally {
      after = await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
    }
    assert.equal(Number(after.count) - Number(before.count), 1, 'the getMore lost its connection once');
  });

  it('When showExpandedEvents is set, then creates and index builds show with their descriptions and collection UUID', async () => {
    const stream = await watching(db, [{ $match: { 'ns.coll': `${suppliers.collectionName}_x` } }], { showExpandedEvents: true });
    const created = db.collection(`${suppliers.collectionName}_x`);
    await db.createCollection(created.collectionName);
    await created.createIndex({ country: 1 }, { name: 'country_1' });
    await created.insertOne({ _id: 1 as never, country: 'SE' });
    const [create, index, insert] = await nextEvents(stream, 3);
    assert.equal(create.operationType, 'create');
    assert.deepEqual(create.operationDescription.idIndex, { v: 2, key: { _id: 1 }, name: '_id_' });
    assert.equal(index.operationType, 'createIndexes');
    assert.deepEqual(index.operationDescription.indexes.map((i: Document) => i.key), [{ country: 1 }]);
    assert.equal(insert.operationType, 'insert');
    assert.ok(insert.collectionUUID, 'collectionUUID is shown');
    assert.equal(String(insert.collectionUUID), String(create.collectionUUID));
  });

  it('When views are created, changed and dropped, then a database stream with showExpandedEvents reports them by the view name', async () => {
    const view = `${suppliers.collectionName}_swedish`;
    const stream = await watching(db, [{ $match: { 'ns.coll': view } }], { showExpandedEvents: true });
    const plain = await watching(db, [{ $match: { 'ns.coll': view } }]);
    await db.createCollection(view, { viewOn: suppliers.collectionName, pipeline: [{ $match: { country: 'SE' } }] });
    await db.command({ collMod: view, viewOn: suppliers.collectionName, pipeline: [{ $match: { country: 'VN' } }] });
    await db.collection(view).drop();
    const [create, modify, drop] = await nextEvents(stream, 3);
    assert.equal(create.operationType, 'create');
    assert.deepEqual(create.ns, { db: dbName, coll: view });
    assert.equal(create.operationDescription.viewOn, suppliers.collectionName);
    assert.deepEqual(create.operationDescription.pipeline, [{ $match: { country: 'SE' } }]);
    assert.equal(modify.operationType, 'modify');
    assert.deepEqual(modify.operationDescription.pipeline, [{ $match: { country: 'VN' } }]);
    assert.equal(drop.operationType, 'drop');
    assert.equal(await plain.tryNext(), null, 'a stream without expanded events shows no view change');
  });

  it('When a collection keeps pre- and post-images, then required images are delivered; without them required fails with 47', async () => {
    const imaged = db.collection(`${suppliers.collectionName}_images`);
    await db.createCollection(imaged.collectionName, { changeStreamPreAndPostImages: { enabled: true } });
    await imaged.insertOne({ _id: 1 as never, status: 'draft' });
    const stream = await watching(imaged, [], { fullDocument: 'required', fullDocumentBeforeChange: 'required' });
    await imaged.updateOne({ _id: 1 as never }, { $set: { status: 'submitted' } });
    await imaged.deleteOne({ _id: 1 as never });
    const [update, remove] = await nextEvents(stream, 2);
    assert.deepEqual(update.fullDocument, { _id: 1, status: 'submitted' });
    assert.deepEqual(update.fullDocumentBeforeChange, { _id: 1, status: 'draft' });
    assert.deepEqual(remove.fullDocumentBeforeChange, { _id: 1, status: 'submitted' });

    await suppliers.insertOne({ _id: 1 as never, status: 'draft' });
    const [info] = await db.listCollections({ name: imaged.collectionName }).toArray();
    assert.deepEqual((info as { options: Document }).options.changeStreamPreAndPostImages, { enabled: true });
    const optional = await watching(suppliers, [], { fullDocument: 'whenAvailable', fullDocumentBeforeChange: 'whenAvailable' });
    await suppliers.updateOne({ _id: 1 as never }, { $set: { status: 'submitted' } });
    const withoutImages = await optional.next();
    assert.equal(withoutImages.fullDocument, null);
    assert.equal(withoutImages.fullDocumentBeforeChange, null);

    const strict = watch(suppliers, [], { fullDocumentBeforeChange: 'required', maxAwaitTimeMS: 100 });
    open.push(strict);
    await strict.tryNext();
    await suppliers.updateOne({ _id: 1 as never }, { $set: { status: 'approved' } });
    await assert.rejects(strict.next(), (err: { code?: number }) => err.code === 47);
  });

  it('When collMod turns pre- and post-images on, then a modify event says so and later changes carry their pre-image', async () => {
    await suppliers.insertOne({ _id: 1 as never, status: 'draft' });
    const stream = await watching(db, [{ $match: { 'ns.coll': suppliers.collectionName } }], { showExpandedEvents: true, fullDocumentBeforeChange: 'whenAvailable' });
    await db.command({ collMod: suppliers.collectionName, changeStreamPreAndPostImages: { enabled: true } });
    await suppliers.updateOne({ _id: 1 as never }, { $set: { status: 'submitted' } });
    const [modify, update] = await nextEvents(stream, 2);
    assert.equal(modify.operationType, 'modify');
    assert.deepEqual(modify.operationDescription, { changeStreamPreAndPostImages: { enabled: true } });
    assert.ok(modify.stateBeforeChange, 'the options before the change are shown');
    assert.equal(update.operationType, 'update');
    assert.deepEqual(update.fullDocumentBeforeChange, { _id: 1, status: 'draft' });
  });

  it('When $changeStream options are wrong, then mongod’s errors come back', async () => {
    await rejectsWithCode(suppliers.aggregate([{ $changeStream: { fullDocument: 'everything' } }]).toArray(), 2);
    await rejectsWithCode(suppliers.aggregate([{ $changeStream: { notAnOption: true } }]).toArray(), 40415);
    await rejectsWithCode(db.aggregate([{ $changeStream: { allChangesForCluster: true } }]).toArray(), 72);
    await rejectsWithCode(client.db('admin').aggregate([{ $changeStream: {} }]).toArray(), 73);
    await rejectsWithCode(client.db('local').collection('oplog.rs').aggregate([{ $changeStream: {} }]).toArray(), 73);
    const images = `${suppliers.collectionName}_bad_images`;
    await rejectsWithCode(db.createCollection(images, { changeStreamPreAndPostImages: { enabled: 'yes' } } as never), 14);
    await rejectsWithCode(db.createCollection(images, { changeStreamPreAndPostImages: {} } as never), 40414);
    await rejectsWithCode(db.command({ collMod: suppliers.collectionName, changeStreamPreAndPostImages: { enabled: true, always: true } }), 40415);
  });
});

describe('conformance: change streams across a server restart', function () {
  this.timeout(60_000);

  before(function () {
    // Only a durable embedded target can be restarted from here; a real MongoDB or an in-memory run skips this.
    if (usingRealMongo() || process.env.TEST_EMBEDDED_STORAGE !== 'durable') this.skip();
  });

  it('When the server restarts under an open stream, also during a waiting getMore, then the driver resumes on its own without losing or repeating an event', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-restart-'));
    let server = await startMongoServer({ dbPath: dir, port: 0 });
    const port = server.port;
    const client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 15_000 }).connect();
    try {
      const suppliers = client.db('restart').collection('suppliers');
      const stream = await openStream(suppliers);
      await suppliers.insertMany([{ _id: 1 as never }, { _id: 2 as never }]);
      assert.deepEqual((await nextEvents(stream, 2)).map((e) => e.documentKey._id), [1, 2]);

      await server.close();
      server = await startMongoServer({ dbPath: dir, port });
      await suppliers.insertOne({ _id: 3 as never });
      const afterRestart = await stream.next();
      assert.deepEqual(afterRestart.documentKey, { _id: 3 }, 'the stream resumed after the last event it had');

      // Again while a getMore is waiting on the server: closing does not wait for it, the driver resumes anyway.
      const pending = stream.next();
      await server.close();
      server = await startMongoServer({ dbPath: dir, port });
      await suppliers.insertOne({ _id: 4 as never });
      assert.deepEqual((await pending).documentKey, { _id: 4 });
      await stream.close();
    } finally {
      await client.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
