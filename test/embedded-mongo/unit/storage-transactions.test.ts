import assert from 'node:assert/strict';
import type { EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import type { TransactionHandle } from '../../../src/embedded-mongo/types';
import { expectMongoError, freshEngine, ids, insertAll } from './storage-helpers';

describe('storage engine: transactions', () => {
  let engine: EmbeddedStorage;
  beforeEach(async () => {
    engine = await freshEngine();
    await insertAll(engine, 'db', 'c', [{ _id: 1, v: 'one' }, { _id: 2, v: 'two' }]);
  });
  afterEach(() => engine.close());

  const all = (txn?: TransactionHandle): unknown[] => ids(engine.find(txn, 'db', 'c', { filter: {}, sort: { _id: 1 } }).docs);

  it('When a transaction writes, then it sees its own writes and nobody else does until commit', async () => {
    const txn = engine.beginTransaction();
    await engine.write(txn, (b) => {
      b.insert('db', 'c', { _id: 3 });
      b.remove('db', 'c', 1);
      b.replace('db', 'c', { _id: 2, v: 'TWO' });
      assert.deepEqual(ids(b.find('db', 'c', { filter: {} }).docs).sort(), [2, 3]);
    });
    assert.deepEqual(all(txn), [2, 3]);
    assert.deepEqual(engine.find(txn, 'db', 'c', { filter: { v: 'TWO' } }).docs, [{ _id: 2, v: 'TWO' }]);
    assert.deepEqual(all(), [1, 2]);
    await engine.commitTransaction(txn);
    assert.deepEqual(all(), [2, 3]);
    assert.deepEqual(engine.find(undefined, 'db', 'c', { filter: { _id: 2 } }).docs, [{ _id: 2, v: 'TWO' }]);
  });

  it('When a transaction is aborted, then its writes vanish and its handle is dead (251)', async () => {
    const txn = engine.beginTransaction();
    await engine.write(txn, (b) => b.insert('db', 'new', { _id: 1 }));
    engine.abortTransaction(txn);
    assert.deepEqual(engine.listCollections('db').map((c) => c.name), ['c']);
    await expectMongoError(() => engine.commitTransaction(txn), 251);
  });

  it('When others commit while a transaction is open, then it keeps reading its snapshot', async () => {
    const txn = engine.beginTransaction();
    await insertAll(engine, 'db', 'c', [{ _id: 3 }]);
    await engine.write(undefined, (b) => {
      b.remove('db', 'c', 1);
      b.replace('db', 'c', { _id: 2, v: 'changed' });
    });
    assert.deepEqual(all(txn), [1, 2]);
    assert.deepEqual(engine.find(txn, 'db', 'c', { filter: { v: 'two' } }).docs, [{ _id: 2, v: 'two' }]);
    assert.deepEqual(all(), [2, 3]);
  });

  it('When another writer commits a document the transaction then writes, then the write fails with 112 TransientTransactionError', async () => {
    const txn = engine.beginTransaction();
    await engine.write(undefined, (b) => b.replace('db', 'c', { _id: 1, v: 'outside' }));
    const err = await expectMongoError(() => engine.write(txn, (b) => b.replace('db', 'c', { _id: 1, v: 'inside' })), 112);
    assert.deepEqual(err.errorLabels, ['TransientTransactionError']);
  });

  it('When two open transactions write the same document, then the second writer gets 112 at once', async () => {
    const first = engine.beginTransaction();
    const second = engine.beginTransaction();
    await engine.write(first, (b) => b.replace('db', 'c', { _id: 1, v: 'first' }));
    const err = await expectMongoError(() => engine.write(second, (b) => b.replace('db', 'c', { _id: 1, v: 'second' })), 112);
    assert.deepEqual(err.errorLabels, ['TransientTransactionError']);
    await expectMongoError(() => engine.write(second, (b) => b.insert('db', 'c', { _id: 1 })), 112);
    await engine.commitTransaction(first);
    assert.deepEqual(engine.find(undefined, 'db', 'c', { filter: { _id: 1 } }).docs, [{ _id: 1, v: 'first' }]);
    // once the first has finished, a fresh transaction may write the document again
    const third = engine.beginTransaction();
    await engine.write(third, (b) => b.replace('db', 'c', { _id: 1, v: 'third' }));
    await engine.commitTransaction(third);
  });

  it('When a transaction is aborted, then its staged documents are free for other transactions', async () => {
    const first = engine.beginTransaction();
    await engine.write(first, (b) => b.insert('db', 'c', { _id: 'k' }));
    engine.abortTransaction(first);
    const second = engine.beginTransaction();
    await engine.write(second, (b) => b.insert('db', 'c', { _id: 'k' }));
    await engine.commitTransaction(second);
    assert.deepEqual(all(), [1, 2, 'k']);
  });

  it('When a transaction commits after another committed the same document, then it gets 112 (first committer wins)', async () => {
    const first = engine.beginTransaction();
    const second = engine.beginTransaction();
    await engine.write(second, (b) => b.replace('db', 'c', { _id: 2, v: 'second' }));
    await engine.write(undefined, (b) => b.replace('db', 'c', { _id: 2, v: 'plain' }));
    await engine.write(first, (b) => b.insert('db', 'c', { _id: 3 }));
    await engine.commitTransaction(first);
    const err = await expectMongoError(() => engine.commitTransaction(second), 112);
    assert.deepEqual(err.errorLabels, ['TransientTransactionError']);
    assert.deepEqual(engine.find(undefined, 'db', 'c', { filter: { _id: 2 } }).docs, [{ _id: 2, v: 'plain' }]);
  });

  it('When a transaction inserts a duplicate, then 11000 comes at once; a unique clash made by others shows at commit', async () => {
    await engine.createIndexes('db', 'c', [{ v: 2, key: { email: 1 }, name: 'email_1', unique: true, sparse: true }]);
    const txn = engine.beginTransaction();
    await expectMongoError(() => engine.write(txn, (b) => b.insert('db', 'c', { _id: 1 })), 11000);
    await engine.write(txn, (b) => b.insert('db', 'c', { _id: 10, email: 'x' }));
    await expectMongoError(() => engine.write(txn, (b) => b.insert('db', 'c', { _id: 11, email: 'x' })), 11000);
    await insertAll(engine, 'db', 'c', [{ _id: 20, email: 'x' }]);
    await expectMongoError(() => engine.commitTransaction(txn), 11000);
    assert.deepEqual(all(), [1, 2, 20]);
  });

  it('When a transaction stages a document no index can hold, then the write fails at once with 171', async () => {
    await engine.createIndexes('db', 'c', [{ v: 2, key: { x: 1, y: 1 }, name: 'x_y' }]);
    const txn = engine.beginTransaction();
    await expectMongoError(() => engine.write(txn, (b) => b.insert('db', 'c', { _id: 7, x: [1], y: [2] })), 171);
    await engine.commitTransaction(txn);
    assert.deepEqual(all(), [1, 2]);
  });

  it('When a transaction removes a document holding a unique key, then it may reuse the key', async () => {
    await engine.createIndexes('db', 'c', [{ v: 2, key: { v: 1 }, name: 'v_1', unique: true }]);
    const txn = engine.beginTransaction();
    await engine.write(txn, (b) => {
      b.remove('db', 'c', 1);
      b.insert('db', 'c', { _id: 5, v: 'one' });
    });
    await engine.commitTransaction(txn);
    assert.deepEqual(all(), [2, 5]);
  });

  it('When a transaction commits to a new collection, then the collection is created with it', async () => {
    const txn = engine.beginTransaction();
    await engine.write(txn, (b) => b.insert('db', 'fresh', { _id: 'x' }));
    await engine.commitTransaction(txn);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'fresh', { filter: {} }).docs), ['x']);
  });

  it('When the collection a transaction wrote to is dropped, then its commit fails with 112', async () => {
    const txn = engine.beginTransaction();
    await engine.write(txn, (b) => b.insert('db', 'c', { _id: 9 }));
    await engine.dropCollection('db', 'c');
    await expectMongoError(() => engine.commitTransaction(txn), 112);
  });
});
