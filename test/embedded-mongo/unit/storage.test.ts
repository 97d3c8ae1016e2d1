import assert from 'node:assert/strict';
import { ObjectId } from 'bson';
import type { EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { expectMongoError, freshEngine, ids, insertAll } from './storage-helpers';

describe('storage engine: catalog and documents', () => {
  let engine: EmbeddedStorage;
  beforeEach(async () => {
    engine = await freshEngine();
  });
  afterEach(() => engine.close());

  it('When a document is inserted into a missing collection, then the database and collection appear with an _id index', async () => {
    await insertAll(engine, 'shop', 'orders', [{ _id: 1, total: 5 }]);
    assert.deepEqual(engine.listDatabaseNames(), ['shop']);
    const [info] = engine.listCollections('shop');
    assert.equal(info.name, 'orders');
    assert.deepEqual(info.idIndex, { v: 2, key: { _id: 1 }, name: '_id_' });
    assert.ok(info.info.uuid);
    assert.deepEqual(engine.listIndexes('shop', 'orders').map((i) => i.name), ['_id_']);
  });

  it('When a document has no _id, then one is generated first', async () => {
    await insertAll(engine, 'db', 'c', [{ a: 1 }]);
    const [doc] = engine.find(undefined, 'db', 'c', { filter: {} }).docs;
    assert.ok(doc._id instanceof ObjectId);
    assert.deepEqual(Object.keys(doc), ['_id', 'a']);
  });

  it('When an _id repeats (even as another numeric type), then 11000 names the _id_ index with keyPattern and keyValue', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1 }]);
    const err = await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 1n }]), 11000);
    assert.match(err.message, /^E11000 duplicate key error collection: db\.c index: _id_ dup key: \{ _id: 1 \}$/);
    assert.deepEqual(err.extra.keyPattern, { _id: 1 });
    assert.deepEqual(err.extra.keyValue, { _id: 1n });
  });

  it('When a batch fails half-way, then the writes before the failure stay committed', async () => {
    await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }]), 11000);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: {} }).docs), [1, 2]);
  });

  it('When an _id is an array, then the insert fails with 53', async () => {
    await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: [1] }]), 53);
  });

  it('When documents are replaced and removed, then reads and indexes follow', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1, a: 'x' }, { _id: 2, a: 'y' }]);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1 }, name: 'a_1' }]);
    await engine.write(undefined, (b) => b.replace('db', 'c', { _id: 1, a: 'z' }));
    assert.deepEqual(engine.find(undefined, 'db', 'c', { filter: { a: 'x' } }).docs, []);
    assert.deepEqual(engine.find(undefined, 'db', 'c', { filter: { a: 'z' } }).docs, [{ _id: 1, a: 'z' }]);
    const removed = await engine.write(undefined, (b) => [b.remove('db', 'c', 2), b.remove('db', 'c', 2)]);
    assert.deepEqual(removed, [true, false]);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: {} }).docs), [1]);
  });

  it('When a replaced document keeps its place, then natural order is insertion order', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 'b' }, { _id: 'a' }, { _id: 'c' }]);
    await engine.write(undefined, (b) => b.replace('db', 'c', { _id: 'b', v: 1 }));
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: {} }).docs), ['b', 'a', 'c']);
  });

  it('When a collection exists, then createCollection fails with 48; a missing collection reads as empty', async () => {
    await engine.createCollection('db', 'c', {});
    await expectMongoError(() => engine.createCollection('db', 'c', {}), 48);
    const result = engine.find(undefined, 'db', 'missing', { filter: {} });
    assert.deepEqual(result.docs, []);
    assert.equal(result.plan.stage, 'EOF');
  });

  it('When names are invalid, then 73 InvalidNamespace', async () => {
    await expectMongoError(() => engine.createCollection('bad.db', 'c', {}), 73);
    await expectMongoError(() => engine.createCollection('db', 'a$b', {}), 73);
  });

  it('When collections and databases are dropped, then they disappear', async () => {
    await insertAll(engine, 'db', 'a', [{ _id: 1 }]);
    await insertAll(engine, 'db', 'b', [{ _id: 1 }]);
    assert.equal(await engine.dropCollection('db', 'a'), true);
    assert.equal(await engine.dropCollection('db', 'a'), false);
    assert.deepEqual(engine.listCollections('db').map((c) => c.name), ['b']);
    await engine.dropDatabase('db');
    assert.deepEqual(engine.listDatabaseNames(), []);
  });

  it('When a collection is renamed, then documents and indexes move; a missing source is 26, an existing target 48', async () => {
    await insertAll(engine, 'db', 'a', [{ _id: 1, k: 1 }]);
    await engine.createIndexes('db', 'a', [{ v: 2, key: { k: 1 }, name: 'k_1', unique: true }]);
    await insertAll(engine, 'db', 't', [{ _id: 9 }]);
    await expectMongoError(() => engine.renameCollection('db', 'nope', 'db', 'x', false), 26);
    await expectMongoError(() => engine.renameCollection('db', 'a', 'db', 't', false), 48);
    await engine.renameCollection('db', 'a', 'other', 'b', false);
    assert.deepEqual(engine.listIndexes('other', 'b').map((i) => i.name), ['_id_', 'k_1']);
    await expectMongoError(() => insertAll(engine, 'other', 'b', [{ _id: 2, k: 1 }]), 11000);
    await engine.renameCollection('other', 'b', 'db', 't', true);
    assert.deepEqual(ids(engine.find(undefined, 'db', 't', { filter: {} }).docs), [1]);
    assert.deepEqual(engine.listDatabaseNames(), ['db']);
  });

  it('When stats are asked for, then counts and sizes add up', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1, s: 'abc' }, { _id: 2, s: 'defg' }]);
    const stats = engine.collectionStats('db', 'c');
    assert.equal(stats.count, 2);
    assert.equal(stats.nindexes, 1);
    assert.ok(stats.dataSize > 20);
    assert.equal(stats.avgObjSize, Math.round(stats.dataSize / 2));
    assert.ok(stats.indexSizes._id_ > 0);
    const db = engine.databaseStats('db');
    assert.equal(db.collections, 1);
    assert.equal(db.objects, 2);
    await expectMongoError(() => engine.collectionStats('db', 'missing'), 26);
  });

  it('When a collection has a default collation, then its queries and indexes use it', async () => {
    await engine.createCollection('db', 'c', { collation: { locale: 'en', strength: 2 } });
    await insertAll(engine, 'db', 'c', [{ _id: 1, name: 'Anna' }, { _id: 2, name: 'anna' }, { _id: 3, name: 'Bo' }]);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: { name: 'ANNA' } }).docs), [1, 2]);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { name: 1 }, name: 'name_1' }]);
    const [, spec] = engine.listIndexes('db', 'c');
    assert.equal(spec.collation?.locale, 'en');
    const result = engine.find(undefined, 'db', 'c', { filter: { name: 'ANNA' } });
    assert.equal(result.plan.indexName, 'name_1');
    assert.deepEqual(ids(result.docs), [1, 2]);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { name: -1 }, name: 'name_simple', collation: { locale: 'simple' } }]);
    assert.equal('collation' in engine.listIndexes('db', 'c')[2], false, 'explicit simple collation is not inherited');
  });
});

