/** Logical sessions and multi-document transactions through the driver's session API. */
import assert from 'node:assert/strict';
import { Long, MongoClient, MongoServerError, type Db } from 'mongodb';
import { connectTestClient, withOwnSession } from '../../helpers/mongo-target';
import { UUID } from 'bson';
import { silentLogger } from '../../../src/embedded-mongo/commands/context';
import { SessionRegistry } from '../../../src/embedded-mongo/commands/sessions';
import { openStorage } from '../../../src/embedded-mongo/storage';

describe('sessions and transactions', function () {
  let client: MongoClient;
  let dbName: string;
  let db: Db;

  before(async function () {
    ({ client, dbName } = await connectTestClient('sessions'));
    db = client.db(dbName);
    await db.createCollection('accounts');
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  beforeEach(async function () {
    await db.collection('accounts').deleteMany({});
    await db.collection('accounts').insertMany([{ _id: 'a', balance: 100 }, { _id: 'b', balance: 0 }] as never[]);
  });

  it('writes inside a transaction are invisible outside until commit, then all visible', async function () {
    const session = client.startSession();
    try {
      session.startTransaction();
      const accounts = db.collection('accounts');
      await accounts.updateOne({ _id: 'a' } as never, { $inc: { balance: -30 } }, { session });
      await accounts.updateOne({ _id: 'b' } as never, { $inc: { balance: 30 } }, { session });
      await accounts.insertOne({ _id: 'log1', amount: 30 } as never, { session });
      assert.equal((await accounts.findOne({ _id: 'b' } as never, { session }))?.balance, 30, 'the transaction sees its own writes');
      assert.equal((await accounts.findOne({ _id: 'b' } as never))?.balance, 0, 'others do not');
      assert.equal(await accounts.countDocuments({ _id: 'log1' } as never), 0);
      await session.commitTransaction();
      assert.equal((await accounts.findOne({ _id: 'a' } as never))?.balance, 70);
      assert.equal((await accounts.findOne({ _id: 'b' } as never))?.balance, 30);
      assert.equal(await accounts.countDocuments({ _id: 'log1' } as never), 1);
    } finally {
      await session.endSession();
    }
  });

  it('abortTransaction discards every write of the transaction', async function () {
    const session = client.startSession();
    try {
      session.startTransaction();
      await db.collection('accounts').updateOne({ _id: 'a' } as never, { $set: { balance: 0 } }, { session });
      await db.collection('accounts').insertOne({ _id: 'ghost' } as never, { session });
      await session.abortTransaction();
      assert.equal((await db.collection('accounts').findOne({ _id: 'a' } as never))?.balance, 100);
      assert.equal(await db.collection('accounts').countDocuments({ _id: 'ghost' } as never), 0);
    } finally {
      await session.endSession();
    }
  });

  it('withTransaction commits the callback’s writes', async function () {
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await db.collection('accounts').updateOne({ _id: 'a' } as never, { $inc: { balance: -1 } }, { session });
        await db.collection('ledger').insertOne({ at: new Date() }, { session });
      });
      assert.equal((await db.collection('accounts').findOne({ _id: 'a' } as never))?.balance, 99);
      assert.equal(await db.collection('ledger').countDocuments(), 1);
    } finally {
      await session.endSession();
    }
  });

  it('a duplicate key inside a transaction aborts it; later commands get 251 NoSuchTransaction', async function () {
    const session = client.startSession();
    try {
      session.startTransaction();
      await assert.rejects(db.collection('accounts').insertOne({ _id: 'a' } as never, { session }), (e: MongoServerError) => e.code === 11000);
      await assert.rejects(
        db.collection('accounts').insertOne({ _id: 'c' } as never, { session }),
        (e: MongoServerError) => e.code === 251 && e.hasErrorLabel('TransientTransactionError'),
      );
      await session.abortTransaction().catch(() => undefined);
      assert.equal(await db.collection('accounts').countDocuments({ _id: 'c' } as never), 0);
    } finally {
      await session.endSession();
    }
  });

  it('a retried commit of a committed transaction answers ok; abort after commit is refused', async function () {
    await withOwnSession(async (session, own) => {
      session.startTransaction();
      await own.db(dbName).collection('accounts').insertOne({ _id: 'raw' } as never, { session });
      await session.commitTransaction();
      await session.commitTransaction(); // the driver re-sends commitTransaction for the same txnNumber
      // The driver stamps commit/abort run as commands with the session's current txnNumber.
      await assert.rejects(own.db('admin').command({ abortTransaction: 1 }, { session }), (e: MongoServerError) => e.code === 256);
      const txn = (n: number) => ({ txnNumber: Long.fromNumber(n), autocommit: false });
      await assert.rejects(
        own.db(dbName).command({ find: 'accounts', ...txn(6) }, { session }),
        (e: MongoServerError) => e.code === 251 && e.hasErrorLabel('TransientTransactionError'),
      );
      await assert.rejects(
        own.db(dbName).command({ find: 'accounts', ...txn(0), startTransaction: true }, { session }),
        (e: MongoServerError) => e.code === 225,
      );
    });
    assert.equal(await db.collection('accounts').countDocuments({ _id: 'raw' } as never), 1);
  });

  it('concurrent transactions writing the same document: the second committer gets a transient error', async function () {
    const s1 = client.startSession();
    const s2 = client.startSession();
    try {
      s1.startTransaction();
      s2.startTransaction();
      await db.collection('accounts').updateOne({ _id: 'a' } as never, { $inc: { balance: 1 } }, { session: s1 });
      let conflict: unknown;
      // MongoDB reports the conflict at the second write; an optimistic engine may report it at commit.
      try {
        await db.collection('accounts').updateOne({ _id: 'a' } as never, { $inc: { balance: 2 } }, { session: s2 });
      } catch (err) {
        conflict = err;
      }
      await s1.commitTransaction();
      if (!conflict) await s2.commitTransaction().catch((err: unknown) => (conflict = err));
      assert.ok(conflict instanceof MongoServerError && conflict.hasErrorLabel('TransientTransactionError'), String(conflict));
      assert.equal((await db.collection('accounts').findOne({ _id: 'a' } as never))?.balance, 101);
    } finally {
      await s1.endSession();
      await s2.endSession();
    }
  });

  it('concurrent withTransaction callers on one document all succeed through the driver’s retries', async function () {
    const callers = 5;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        const session = client.startSession();
        try {
          await session.withTransaction(async () => {
            const account = await db.collection('accounts').findOne({ _id: 'b' } as never, { session });
            await new Promise((resolve) => setTimeout(resolve, 5)); // let the transactions overlap
            await db.collection('accounts').updateOne({ _id: 'b' } as never, { $set: { balance: (account?.balance ?? 0) + 1 } }, { session });
          });
        } finally {
          await session.endSession();
        }
      }),
    );
    assert.equal((await db.collection('accounts').findOne({ _id: 'b' } as never))?.balance, callers, 'no lost update');
  });

  it('commands MongoDB forbids in a transaction are refused (count, drop)', async function () {
    const session = client.startSession();
    try {
      session.startTransaction();
      await db.collection('accounts').findOne({}, { session });
      await assert.rejects(db.command({ count: 'accounts' }, { session }), (e: MongoServerError) => e.code === 50851);
      await assert.rejects(db.command({ drop: 'accounts' }, { session }), (e: MongoServerError) => e.code === 263);
      await session.abortTransaction();
      assert.equal(await db.collection('accounts').countDocuments(), 2);
    } finally {
      await session.endSession();
    }
  });

  it('endSessions aborts an open transaction of the session', async function () {
    await withOwnSession(async (session, own) => {
      const txn = { txnNumber: Long.fromNumber(1), autocommit: false };
      await own.db(dbName).command({ insert: 'accounts', documents: [{ _id: 'pending' }], ...txn, startTransaction: true }, { session });
      await own.db('admin').command({ endSessions: [session.id] });
      await assert.rejects(own.db('admin').command({ commitTransaction: 1, ...txn }, { session }), (e: MongoServerError) => e.code === 251);
    });
    assert.equal(await db.collection('accounts').countDocuments({ _id: 'pending' } as never), 0);
  });

  it('startSession returns a session id; killAllSessions answers ok', async function () {
    const reply = await client.db('admin').command({ startSession: 1 });
    assert.ok(reply.id?.id);
    assert.equal(reply.timeoutMinutes, 30);
  });
});

