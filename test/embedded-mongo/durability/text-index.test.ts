/**
 * A text index after a restart: rebuilt from the journal (start-up replay defers index entries and builds them in
 * bulk) and from a checkpoint, it finds the same documents with the same scores as the live engine did.
 */
import assert from 'node:assert/strict';
import { DurablePersistence, openStorage, type DurableOptions, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import type { Document } from '../../../src/embedded-mongo/types';
import { tempDir } from './harness';

const QUIET: DurableOptions = { checkpointIntervalMs: 0, checkpointBytes: 1 << 30 };
const TEXT_INDEX = { v: 2, key: { name: 'text', products: 'text' }, name: 'search', weights: { name: 4 }, default_language: 'swedish' };

async function open(dir: string): Promise<{ engine: EmbeddedStorage; persistence: DurablePersistence }> {
  const persistence = new DurablePersistence(dir, QUIET);
  const engine = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0, persistence });
  return { engine, persistence };
}

/** `_id` and score of each document the search finds, best first. */
function search(engine: EmbeddedStorage, words: string): Array<[unknown, number]> {
  const read = engine.find(undefined, 'app', 'suppliers', { filter: { $text: { $search: words } }, sort: { s: { $meta: 'textScore' }, _id: 1 } });
  return read.docs.map((doc: Document) => [doc._id, read.textScores?.get(doc) as number]);
}

function searches(engine: EmbeddedStorage): unknown[] {
  return ['leverantör', 'kläder möbler', 'hållbar -stål', '"nordiska möbler"', 'english'].map((words) => search(engine, words));
}

describe('durable storage: text indexes survive restarts', function () {
  this.timeout(30_000);

  it('When a text index and its documents are replayed from the journal or loaded from a checkpoint, then searches and scores are the same', async () => {
    const temp = tempDir('text-index');
    try {
      const live = await open(temp.dir);
      await live.engine.createIndexes('app', 'suppliers', [TEXT_INDEX]);
      for (let i = 0; i < 200; i++) {
        await live.engine.write(undefined, (b) => {
          b.insert('app', 'suppliers', {
            _id: i,
            name: i % 3 === 0 ? `Nordiska möbler ${i}` : `Leverantör ${i}`,
            products: i % 2 ? 'kläder och hållbara textilier' : 'stål och möbler',
            ...(i % 10 === 0 ? { language: 'english', products: 'english suppliers of steel' } : {}),
          });
          if (i % 4 === 0 && i > 0) b.replace('app', 'suppliers', { _id: i - 1, name: 'Hållbar leverantör', products: 'kläder' });
          if (i % 9 === 0 && i > 20) b.remove('app', 'suppliers', i - 20);
        });
      }
      const before = searches(live.engine);
      assert.ok((before[0] as unknown[]).length > 50, 'the searches find documents');
      await live.persistence.abandon();
      await live.engine.close();

      const replayed = await open(temp.dir);
      assert.deepEqual(searches(replayed.engine), before, 'from the journal');
      await replayed.engine.close();

      const checkpointed = await open(temp.dir);
      assert.deepEqual(searches(checkpointed.engine), before, 'from the checkpoint');
      assert.deepEqual(checkpointed.engine.listIndexes('app', 'suppliers')[1].weights, { name: 4, products: 1 });
      await checkpointed.engine.close();
    } finally {
      temp.remove();
    }
  });
});
