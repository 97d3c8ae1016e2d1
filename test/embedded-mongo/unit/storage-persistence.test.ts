import assert from 'node:assert/strict';
import { openStorage, type ChangeRecord, type Persistence } from '../../../src/embedded-mongo/storage';
import { ids, insertAll } from './storage-helpers';

/** Keeps every appended commit so a second engine can replay them. */
class RecordingPersistence implements Persistence {
  readonly commits: ChangeRecord[][] = [];
  constructor(private readonly initial: ChangeRecord[] = []) {}
  async append(records: ChangeRecord[]): Promise<void> {
    this.commits.push([...records]);
  }

  /** The commits' data records, without the markers that stamp each commit. */
  get dataCommits(): ChangeRecord[][] {
    return this.commits.map((commit) => commit.filter((record) => record.op !== 'commit'));
  }
  async loadState(): Promise<ChangeRecord[]> {
    return this.initial;
  }
  async close(): Promise<void> {}
}

describe('storage engine: the commit path', () => {
  it('When every commit is replayed into a new engine, then catalog, indexes, documents and TTL deletes come back the same', async () => {
    const journal = new RecordingPersistence();
    const first = await openStorage({ inMemory: true }, undefined, { persistence: journal, ttlIntervalMs: 0 });
    await first.createCollection('app', 'people', { collation: { locale: 'en', strength: 2 } });
    await insertAll(first, 'app', 'people', [{ _id: 1, name: 'Ann' }, { _id: 2, name: 'Bo' }]);
    await first.createIndexes('app', 'people', [{ v: 2, key: { name: 1 }, name: 'name_1', unique: true }]);
    await first.createIndexes('app', 'sessions', [{ v: 2, key: { expires: 1 }, name: 'expires_1', expireAfterSeconds: 0 }]);
    await insertAll(first, 'app', 'sessions', [{ _id: 's1', expires: new Date(1000) }, { _id: 's2', expires: new Date(9_000_000) }]);
    await first.write(undefined, (b) => b.replace('app', 'people', { _id: 2, name: 'Bob' }));
    const txn = first.beginTransaction();
    await first.write(txn, (b) => {
      b.insert('app', 'people', { _id: 3, name: 'Cy' });
      b.remove('app', 'people', 1);
    });
    await first.commitTransaction(txn);
    await first.renameCollection('app', 'people', 'app', 'persons', false);
    await first.collMod('app', 'sessions', { collMod: 'sessions', index: { name: 'expires_1', expireAfterSeconds: 10 } });
    assert.equal(await first.sweepExpired(5_000_000), 1);
    await insertAll(first, 'tmp', 'x', [{ _id: 1 }]);
    await first.dropDatabase('tmp');
    await first.dropIndexes('app', 'persons', 'name_1');

    assert.deepEqual(journal.dataCommits.at(-1)?.map((r) => ({ ...r, spec: undefined })), [{ op: 'dropIndex', ns: 'app.persons', name: 'name_1', spec: undefined }]);
    assert.ok(journal.commits.every((c) => c[0].op === 'commit'), 'each commit opens with its marker');
    const transactionCommit = journal.dataCommits.find((c) => c.some((r) => r.op === 'insert' && r.doc._id === 3));
    assert.deepEqual(transactionCommit?.map((r) => r.op), ['insert', 'remove'], 'a transaction is one commit');

    const second = await openStorage({ inMemory: true }, undefined, { persistence: new RecordingPersistence(journal.commits.flat()), ttlIntervalMs: 0 });
    assert.deepEqual(second.listDatabaseNames(), first.listDatabaseNames());
    assert.deepEqual(second.listCollections('app'), first.listCollections('app'));
    assert.deepEqual(second.listIndexes('app', 'sessions'), first.listIndexes('app', 'sessions'));
    assert.deepEqual(ids(second.find(undefined, 'app', 'persons', { filter: {} }).docs), [2, 3]);
    assert.deepEqual(ids(second.find(undefined, 'app', 'sessions', { filter: {} }).docs), ['s2']);
    assert.deepEqual(second.find(undefined, 'app', 'persons', { filter: { name: 'BOB' } }).docs, [{ _id: 2, name: 'Bob' }]);
    await first.close();
    await second.close();
  });

  it('When one record of a commit fails, then none of its records stay applied', async () => {
    const engine = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0 });
    await insertAll(engine, 'db', 'c', [{ _id: 1 }]);
    assert.throws(() =>
      engine.applyCommit([
        { op: 'insert', ns: 'db.c', doc: { _id: 2 } },
        { op: 'createIndex', ns: 'db.other', spec: { v: 2, key: { a: 1 }, name: 'a_1' } },
        { op: 'insert', ns: 'db.c', doc: { _id: 1 } },
      ]),
    );
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: {} }).docs), [1]);
    assert.deepEqual(engine.listCollections('db').map((c) => c.name), ['c']);
    await engine.close();
  });
});