describe('session and transaction expiry (server internals, driven by a fake clock)', function () {
  it('aborts a transaction older than 60 s and ends sessions idle for 30 minutes', async function () {
    const storage = await openStorage({ inMemory: true });
    let now = 1_000_000;
    const sessions = new SessionRegistry(storage, silentLogger, () => now);
    try {
      const lsid = { id: new UUID().toBinary() };
      const session = sessions.touch(lsid);
      const plan = sessions.plan(session, 'insert', { insert: 'c', txnNumber: 1n, autocommit: false, startTransaction: true });
      assert.equal(plan.kind, 'transaction');
      if (plan.kind !== 'transaction') return;
      await storage.write(plan.txn, (batch) => batch.insert('expiry', 'c', { _id: 1 }));

      now += 59_000;
      assert.equal(sessions.sweep().abortedTransactions, 0);
      now += 2_000;
      assert.equal(sessions.sweep().abortedTransactions, 1);
      assert.throws(
        () => sessions.plan(sessions.touch(lsid), 'find', { find: 'c', txnNumber: 1n, autocommit: false }),
        (err: { code?: number; errorLabels?: string[] }) => err.code === 251 && err.errorLabels?.includes('TransientTransactionError') === true,
      );
      assert.equal(storage.find(undefined, 'expiry', 'c', { filter: {} }).docs.length, 0);

      now += 29 * 60_000;
      assert.equal(sessions.sweep().expiredSessions.size, 0);
      now += 2 * 60_000;
      assert.equal(sessions.sweep().expiredSessions.size, 1);
      assert.equal(sessions.size, 0);
    } finally {
      await storage.close();
    }
  });
});
