/** TTL indexes through the official driver: their options, collMod, and the expiry sweep. */
import assert from 'node:assert/strict';
import { MongoClient, type Db } from 'mongodb';
import { startMongoServer } from '../../../src/embedded-mongo';
import { connectTestClient, usingRealMongo } from '../../helpers/mongo-target';

describe('TTL indexes (conformance)', function () {
  let client: MongoClient;
  let db: Db;

  before(async function () {
    const target = await connectTestClient('ttl');
    client = target.client;
    db = client.db(target.dbName);
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  it('When a TTL index is created as connect-mongo does, then listIndexes shows expireAfterSeconds', async function () {
    const sessions = db.collection('sessions');
    await sessions.createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
    const spec = (await sessions.indexes()).find((s) => s.name === 'expires_1');
    assert.equal(spec?.expireAfterSeconds, 0);
  });

  it('When collMod changes expireAfterSeconds by key pattern, then the reply shows old and new values', async function () {
    const coll = db.collection('tokens');
    await coll.createIndex({ createdAt: 1 }, { expireAfterSeconds: 3600 });
    const reply = await db.command({ collMod: 'tokens', index: { keyPattern: { createdAt: 1 }, expireAfterSeconds: 60 } });
    assert.equal(reply.expireAfterSeconds_old, 3600);
    assert.equal(reply.expireAfterSeconds_new, 60);
    assert.equal((await coll.indexes()).find((s) => s.name === 'createdAt_1')?.expireAfterSeconds, 60);
  });

  it('When collMod names a missing index, then it fails with 27 IndexNotFound', async function () {
    await db.collection('tokens').insertOne({ createdAt: new Date() });
    await assert.rejects(db.command({ collMod: 'tokens', index: { name: 'nope', expireAfterSeconds: 5 } }), (err: { code?: number }) => err.code === 27);
  });

  it('When a TTL index is compound, then createIndex refuses it', async function () {
    await assert.rejects(db.collection('bad').createIndex({ a: 1, b: 1 }, { expireAfterSeconds: 5 }), (err: { code?: number }) => typeof err.code === 'number' && err.code !== 0);
  });

  it('When documents expire on a server sweeping often, then they are deleted and the rest stay', async function () {
    if (usingRealMongo()) this.skip(); // a real mongod sweeps every 60 s; this needs our short interval
    const server = await startMongoServer({ host: '127.0.0.1', port: 0, inMemory: true, ttlIntervalMs: 50 });
    const own = new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const coll = own.db('ttl_sweep').collection('sessions');
      await coll.createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
      await coll.insertMany([
        { _id: 'gone' as never, expires: new Date(Date.now() - 1000) },
        { _id: 'kept' as never, expires: new Date(Date.now() + 3_600_000) },
        { _id: 'no-date' as never, expires: 'never' },
      ]);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && (await coll.countDocuments()) > 2) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.deepEqual((await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id), ['kept', 'no-date']);
    } finally {
      await own.close();
      await server.close();
    }
  });
});