describe('storage engine: checkpoints', () => {
  it('When the checkpoint records are replayed, then collections, indexes and documents are identical', async () => {
    const engine = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0 });
    await engine.createCollection('app', 'people', { collation: { locale: 'sv', strength: 1 } });
    await insertAll(engine, 'app', 'people', [{ _id: 2, tags: ['a', 'b'] }, { _id: 1, tags: 'c' }]);
    await engine.createIndexes('app', 'people', [{ v: 2, key: { tags: 1 }, name: 'tags_1', unique: true }]);
    await engine.createIndexes('app', 'audit', [{ v: 2, key: { at: 1 }, name: 'at_1', expireAfterSeconds: 30, hidden: true }]);
    const copy = await openStorage({ inMemory: true }, undefined, { persistence: new RecordingPersistence(engine.checkpointRecords()), ttlIntervalMs: 0 });
    assert.deepEqual(copy.listCollections('app'), engine.listCollections('app'));
    assert.deepEqual(copy.listIndexes('app', 'people'), engine.listIndexes('app', 'people'));
    assert.deepEqual(copy.listIndexes('app', 'audit'), engine.listIndexes('app', 'audit'));
    assert.deepEqual(copy.find(undefined, 'app', 'people', { filter: {} }).docs, engine.find(undefined, 'app', 'people', { filter: {} }).docs);
    const byTag = copy.find(undefined, 'app', 'people', { filter: { tags: 'B' } });
    assert.equal(byTag.plan.indexName, 'tags_1');
    assert.deepEqual(ids(byTag.docs), [2]);
    await engine.close();
    await copy.close();
  });
});

describe('storage engine: record factory', () => {
  it('When documents are kept serialised outside the heap, then reads, indexes, replaces and removes still work', async () => {
    const { serialize, deserialize } = await import('bson');
    let reads = 0;
    const created: string[] = [];
    const engine = await openStorage({ inMemory: true }, undefined, {
      ttlIntervalMs: 0,
      recordFactory: (ns, rid, doc, size) => {
        created.push(ns);
        if (!ns.endsWith('.chunks')) return { rid, size, doc };
        const bytes = serialize(doc);
        return {
          rid,
          size,
          get doc() {
            reads++;
            return deserialize(bytes, { useBigInt64: true, promoteBuffers: false, bsonRegExp: true });
          },
        };
      },
    });
    await engine.createIndexes('db', 'fs.chunks', [{ v: 2, key: { files_id: 1, n: 1 }, name: 'files_id_1_n_1', unique: true }]);
    await insertAll(engine, 'db', 'fs.chunks', [2, 0, 1].map((n) => ({ _id: n, files_id: 'f', n, data: 'x'.repeat(1000) })));
    await insertAll(engine, 'db', 'fs.files', [{ _id: 'f', length: 3000 }]);
    reads = 0;
    const chunks = engine.find(undefined, 'db', 'fs.chunks', { filter: { files_id: 'f' }, sort: { n: 1 } });
    assert.deepEqual(chunks.docs.map((c) => c.n), [0, 1, 2]);
    assert.equal(reads, 3, 'each document is read once per find');
    await engine.write(undefined, (b) => b.replace('db', 'fs.chunks', { _id: 1, files_id: 'f', n: 1, data: 'y' }));
    assert.equal(engine.find(undefined, 'db', 'fs.chunks', { filter: { _id: 1 } }).docs[0].data, 'y');
    await engine.write(undefined, (b) => b.remove('db', 'fs.chunks', 2));
    assert.equal(engine.collectionStats('db', 'fs.chunks').count, 2);
    assert.ok(created.includes('db.fs.files') && created.includes('db.fs.chunks'));
    await engine.close();
  });
});
