/** mongoose 9's Model.watch() end to end against the server (the embedded one, or MONGODB_URI's). */
import assert from 'node:assert/strict';
import mongoose, { Schema, type Connection } from 'mongoose';
import type { Timestamp } from 'mongodb';
import { connectTestClient, mongoUri } from '../helpers/mongo-target';

interface Supplier {
  name: string;
  country: string;
  updatedAt?: Date;
}

describe('mongoose end to end: Model.watch()', function () {
  this.timeout(30_000);
  let conn: Connection;

  before(async function () {
    const { client, dbName } = await connectTestClient('mongoose_watch');
    await client.close();
    conn = await mongoose.createConnection(await mongoUri(), { dbName, serverSelectionTimeoutMS: 5000 }).asPromise();
  });

  after(async function () {
    await conn.dropDatabase();
    await conn.close();
  });

  it('When a model is watched, then its creates, saves and deletes arrive as change events with hydrated documents', async () => {
    const Suppliers = conn.model<Supplier>('WatchedSupplier', new Schema<Supplier>({ name: String, country: String }, { timestamps: true }));
    await Suppliers.createCollection();
    // From a known time: every write below is in the stream however soon its cursor opens.
    const { operationTime } = await conn.db!.command({ ping: 1 });
    const stream = Suppliers.watch([], { fullDocument: 'updateLookup', hydrate: true, startAtOperationTime: operationTime as Timestamp });
    const changes: Array<Record<string, unknown>> = [];
    const arrived = new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('change', (change: Record<string, unknown>) => {
        changes.push(change);
        if (changes.length === 3) resolve();
      });
    });
    try {
      const acme = await Suppliers.create({ name: 'Acme', country: 'SE' });
      acme.country = 'VN';
      await acme.save();
      await Suppliers.deleteOne({ _id: acme._id });
      await arrived;

      assert.deepEqual(changes.map((c) => c.operationType), ['insert', 'update', 'delete']);
      const [insert, update, remove] = changes;
      assert.ok(insert.fullDocument instanceof Suppliers, 'the inserted document is hydrated into the model');
      assert.equal((insert.fullDocument as Supplier).name, 'Acme');
      const description = update.updateDescription as { updatedFields: Record<string, unknown> };
      assert.equal(description.updatedFields.country, 'VN', 'the saved change is named');
      assert.ok(description.updatedFields.updatedAt instanceof Date, 'timestamps are part of the update');
      assert.deepEqual((remove.documentKey as { _id: unknown })._id, acme._id);
    } finally {
      await stream.close();
    }
  });
});
