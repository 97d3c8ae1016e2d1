import assert from 'node:assert/strict';
import { ObjectId } from 'bson';
import type { EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { freshEngine } from './storage-helpers';

/** CPU milliseconds `fn` takes (CPU rather than wall time: the machine is shared with other processes). */
function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function fill(engine: EmbeddedStorage, coll: string, count: number): Promise<void> {
  await engine.createIndexes('db', coll, [{ v: 2, key: { email: 1 }, name: 'email_1', unique: true }]);
  for (let start = 0; start < count; start += 1000) {
    await engine.write(undefined, (batch) => {
      for (let k = start; k < Math.min(count, start + 1000); k++) {
        batch.insert('db', coll, { _id: new ObjectId(), email: `user${k}@example.com`, n: k % 500, created: new Date(1_700_000_000_000 + k) });
      }
    });
  }
}

/** Best of several rounds of `rounds` indexed equality finds. */
function equalityFindCost(engine: EmbeddedStorage, coll: string, count: number): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    best = Math.min(
      best,
      cpuMs(() => {
        for (let i = 0; i < 500; i++) {
          const { docs, plan } = engine.find(undefined, 'db', coll, { filter: { email: `user${(i * 7919) % count}@example.com` } });
          if (docs.length !== 1 || plan.indexName !== 'email_1') throw new Error('indexed find went wrong');
        }
      }),
    );
  }
  return best;
}

describe('storage engine: scale', function () {
  this.timeout(180_000);
  let engine: EmbeddedStorage;
  before(async () => {
    engine = await freshEngine();
  });
  after(() => engine.close());

  it('When a collection holds 200,000 documents, then inserts stay fast, memory stays under 1 GB and an indexed find costs within 2x of one on 1,000', async () => {
    await fill(engine, 'small', 1_000);
    const rssBefore = process.memoryUsage().rss;
    const start = process.cpuUsage();
    await fill(engine, 'big', 200_000);
    const insertCpu = process.cpuUsage(start);
    const insertMs = (insertCpu.user + insertCpu.system) / 1000;
    const rss = process.memoryUsage().rss;
    assert.ok(insertMs < 30_000, `200,000 inserts took ${Math.round(insertMs)} ms of CPU`);
    assert.ok(rss < 1024 ** 3, `RSS ${Math.round(rss / 1e6)} MB (grew ${Math.round((rss - rssBefore) / 1e6)} MB)`);
    const small = equalityFindCost(engine, 'small', 1_000);
    const big = equalityFindCost(engine, 'big', 200_000);
    assert.ok(big < 2 * small + 5, `500 finds: ${big.toFixed(1)} ms on 200k vs ${small.toFixed(1)} ms on 1k`);
  });
});
