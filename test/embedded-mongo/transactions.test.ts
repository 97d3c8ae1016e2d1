/**
 * Transactions, retryable writes and unique indexes under concurrency, through the official driver and mongoose,
 * against a durable (on-disk) server with an injectable clock for the 60 s transaction lifetime.
 */
import assert from 'node:assert/strict';
import { Long, MongoClient, type ClientSession, type Db } from 'mongodb';
import mongoose, { Schema } from 'mongoose';
import { startHarnessServer, tempDir, type HarnessServer } from './durability/harness';

describe('transactions, retryable writes and unique keys (driver and mongoose, durable server)', function () {
  this.timeout(60_000);
  const data = tempDir('transactions');
  let clockOffset = 0;
  let server: HarnessServer;
  let client: MongoClient;
  let other: MongoClient;
  let db: Db;
  let dbName = '';
  let testNo = 0;

  before(async () => {
    server = await startHarnessServer({ dbPath: data.dir, now: () => Date.now() + clockOffset });
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    other = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    await Promise.all([client.connect(), other.connect()]);
  });

  beforeEach(async () => {
    clockOffset = 0;
    dbName = `txn_${++testNo}`;
    db = client.db(dbName);
  });

  afterEach(async () => {
    await db.dropDatabase();
  });

  after(async () => {
    await client?.close();
    await other?.close();
    await server?.close();
    data.remove();
  });

  async function inTransaction<T>(session: ClientSession, fn: () => Promise<T>): Promise<T> {
    session.startTransaction();
    return fn();
  }

  it('When a transaction writes to two collections, then others see nothing before commit and everything after; it reads its own writes over a stable snapshot', async () => {
    await db.collection('answers').insertOne({ _id: 'a1' as never, value: 'draft' });
    const session = client.startSession();
    try {
      await inTransaction(session, async () => {
        await db.collection('answers').updateOne({ _id: 'a1' as never }, { $set: { value: 'final' } }, { session });
        await db.collection('audit').insertOne({ answer: 'a1', action: 'finalised' }, { session });
      });
      await other.db(dbName).collection('answers').insertOne({ _id: 'a2' as never, value: 'late' });

      assert.equal((await db.collection('answers').findOne({ _id: 'a1' as never }, { session }))?.value, 'final', 'own write visible inside');
      assert.equal(await db.collection('answers').countDocuments({}, { session }), 1, 'a commit made after the transaction started is not in its snapshot');
      const outside = other.db(dbName);
      assert.equal((await outside.collection('answers').findOne({ _id: 'a1' as never }))?.value, 'draft');
      assert.equal(await outside.collection('audit').countDocuments(), 0);

      await session.commitTransaction();
      assert.equal((await outside.collection('answers').findOne({ _id: 'a1' as never }))?.value, 'final');
      assert.equal(await outside.collection('audit').countDocuments(), 1);
    } finally {
      await session.endSession();
    }
  });

  it('When another writer commits to the same document first, then the transaction gets WriteConflict and withTransaction retries it to success', async () => {
    await db.collection('plans').insertOne({ _id: 'p1' as never, steps: 0, notes: [] });
    const session = client.startSession();
    let attempts = 0;
    const conflicts: unknown[] = [];
    try {
      await session.withTransaction(async () => {
        attempts++;
        const plan = await db.collection('plans').findOne({ _id: 'p1' as never }, { session });
        if (attempts === 1) await other.db(dbName).collection('plans').updateOne({ _id: 'p1' as never }, { $push: { notes: 'auditor' } as never });
        try {
          await db.collection('plans').updateOne({ _id: 'p1' as never }, { $set: { steps: (plan?.steps as number) + 1 } }, { session });
        } catch (err) {
          conflicts.push(err);
          throw err;
        }
      });
    } finally {
      await session.endSession();
    }
    assert.equal(attempts, 2);
    assert.equal(conflicts.length, 1);
    const conflict = conflicts[0] as { code?: number; errorLabels?: string[]; hasErrorLabel?(label: string): boolean };
    assert.equal(conflict.code, 112);
    assert.ok(conflict.hasErrorLabel?.('TransientTransactionError'));
    assert.deepEqual(await db.collection('plans').findOne({ _id: 'p1' as never }), { _id: 'p1', steps: 1, notes: ['auditor'] });
  });

  it('When a transaction is aborted, then none of its writes exist', async () => {
    const session = client.startSession();
    try {
      await inTransaction(session, async () => {
        await db.collection('evidence').insertOne({ file: 'policy.pdf' }, { session });
        await db.collection('answers').insertOne({ q: 'child-labour', a: 'no' }, { session });
      });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    assert.equal(await db.collection('evidence').countDocuments(), 0);
    assert.equal(await db.collection('answers').countDocuments(), 0);
  });

  it('When a transaction is older than 60 s, then the sweep aborts it and its next command and commit get NoSuchTransaction', async () => {
    const session = client.startSession();
    try {
      await inTransaction(session, async () => {
        await db.collection('answers').insertOne({ q: 'wages' }, { session });
      });
      clockOffset = 59_000;
      assert.equal(server.sessions.sweep().abortedTransactions, 0, 'not yet at 59 s');
      clockOffset = 61_000;
      assert.equal(server.sessions.sweep().abortedTransactions, 1);
      await assert.rejects(db.collection('answers').insertOne({ q: 'hours' }, { session }), { code: 251 });
      await assert.rejects(session.commitTransaction(), { code: 251 });
    } finally {
      await session.endSession();
    }
    assert.equal(await db.collection('answers').countDocuments(), 0);
  });

  it('When the driver retries a commit, then it is answered and not applied again', async () => {
    const session = client.startSession();
    try {
      await inTransaction(session, async () => {
        await db.collection('counters').insertOne({ _id: 'c' as never, n: 1 }, { session });
        await db.collection('counters').updateOne({ _id: 'c' as never }, { $inc: { n: 1 } }, { session });
      });
      await session.commitTransaction();
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    assert.deepEqual(await db.collection('counters').find().toArray(), [{ _id: 'c', n: 2 }]);
  });

  it('When a retryable write is sent again with the same lsid and txnNumber, then the first result is returned and it is not applied twice', async () => {
    // A client of its own: its pooled server session (lsid) must not be reused with lower txnNumbers elsewhere.
    const own = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
    const session = own.startSession();
    const ownDb = own.db(dbName);
    try {
      const run = (command: Record<string, unknown>, txnNumber: number) => ownDb.command({ ...command, txnNumber: Long.fromNumber(txnNumber) }, { session });
      const insert = { insert: 'ledger', documents: [{ _id: 1, n: 0 }] };
      assert.equal((await run(insert, 1)).n, 1);
      const replayedInsert = await run(insert, 1);
      assert.equal(replayedInsert.n, 1);
      assert.equal(replayedInsert.writeErrors, undefined, 'no duplicate-key error on the retry');

      const update = { update: 'ledger', updates: [{ q: { _id: 1 }, u: { $inc: { n: 5 } } }] };
      assert.equal((await run(update, 2)).nModified, 1);
      assert.equal((await run(update, 2)).nModified, 1);

      const fam = { findAndModify: 'ledger', query: { _id: 1 }, update: { $inc: { n: 100 } }, new: true };
      assert.equal((await run(fam, 3)).value.n, 105);
      assert.equal((await run(fam, 3)).value.n, 105);
      assert.equal((await db.collection('ledger').findOne({ _id: 1 as never }))?.n, 105);

      await db.collection('ledger').insertOne({ _id: 2 as never });
      const del = { delete: 'ledger', deletes: [{ q: { _id: 2 }, limit: 1 }] };
      assert.equal((await run(del, 4)).n, 1);
      await db.collection('ledger').insertOne({ _id: 2 as never });
      assert.equal((await run(del, 4)).n, 1);
      assert.equal(await db.collection('ledger').countDocuments({ _id: 2 as never }), 1, 'the retried delete did not run again');
    } finally {
      await session.endSession();
      await own.close();
    }
  });

  it('When 20 clients insert the same unique key at once, then exactly one succeeds and the rest get 11000', async () => {
    await db.collection('suppliers').createIndex({ email: 1 }, { unique: true });
    const clients = await Promise.all(Array.from({ length: 20 }, () => new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect()));
    try {
      const results = await Promise.allSettled(clients.map((c, i) => c.db(dbName).collection('suppliers').insertOne({ email: 'ops@factory.example', by: i })));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 19);
      for (const loss of lost) assert.equal((loss.reason as { code?: number }).code, 11000);
      assert.equal(await db.collection('suppliers').countDocuments(), 1);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('When 20 concurrent transactions insert the same unique key, then exactly one commits', async () => {
    await db.collection('suppliers').createIndex({ email: 1 }, { unique: true });
    const clients = await Promise.all(Array.from({ length: 20 }, () => new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect()));
    try {
      const results = await Promise.allSettled(
        clients.map(async (c, i) => {
          const session = c.startSession();
          try {
            session.startTransaction();
            await c.db(dbName).collection('suppliers').insertOne({ email: 'same@factory.example', by: i }, { session });
            await session.commitTransaction();
          } finally {
            await session.endSession();
          }
        }),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal(await db.collection('suppliers').countDocuments(), 1);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('When mongoose runs connection.transaction(), then a thrown callback rolls back both models and a returning one commits both', async () => {
    const conn = await mongoose.createConnection(server.uri, { dbName, serverSelectionTimeoutMS: 5000 }).asPromise();
    try {
      const Response = conn.model('Response', new Schema({ supplier: String, status: String }));
      const Flag = conn.model('Flag', new Schema({ supplier: String, indicator: String }));
      await Response.createCollection();
      await Flag.createCollection();
      await assert.rejects(
        conn.transaction(async (session) => {
          await Response.create([{ supplier: 'S1', status: 'submitted' }], { session });
          await Flag.create([{ supplier: 'S1', indicator: 'retention of identity documents' }], { session });
          throw new Error('reviewer cancelled');
        }),
        /reviewer cancelled/,
      );
      assert.equal(await Response.countDocuments(), 0);
      assert.equal(await Flag.countDocuments(), 0);

      await conn.transaction(async (session) => {
        await Response.create([{ supplier: 'S2', status: 'submitted' }], { session });
        await Flag.create([{ supplier: 'S2', indicator: 'excessive overtime' }], { session });
      });
      assert.equal(await Response.countDocuments({ supplier: 'S2' }), 1);
      assert.equal(await Flag.countDocuments({ supplier: 'S2' }), 1);
    } finally {
      await conn.close();
    }
  });

  it('When the server restarts, then committed transactions are there and aborted ones are not', async () => {
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await db.collection('kept').insertOne({ _id: 1 as never }, { session });
        await db.collection('kept_too').insertOne({ _id: 1 as never }, { session });
      });
      session.startTransaction();
      await db.collection('dropped').insertOne({ _id: 1 as never }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    await client.close();
    await other.close();
    await server.close();
    server = await startHarnessServer({ dbPath: data.dir, now: () => Date.now() + clockOffset });
    client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    other = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    await Promise.all([client.connect(), other.connect()]);
    db = client.db(dbName);
    assert.equal(await db.collection('kept').countDocuments(), 1);
    assert.equal(await db.collection('kept_too').countDocuments(), 1);
    assert.deepEqual(await db.listCollections({ name: 'dropped' }).toArray(), []);
  });
});
