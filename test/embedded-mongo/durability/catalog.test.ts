import assert from 'node:assert/strict';
import { startMongoServer } from '../../../src/embedded-mongo';
import { tempDir } from './harness';
import { restartable } from './restartable';

/** Restarts a real server (wire protocol, driver) on the same directory and compares the catalog. */
describe('durability: the catalog survives a restart', function () {
  this.timeout(30_000);
  const data = tempDir('catalog');
  const running = restartable(() => startMongoServer({ host: '127.0.0.1', port: 0, dbPath: data.dir }));
  const start = () => running.start();
  const stop = () => running.stop();

  after(async () => {
    await stop();
    data.remove();
  });

  it('When collections with options, indexes with options and TTL settings were created, then a restarted server lists them the same and keeps the data', async () => {
    const first = await start();
    const db = first.db('catalog');
    await db.createCollection('suppliers', {
      validator: { $jsonSchema: { bsonType: 'object', required: ['name'] } },
      collation: { locale: 'sv', strength: 2 },
    });
    const suppliers = db.collection('suppliers');
    await suppliers.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
    await suppliers.createIndex({ country: 1, risk: -1 }, { partialFilterExpression: { risk: { $gt: 2 } }, sparse: false });
    await db.collection('sessions').createIndex({ expires: 1 }, { expireAfterSeconds: 3600 });
    await db.command({ collMod: 'sessions', index: { keyPattern: { expires: 1 }, expireAfterSeconds: 60 } });
    await suppliers.insertMany([{ name: 'Åkerö AB', country: 'SE', risk: 3 }, { name: 'Nordic Knit', country: 'NO', risk: 1 }]);
    await db.collection('sessions').insertOne({ _id: 'sess-1' as never, expires: new Date('2100-01-01') });
    await db.collection('temporary').insertOne({ x: 1 });
    await db.collection('temporary').drop();

    const collectionsBefore = await db.listCollections().toArray();
    const indexesBefore = await suppliers.listIndexes().toArray();
    const ttlBefore = await db.collection('sessions').listIndexes().toArray();
    await stop();

    const second = await start();
    const again = second.db('catalog');
    const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
    assert.deepEqual((await again.listCollections().toArray()).sort(byName), collectionsBefore.sort(byName));
    assert.deepEqual(await again.collection('suppliers').listIndexes().toArray(), indexesBefore);
    const ttlAfter = await again.collection('sessions').listIndexes().toArray();
    assert.deepEqual(ttlAfter, ttlBefore);
    assert.equal(ttlAfter.find((ix) => ix.name === 'expires_1')?.expireAfterSeconds, 60);

    await assert.rejects(again.collection('suppliers').insertOne({ name: 'åkerö ab' }), { code: 11000 }, 'the unique index and its collation came back');
    await assert.rejects(again.collection('suppliers').insertOne({ country: 'FI' }), { code: 121 }, 'the validator came back');
    assert.equal(await again.collection('suppliers').countDocuments({ name: 'ÅKERÖ AB' }), 1);
    assert.equal(await again.collection('sessions').countDocuments(), 1);
  });
});
