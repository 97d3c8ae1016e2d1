/** The shape of error replies: {ok: 0, errmsg, code, codeName}, never a stack, labels where MongoDB sets them. */
import assert from 'node:assert/strict';
import { MongoServerError, type Db, type MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';

async function rawError(db: Db, command: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    await db.command(command);
  } catch (err) {
    assert.ok(err instanceof MongoServerError, String(err));
    return err.errorResponse as Record<string, unknown>;
  }
  assert.fail(`expected ${JSON.stringify(Object.keys(command))} to fail`);
}

describe('error replies', function () {
  let client: MongoClient;
  let dbName: string;
  let db: Db;

  before(async function () {
    ({ client, dbName } = await connectTestClient('errors'));
    db = client.db(dbName);
    await db.collection('e').insertOne({ _id: 1 } as never);
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  const cases: Array<{ what: string; command: Record<string, unknown>; code: number; codeName: string }> = [
    { what: 'unknown command', command: { nopeCommand: 1 }, code: 59, codeName: 'CommandNotFound' },
    { what: 'create of an existing collection', command: { create: 'e' }, code: 48, codeName: 'NamespaceExists' },
    { what: 'listIndexes of a missing collection', command: { listIndexes: 'missing' }, code: 26, codeName: 'NamespaceNotFound' },
    { what: 'dropIndexes of a missing index', command: { dropIndexes: 'e', index: 'zz_1' }, code: 27, codeName: 'IndexNotFound' },
    { what: 'invalid query operator', command: { find: 'e', filter: { a: { $nope: 1 } } }, code: 2, codeName: 'BadValue' },
    { what: 'wrong argument type', command: { find: 'e', sort: 5 }, code: 14, codeName: 'TypeMismatch' },
    { what: 'getMore of an unknown cursor', command: { getMore: 77n, collection: 'e' }, code: 43, codeName: 'CursorNotFound' },
    { what: 'unknown pipeline stage', command: { aggregate: 'e', pipeline: [{ $nope: 1 }], cursor: {} }, code: 40324, codeName: 'Location40324' },
  ];

  for (const c of cases) {
    it(`${c.what} → ${c.code} ${c.codeName || '(no name)'}`, async function () {
      const reply = await rawError(db, c.command);
      assert.equal(reply.ok, 0);
      assert.equal(reply.code, c.code);
      if (c.codeName) assert.equal(reply.codeName, c.codeName);
      assert.equal(typeof reply.errmsg, 'string');
      assert.ok(!String(reply.errmsg).includes('    at '), 'no stack trace in errmsg');
    });
  }

  it('a duplicate key in findAndModify carries keyPattern and keyValue in the error reply', async function () {
    await db.collection('e').insertOne({ _id: 2 } as never);
    const reply = await rawError(db, { findAndModify: 'e', query: { _id: 2 }, update: { _id: 1 } });
    assert.ok(reply.code === 11000 || reply.code === 66);
  });

  it('commitTransaction for an unknown transaction is 251 NoSuchTransaction labelled TransientTransactionError', async function () {
    // The driver puts its implicit session's lsid on the command; that session never ran transaction 4242.
    const reply = await rawError(client.db('admin'), { commitTransaction: 1, txnNumber: 4242n, autocommit: false });
    assert.equal(reply.code, 251);
    assert.equal(reply.codeName, 'NoSuchTransaction');
    assert.deepEqual(reply.errorLabels, ['TransientTransactionError']);
  });

  describe('maxTimeMS', function () {
    // A scan of this many documents through $expr takes well over the 1 ms allowed below.
    const LONG_SCAN = 30_000;
    const slowFilter = { $expr: { $gte: [{ $strLenCP: '$label' }, 0] } };

    before(async function () {
      const docs = Array.from({ length: LONG_SCAN }, (_, i) => ({ _id: i, label: `item ${i}`, group: i % 7 }));
      await db.collection('long').insertMany(docs as never[]);
    });

    async function expiredReply(command: Record<string, unknown>): Promise<void> {
      const reply = await rawError(db, command);
      assert.equal(reply.code, 50);
      assert.equal(reply.codeName, 'MaxTimeMSExpired');
    }

    it('When a find scans longer than maxTimeMS, then it fails with 50 MaxTimeMSExpired', async function () {
      await expiredReply({ find: 'long', filter: slowFilter, maxTimeMS: 1 });
    });

    it('When an aggregate scans longer than maxTimeMS, then it fails with 50 MaxTimeMSExpired', async function () {
      await expiredReply({ aggregate: 'long', pipeline: [{ $match: slowFilter }, { $group: { _id: '$group' } }], cursor: {}, maxTimeMS: 1 });
    });

    it('When a count scans longer than maxTimeMS, then it fails with 50 MaxTimeMSExpired', async function () {
      await expiredReply({ count: 'long', query: slowFilter, maxTimeMS: 1 });
    });

    it('When a distinct scans longer than maxTimeMS, then it fails with 50 MaxTimeMSExpired', async function () {
      await expiredReply({ distinct: 'long', key: 'label', query: slowFilter, maxTimeMS: 1 });
    });

    it('When the scan fits in maxTimeMS, then the command answers', async function () {
      const reply = await db.command({ count: 'long', query: slowFilter, maxTimeMS: 600_000 });
      assert.equal(reply.n, LONG_SCAN);
    });

    it('When maxTimeMS is negative, then the command fails with 2 BadValue', async function () {
      const reply = await rawError(db, { find: 'long', filter: {}, maxTimeMS: -1 });
      assert.equal(reply.code, 2);
    });
  });
});
