/**
 * Start-up replay takes a bulk path (index entries built in one sort per index, no undo): it must rebuild exactly
 * the state a live engine had, and still refuse a data directory whose documents break a unique index.
 */
import assert from 'node:assert/strict';
import { DurablePersistence, openStorage, type ChangeRecord, type DurableOptions, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { tempDir } from './harness';

const QUIET: DurableOptions = { checkpointIntervalMs: 0, checkpointBytes: 1 << 30 };

async function open(dir: string): Promise<{ engine: EmbeddedStorage; persistence: DurablePersistence }> {
  const persistence = new DurablePersistence(dir, QUIET);
  const engine = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0, persistence });
  return { engine, persistence };
}

async function crash(opened: { engine: EmbeddedStorage; persistence: DurablePersistence }): Promise<void> {
  await opened.persistence.abandon();
  await opened.engine.close();
}

/** Journals records no engine checked, as a damaged or hand-edited directory could hold them. */
async function journalUnchecked(dir: string, commits: ChangeRecord[][]): Promise<void> {
  const persistence = new DurablePersistence(dir, QUIET);
  await persistence.loadState();
  for (const records of commits) await persistence.append(records);
  await persistence.abandon();
}

/** What a reader sees: every document by _id, and the ids per supplier through the compound index. */
function snapshot(engine: EmbeddedStorage): { docs: unknown[]; bySupplier: Record<string, unknown[]>; stats: unknown } {
  const docs = engine.find(undefined, 'app', 'answers', { filter: {}, sort: { _id: 1 } }).docs;
  const bySupplier: Record<string, unknown[]> = {};
  for (const supplier of ['s0', 's1', 's2', 's3']) {
    const read = engine.find(undefined, 'app', 'answers', { filter: { supplier }, hint: 'supplier_1_question_1' });
    bySupplier[supplier] = read.docs.map((d) => d._id);
  }
  const { count, dataSize, indexSizes } = engine.collectionStats('app', 'answers');
  return { docs, bySupplier, stats: { count, dataSize, indexSizes } };
}

const UNIQUE_EMAIL = { v: 2, key: { email: 1 }, name: 'email_1', unique: true };

