import assert from 'node:assert/strict';
import { MongoClient, type Db, type Document } from 'mongodb';
import { startHarnessServer, tempDir, type HarnessServer } from './harness';

/**
 * Views live in system.views and $merge writes through the one commit path, so both come back from the journal
 * alone (a stop without a checkpoint, as a kill leaves it) and from a checkpoint.
 */
describe('durability: views and $merge survive a restart', function () {
  this.timeout(30_000);
  const dirs: Array<{ remove(): void }> = [];
  after(() => dirs.forEach((d) => d.remove()));

  async function start(dir: string): Promise<{ server: HarnessServer; client: MongoClient; db: Db }> {
    const server = await startHarnessServer({ dbPath: dir, durable: { checkpointIntervalMs: 0, checkpointBytes: 1 << 30 } });
    const client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
    return { server, client, db: client.db('register') };
  }

  async function writeViewsAndMerges(db: Db): Promise<void> {
    await db.collection('suppliers').insertMany([
      { _id: 1 as never, name: 'Åkerö AB', country: 'SE', risk: 70 },
      { _id: 2 as never, name: 'Bolt Electronics', country: 'CN', risk: 20 },
      { _id: 3 as never, name: 'alpha knit', country: 'SE', risk: 90 },
    ]);
    await db.createCollection('risky', { viewOn: 'suppliers', pipeline: [{ $match: { risk: { $gte: 50 } } }], collation: { locale: 'sv' } });
    await db.createCollection('riskyNames', { viewOn: 'risky', pipeline: [{ $project: { _id: 0, name: 1 } }], collation: { locale: 'sv' } });
    await db.createCollection('dropped', { viewOn: 'suppliers' });
    await db.command({ drop: 'dropped' });
    await db.createCollection('changed', { viewOn: 'suppliers' });
    await db.command({ collMod: 'changed', pipeline: [{ $match: { country: 'CN' } }] });
    await db.collection('suppliers').aggregate([{ $group: { _id: '$country', n: { $sum: 1 } } }, { $merge: { into: 'byCountry' } }]).toArray();
    await db.collection('suppliers').aggregate([{ $match: { risk: { $gt: 80 } } }, { $project: { flagged: { $literal: true } } }, { $merge: { into: 'byCountry', whenMatched: 'merge' } }]).toArray();
  }

  async function snapshot(db: Db): Promise<Document> {
    const byName = (a: Document, b: Document): number => String(a.name).localeCompare(String(b.name));
    return {
      listed: (await db.listCollections().toArray()).filter((info) => info.type === 'view').sort(byName),
      risky: await db.collection('riskyNames').find({}).sort({ name: 1 }).toArray(),
      changed: await db.collection('changed').find({}).toArray(),
      merged: await db.collection('byCountry').find({}).sort({ _id: 1 }).toArray(),
    };
  }

  for (const stop of ['without a checkpoint', 'after a checkpoint'] as const) {
    it(`When views were created, changed and dropped and $merge wrote, then a restart ${stop} has them all`, async () => {
      const data = tempDir('views-merge');
      dirs.push(data);
      const first = await start(data.dir);
      await writeViewsAndMerges(first.db);
      const before = await snapshot(first.db);
      assert.deepEqual(before.risky, [{ name: 'alpha knit' }, { name: 'Åkerö AB' }], 'read in the view’s Swedish collation');
      assert.deepEqual(before.changed.map((doc: Document) => doc._id), [2]);
      assert.deepEqual(before.merged, [{ _id: 3, flagged: true }, { _id: 'CN', n: 1 }, { _id: 'SE', n: 2 }]);
      await first.client.close();
      if (stop === 'without a checkpoint') await first.server.persistence?.abandon();
      await first.server.close();

      const second = await start(data.dir);
      try {
        const recovered = second.server.persistence?.lastRecovery;
        if (stop === 'without a checkpoint') assert.equal(recovered?.checkpointBytes, 0, 'replayed from the journal alone');
        else assert.ok((recovered?.checkpointBytes ?? 0) > 0, 'loaded from the checkpoint');
        assert.deepEqual(await snapshot(second.db), before);
        await assert.rejects(second.db.collection('risky').insertOne({ x: 1 }), { code: 166 }, 'still a view after the restart');
        assert.deepEqual(await second.db.listCollections({ name: 'dropped' }).toArray(), []);
      } finally {
        await second.client.close();
        await second.server.close();
      }
    });
  }
});
