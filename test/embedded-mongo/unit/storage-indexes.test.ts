import assert from 'node:assert/strict';
import type { EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import type { IndexSpec } from '../../../src/embedded-mongo/types';
import { expectMongoError, freshEngine, ids, insertAll } from './storage-helpers';

function spec(key: Record<string, number>, options: Partial<IndexSpec> = {}): IndexSpec {
  const name = Object.entries(key).map(([k, v]) => `${k}_${v}`).join('_');
  return { v: 2, key, name, ...options };
}

describe('storage engine: indexes', () => {
  let engine: EmbeddedStorage;
  beforeEach(async () => {
    engine = await freshEngine();
  });
  afterEach(() => engine.close());

  it('When a unique index exists, then a duplicate insert fails with the MongoDB message, keyPattern and keyValue', async () => {
    await engine.createIndexes('db', 'users', [spec({ email: 1 }, { unique: true })]);
    await insertAll(engine, 'db', 'users', [{ _id: 1, email: 'a@b.c' }]);
    const err = await expectMongoError(() => insertAll(engine, 'db', 'users', [{ _id: 2, email: 'a@b.c' }]), 11000);
    assert.equal(err.message, 'E11000 duplicate key error collection: db.users index: email_1 dup key: { email: "a@b.c" }');
    assert.deepEqual(err.extra, { keyPattern: { email: 1 }, keyValue: { email: 'a@b.c' } });
    assert.equal(engine.find(undefined, 'db', 'users', { filter: {} }).docs.length, 1);
  });

  it('When a replace would duplicate a unique key, then it fails and the old document stays', async () => {
    await engine.createIndexes('db', 'c', [spec({ a: 1, b: -1 }, { unique: true })]);
    await insertAll(engine, 'db', 'c', [{ _id: 1, a: 1, b: 1 }, { _id: 2, a: 1, b: 2 }]);
    const err = await expectMongoError(() => engine.write(undefined, (b) => b.replace('db', 'c', { _id: 2, a: 1, b: 1 })), 11000);
    assert.deepEqual(err.extra.keyValue, { a: 1, b: 1 });
    assert.match(err.message, /dup key: \{ a: 1, b: 1 \}/);
    assert.deepEqual(engine.find(undefined, 'db', 'c', { filter: { _id: 2 } }).docs, [{ _id: 2, a: 1, b: 2 }]);
    // the document may keep its own key
    await engine.write(undefined, (b) => b.replace('db', 'c', { _id: 2, a: 1, b: 2, c: true }));
  });

  it('When a unique index is not sparse, then two documents missing the field collide on null', async () => {
    await engine.createIndexes('db', 'c', [spec({ a: 1 }, { unique: true })]);
    await insertAll(engine, 'db', 'c', [{ _id: 1 }]);
    const err = await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 2 }]), 11000);
    assert.deepEqual(err.extra.keyValue, { a: null });
  });

  it('When a unique index is sparse or partial, then documents it leaves out never collide', async () => {
    await engine.createIndexes('db', 'c', [
      spec({ a: 1 }, { unique: true, sparse: true }),
      spec({ b: 1 }, { unique: true, partialFilterExpression: { active: true } }),
    ]);
    await insertAll(engine, 'db', 'c', [{ _id: 1 }, { _id: 2 }, { _id: 3, b: 5 }, { _id: 4, b: 5 }, { _id: 5, b: 5, active: true }]);
    await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 6, b: 5, active: true }]), 11000);
    await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 7, a: 1 }, { _id: 8, a: 1 }]), 11000);
  });

  it('When existing data violates a new unique index, then createIndexes fails with 11000 and leaves no index', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1, a: 1 }, { _id: 2, a: 1 }]);
    await expectMongoError(() => engine.createIndexes('db', 'c', [spec({ b: 1 }), spec({ a: 1 }, { unique: true })]), 11000);
    assert.deepEqual(engine.listIndexes('db', 'c').map((i) => i.name), ['_id_']);
  });

  it('When an index is created twice, then it is a no-op; same name other spec is 86; same key other name is 85', async () => {
    const first = await engine.createIndexes('db', 'c', [spec({ a: 1 })]);
    assert.deepEqual(first, { numIndexesBefore: 1, numIndexesAfter: 2, createdCollectionAutomatically: true });
    const again = await engine.createIndexes('db', 'c', [spec({ a: 1 }, { background: true })]);
    assert.deepEqual(again, { numIndexesBefore: 2, numIndexesAfter: 2, createdCollectionAutomatically: false, note: 'all indexes already exist' });
    await expectMongoError(() => engine.createIndexes('db', 'c', [{ v: 2, key: { b: 1 }, name: 'a_1' }]), 86);
    await expectMongoError(() => engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1 }, name: 'a_1', unique: true }]), 86);
    await expectMongoError(() => engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1 }, name: 'other' }]), 85);
  });

  it('When an index spec is invalid, then createIndexes refuses it', async () => {
    await expectMongoError(() => engine.createIndexes('db', 'c', [{ v: 2, key: {}, name: 'x' }]), 67);
    await expectMongoError(() => engine.createIndexes('db', 'c', [{ v: 2, key: { a: '2dsphere' }, name: 'x' }]), 67);
    await expectMongoError(() => engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1, b: 1 }, name: 'x', expireAfterSeconds: 5 }]), 67);
    await expectMongoError(() => engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1 }, name: 'x', bogus: 1 }]), 197);
  });

  it('When a document has arrays in indexed fields, then each element is a key; two array fields are 171', async () => {
    await engine.createIndexes('db', 'c', [spec({ tags: 1 }), spec({ x: 1, y: 1 })]);
    await insertAll(engine, 'db', 'c', [{ _id: 1, tags: ['red', 'blue'] }, { _id: 2, tags: [] }, { _id: 3, tags: 'red' }, { _id: 4, x: [1, 2], y: 3 }]);
    const red = engine.find(undefined, 'db', 'c', { filter: { tags: 'red' } });
    assert.equal(red.plan.indexName, 'tags_1');
    assert.deepEqual(ids(red.docs), [1, 3]);
    const err = await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 5, x: [1], y: [2] }]), 171);
    assert.match(err.message, /cannot index parallel arrays/);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: {} }).docs), [1, 2, 3, 4]);
  });

  it('When a unique index is multikey, then one document may repeat a value but two documents may not share one', async () => {
    await engine.createIndexes('db', 'c', [spec({ tags: 1 }, { unique: true })]);
    await insertAll(engine, 'db', 'c', [{ _id: 1, tags: ['a', 'a', 'b'] }]);
    const err = await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 2, tags: ['c', 'b'] }]), 11000);
    assert.deepEqual(err.extra.keyValue, { tags: 'b' });
  });

  it('When nested paths cross arrays of documents, then every reachable value is indexed', async () => {
    await engine.createIndexes('db', 'c', [spec({ 'items.sku': 1 })]);
    await insertAll(engine, 'db', 'c', [{ _id: 1, items: [{ sku: 'A' }, { sku: 'B' }] }, { _id: 2, items: { sku: 'B' } }, { _id: 3 }]);
    const result = engine.find(undefined, 'db', 'c', { filter: { 'items.sku': 'B' } });
    assert.equal(result.plan.stage, 'IXSCAN');
    assert.deepEqual(ids(result.docs), [1, 2]);
  });

  it('When an index has a collation, then unique keys compare under it', async () => {
    await engine.createIndexes('db', 'c', [spec({ name: 1 }, { unique: true, collation: { locale: 'en', strength: 2 } })]);
    await insertAll(engine, 'db', 'c', [{ _id: 1, name: 'Anna' }]);
    await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 2, name: 'ANNA' }]), 11000);
    await insertAll(engine, 'db', 'c', [{ _id: 3, name: 'Änna' }]);
    const [, listed] = engine.listIndexes('db', 'c');
    assert.equal(listed.collation?.strength, 2);
  });

  it('When indexes are dropped by name, names, key pattern or "*", then only the _id index is protected', async () => {
    await engine.createIndexes('db', 'c', [spec({ a: 1 }), spec({ b: 1 }), spec({ c: -1 }), spec({ d: 1 })]);
    assert.deepEqual(await engine.dropIndexes('db', 'c', 'a_1'), { nIndexesWas: 5 });
    await engine.dropIndexes('db', 'c', { c: -1 });
    await expectMongoError(() => engine.dropIndexes('db', 'c', 'nope'), 27);
    await expectMongoError(() => engine.dropIndexes('db', 'c', { z: 1 }), 27);
    await expectMongoError(() => engine.dropIndexes('db', 'c', '_id_'), 72);
    await expectMongoError(() => engine.dropIndexes('db', 'missing', '*'), 26);
    await engine.dropIndexes('db', 'c', ['b_1']);
    await engine.dropIndexes('db', 'c', '*');
    assert.deepEqual(engine.listIndexes('db', 'c').map((i) => i.name), ['_id_']);
    await expectMongoError(() => engine.listIndexes('db', 'missing'), 26);
  });

  it('When collMod changes a TTL index, then it reports old and new values', async () => {
    await engine.createIndexes('db', 'c', [spec({ at: 1 }, { expireAfterSeconds: 60 })]);
    const reply = await engine.collMod('db', 'c', { collMod: 'c', index: { keyPattern: { at: 1 }, expireAfterSeconds: 120 } });
    assert.deepEqual(reply, { expireAfterSeconds_old: 60, expireAfterSeconds_new: 120 });
    assert.equal(engine.listIndexes('db', 'c')[1].expireAfterSeconds, 120);
    await engine.collMod('db', 'c', { collMod: 'c', index: { name: 'at_1', hidden: true } });
    assert.equal(engine.listIndexes('db', 'c')[1].hidden, true);
    await expectMongoError(() => engine.collMod('db', 'c', { collMod: 'c', index: { name: 'nope', expireAfterSeconds: 1 } }), 27);
    await expectMongoError(() => engine.collMod('db', 'missing', { collMod: 'missing', index: { name: 'x', expireAfterSeconds: 1 } }), 26);
  });

  it('When collMod sets a validator, then listCollections shows it', async () => {
    await engine.createCollection('db', 'c', {});
    await engine.collMod('db', 'c', { collMod: 'c', validator: { a: { $exists: true } }, validationLevel: 'strict' });
    assert.deepEqual(engine.listCollections('db')[0].options, { validator: { a: { $exists: true } }, validationLevel: 'strict' });
  });
});