describe('storage engine: capped collections', () => {
  it('When a capped collection exceeds max documents or size, then the oldest documents go first', async () => {
    const engine = await freshEngine();
    await engine.createCollection('db', 'log', { capped: true, size: 100_000, max: 3n });
    await insertAll(engine, 'db', 'log', [1, 2, 3, 4, 5].map((n) => ({ _id: n })));
    assert.deepEqual(ids(engine.find(undefined, 'db', 'log', { filter: {} }).docs), [3, 4, 5]);
    await engine.createCollection('db', 'small', { capped: true, size: 250 });
    await insertAll(engine, 'db', 'small', [1, 2, 3].map((n) => ({ _id: n, pad: 'x'.repeat(80) })));
    assert.deepEqual(ids(engine.find(undefined, 'db', 'small', { filter: {} }).docs), [2, 3]);
    await engine.close();
  });

  it('When a commit that evicted documents fails, then the evicted documents come back in their place', async () => {
    const engine = await freshEngine();
    await engine.createCollection('db', 'log', { capped: true, size: 100_000, max: 2 });
    await insertAll(engine, 'db', 'log', [{ _id: 1 }, { _id: 2 }]);
    assert.throws(() =>
      engine.applyCommit([
        { op: 'insert', ns: 'db.log', doc: { _id: 3 } },
        { op: 'insert', ns: 'db.log', doc: { _id: 3 } },
      ]),
    );
    assert.deepEqual(ids(engine.find(undefined, 'db', 'log', { filter: {} }).docs), [1, 2]);
    await engine.close();
  });
});

describe('storage engine: stored document shape', () => {
  it('When a document arrives with _id elsewhere, then it is stored with _id first', async () => {
    const engine = await freshEngine();
    await insertAll(engine, 'db', 'c', [{ a: 1, _id: 5, b: 2 }]);
    assert.deepEqual(Object.keys(engine.find(undefined, 'db', 'c', { filter: {} }).docs[0]), ['_id', 'a', 'b']);
    await engine.close();
  });
});

describe('storage engine: document size', () => {
  it('When a document is over 16 MB, then insert and replace fail with 10334 and nothing changes', async () => {
    const engine = await freshEngine();
    const huge = 'x'.repeat(16 * 1024 * 1024);
    await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 1, huge }]), 10334);
    await insertAll(engine, 'db', 'c', [{ _id: 2, small: true }]);
    await expectMongoError(() => engine.write(undefined, (b) => b.replace('db', 'c', { _id: 2, huge })), 10334);
    const txn = engine.beginTransaction();
    await expectMongoError(() => engine.write(txn, (b) => b.insert('db', 'c', { _id: 3, huge })), 10334);
    engine.abortTransaction(txn);
    assert.deepEqual(engine.find(undefined, 'db', 'c', { filter: {} }).docs, [{ _id: 2, small: true }]);
    await engine.close();
  });
});
