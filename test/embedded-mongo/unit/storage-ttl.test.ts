import assert from 'node:assert/strict';
import { openStorage, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { freshEngine, ids, insertAll } from './storage-helpers';

describe('storage engine: TTL sweep', () => {
  let engine: EmbeddedStorage;
  beforeEach(async () => {
    engine = await freshEngine();
  });
  afterEach(() => engine.close());

  const now = Date.UTC(2026, 0, 1);

  it('When a date is older than expireAfterSeconds, then the sweep deletes the document and keeps the rest', async () => {
    await engine.createIndexes('db', 'sessions', [{ v: 2, key: { expires: 1 }, name: 'expires_1', expireAfterSeconds: 60 }]);
    await insertAll(engine, 'db', 'sessions', [
      { _id: 'old', expires: new Date(now - 61_000) },
      { _id: 'edge', expires: new Date(now - 60_000) },
      { _id: 'fresh', expires: new Date(now - 59_000) },
      { _id: 'no-date', expires: 'yesterday' },
      { _id: 'missing' },
      { _id: 'array', expires: [new Date(now + 1e9), new Date(now - 1e9)] },
    ]);
    assert.equal(await engine.sweepExpired(now), 3);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'sessions', { filter: {} }).docs), ['fresh', 'no-date', 'missing']);
    assert.equal(await engine.sweepExpired(now), 0);
  });

  it('When the TTL index is descending or partial, then the sweep still honours it', async () => {
    await engine.createIndexes('db', 'c', [{ v: 2, key: { at: -1 }, name: 'at_-1', expireAfterSeconds: 0, partialFilterExpression: { kind: 'temp' } }]);
    await insertAll(engine, 'db', 'c', [
      { _id: 1, at: new Date(now - 1), kind: 'temp' },
      { _id: 2, at: new Date(now - 1), kind: 'keep' },
      { _id: 3, at: new Date(now + 1000), kind: 'temp' },
    ]);
    assert.equal(await engine.sweepExpired(now), 1);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: {} }).docs), [2, 3]);
  });

  it('When collMod lengthens expireAfterSeconds, then documents no longer expire early', async () => {
    await engine.createIndexes('db', 'c', [{ v: 2, key: { at: 1 }, name: 'at_1', expireAfterSeconds: 10 }]);
    await insertAll(engine, 'db', 'c', [{ _id: 1, at: new Date(now - 20_000) }]);
    await engine.collMod('db', 'c', { collMod: 'c', index: { name: 'at_1', expireAfterSeconds: 3600 } });
    assert.equal(await engine.sweepExpired(now), 0);
  });

  it('When the background monitor runs, then it sweeps on its own', async () => {
    const ticking = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 20 });
    try {
      await ticking.createIndexes('db', 'c', [{ v: 2, key: { at: 1 }, name: 'at_1', expireAfterSeconds: 0 }]);
      await insertAll(ticking, 'db', 'c', [{ _id: 1, at: new Date(Date.now() - 1000) }]);
      for (let i = 0; i < 50 && ticking.find(undefined, 'db', 'c', { filter: {} }).docs.length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(ticking.find(undefined, 'db', 'c', { filter: {} }).docs, []);
    } finally {
      await ticking.close();
    }
  });
});
