/** connect-mongo (the app's session store) against the server, including removal of expired sessions by TTL. */
import assert from 'node:assert/strict';
import type { SessionData } from 'express-session';
import { MongoClient } from 'mongodb';
import MongoStore from 'connect-mongo';
import { startMongoServer, type RunningMongoServer } from '../../src/embedded-mongo';
import { usingRealMongo } from '../helpers/mongo-target';

function promisify<T>(call: (cb: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
}

describe('connect-mongo session store', function () {
  this.timeout(30_000);
  let server: RunningMongoServer | undefined;
  let client: MongoClient;
  let store: MongoStore;
  const dbName = `test_connect_mongo_${process.pid}`;

  before(async function () {
    // Its own server so the TTL monitor can run every 100 ms instead of MongoDB's 60 s.
    let uri = process.env.MONGODB_URI;
    if (!usingRealMongo()) {
      server = await startMongoServer({ port: 0, inMemory: true, ttlIntervalMs: 100 });
      uri = server.uri;
    }
    client = await new MongoClient(uri as string).connect();
    store = MongoStore.create({ client, dbName, collectionName: 'sessions', ttl: 60, autoRemove: 'native', stringify: false });
  });

  after(async function () {
    await client.db(dbName).dropDatabase();
    await store.close(); // closes the client it was given
    await client.close();
    await server?.close();
  });

  const session = (extra: Record<string, unknown> = {}, expires?: Date): SessionData =>
    ({ cookie: { originalMaxAge: 60_000, expires: expires ?? new Date(Date.now() + 60_000) }, ...extra }) as unknown as SessionData;

  it('sets, gets, touches and destroys sessions', async function () {
    await promisify((cb) => store.set('sid-1', session({ userId: 'u1' }), cb));
    const loaded = (await promisify<SessionData | null>((cb) => store.get('sid-1', cb))) as (SessionData & { userId?: string }) | null;
    assert.equal(loaded?.userId, 'u1');
    await promisify((cb) => store.touch('sid-1', session({ userId: 'u1' }), cb));
    assert.equal(await promisify<number>((cb) => store.length(cb)), 1);
    await promisify((cb) => store.destroy('sid-1', cb));
    assert.equal(await promisify((cb) => store.get('sid-1', cb)), null);
  });

  it('creates a TTL index on expires, and the server removes expired sessions', async function () {
    if (usingRealMongo()) this.skip(); // a real mongod sweeps only every 60 s
    await promisify((cb) => store.set('sid-old', session({ userId: 'gone' }, new Date(Date.now() + 300)), cb));
    await promisify((cb) => store.set('sid-live', session({ userId: 'stays' }), cb));
    const sessions = client.db(dbName).collection('sessions');
    const indexes = await sessions.indexes();
    assert.ok(indexes.some((i) => i.key.expires === 1 && i.expireAfterSeconds === 0));
    assert.equal(await sessions.countDocuments({ _id: 'sid-old' as never }), 1);
    const deadline = Date.now() + 5000;
    while ((await sessions.countDocuments({ _id: 'sid-old' as never })) > 0) {
      assert.ok(Date.now() < deadline, 'expired session was not removed by the TTL sweep');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await sessions.countDocuments({ _id: 'sid-live' as never }), 1);
  });
});