describe('durable storage: start-up replay builds indexes in bulk', function () {
  this.timeout(30_000);

  it('When inserts, replaces and removes of one collection interleave in the journal, then the replayed documents, index scans and sizes equal the live ones', async () => {
    const temp = tempDir('replay-mixed');
    try {
      const live = await open(temp.dir);
      await live.engine.createIndexes('app', 'answers', [{ v: 2, key: { supplier: 1, question: 1 }, name: 'supplier_1_question_1' }]);
      for (let i = 0; i < 400; i++) {
        await live.engine.write(undefined, (b) => {
          b.insert('app', 'answers', { _id: i, supplier: `s${i % 4}`, question: `q${i % 9}`, tags: i % 5 === 0 ? ['a', 'b'] : 'c', score: i * 1.5 });
          if (i % 3 === 0) b.replace('app', 'answers', { _id: i - 1 < 0 ? 0 : i - 1, supplier: `s${(i + 1) % 4}`, question: 'moved', score: 1.0 });
          if (i % 7 === 0 && i > 10) b.remove('app', 'answers', i - 10);
        });
      }
      const before = snapshot(live.engine);
      await crash(live);

      const replayed = await open(temp.dir);
      try {
        assert.deepEqual(snapshot(replayed.engine), before);
        await assert.rejects(replayed.engine.write(undefined, (b) => b.insert('app', 'answers', { _id: 5 })), { code: 11000 }, 'the replayed _id index holds every id');
      } finally {
        await replayed.engine.close();
      }
      // close() checkpointed: loading the checkpoint gives the same state again.
      const fromCheckpoint = await open(temp.dir);
      try {
        assert.deepEqual(snapshot(fromCheckpoint.engine), before);
      } finally {
        await fromCheckpoint.engine.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('When indexes are built in bulk over unordered strings, numbers and dates in both directions, then scans return exact index order', async () => {
    const engine = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0 });
    try {
      const docs: Array<{ _id: number; s: string; n: number; d: Date }> = [];
      for (let i = 0; i < 3000; i++) {
        const scrambled = (i * 7919) % 3001;
        docs.push({ _id: i, s: `supplier-${scrambled % 97}${scrambled % 3 === 0 ? 'é' : ''}`, n: (scrambled % 13) - 6.5, d: new Date(1_700_000_000_000 + (scrambled % 50) * 1000) });
      }
      await engine.write(undefined, (b) => docs.forEach((doc) => b.insert('app', 'ranked', doc)));
      await engine.createIndexes('app', 'ranked', [
        { v: 2, key: { s: 1, n: -1 }, name: 's_1_n_-1' },
        { v: 2, key: { d: -1, s: 1 }, name: 'd_-1_s_1' },
      ]);
      const byTuple = (fields: Array<[keyof (typeof docs)[number], 1 | -1]>) => (a: (typeof docs)[number], b: (typeof docs)[number]): number => {
        for (const [field, direction] of fields) {
          const x = a[field] instanceof Date ? (a[field] as Date).getTime() : a[field];
          const y = b[field] instanceof Date ? (b[field] as Date).getTime() : b[field];
          if (x !== y) return (x < y ? -1 : 1) * direction;
        }
        return a._id - b._id;
      };
      const scan = (hint: string): unknown[] => engine.find(undefined, 'app', 'ranked', { filter: {}, hint }).docs.map((d) => d._id);
      assert.deepEqual(scan('s_1_n_-1'), [...docs].sort(byTuple([['s', 1], ['n', -1]])).map((d) => d._id));
      assert.deepEqual(scan('d_-1_s_1'), [...docs].sort(byTuple([['d', -1], ['s', 1]])).map((d) => d._id));
    } finally {
      await engine.close();
    }
  });

  it('When replayed documents break a unique index, then start-up fails with 11000 naming the key, every time, and leaves the directory unlocked', async () => {
    const temp = tempDir('replay-unique');
    try {
      await journalUnchecked(temp.dir, [
        [{ op: 'createCollection', ns: 'app.users', options: {}, uuid: 'u1' }, { op: 'createIndex', ns: 'app.users', spec: UNIQUE_EMAIL }],
        [{ op: 'insert', ns: 'app.users', doc: { _id: 1, email: 'ana@example.org' } }],
        [{ op: 'insert', ns: 'app.users', doc: { _id: 2, email: 'ana@example.org' } }],
      ]);
      for (let attempt = 0; attempt < 2; attempt++) {
        await assert.rejects(open(temp.dir), (err: unknown) => {
          assert.equal((err as { code?: unknown }).code, 11000);
          assert.match((err as Error).message, /app\.users index: email_1 dup key: \{ email: "ana@example\.org" \}/);
          return true;
        });
      }
    } finally {
      temp.remove();
    }
  });

  it('When a duplicate _id follows reads that already built the index, then start-up still fails with 11000', async () => {
    const temp = tempDir('replay-unique-late');
    try {
      const commits: ChangeRecord[][] = [[{ op: 'createCollection', ns: 'app.answers', options: {}, uuid: 'u2' }]];
      for (let i = 0; i < 200; i++) commits.push([{ op: 'insert', ns: 'app.answers', doc: { _id: i, text: `answer ${i}` } }]);
      commits.push([{ op: 'replace', ns: 'app.answers', doc: { _id: 3, text: 'edited' } }]);
      commits.push([{ op: 'insert', ns: 'app.answers', doc: { _id: 17, text: 'again' } }]);
      await journalUnchecked(temp.dir, commits);
      await assert.rejects(open(temp.dir), (err: unknown) => {
        assert.equal((err as { code?: unknown }).code, 11000);
        assert.match((err as Error).message, /app\.answers index: _id_ dup key: \{ _id: 17 \}/);
        return true;
      });
    } finally {
      temp.remove();
    }
  });
});
