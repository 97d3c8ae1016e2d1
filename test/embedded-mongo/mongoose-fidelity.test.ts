/**
 * mongoose end to end on the behaviours issue 12 fixed: a schema's collation governs sorts that name none, a save
 * whose minimised update has an empty `$set` goes through, and numbers keep their BSON types.
 */
import assert from 'node:assert/strict';
import mongoose, { Schema, type Connection } from 'mongoose';
import type { CommandStartedEvent, Document } from 'mongodb';
import { connectTestClient, mongoUri } from '../helpers/mongo-target';

describe('mongoose end to end: collation, minimised updates, number types', function () {
  this.timeout(60_000);
  let conn: Connection;
  const updates: Document[] = [];

  before(async function () {
    const { client, dbName } = await connectTestClient('mongoose_fidelity');
    await client.close();
    conn = await mongoose.createConnection(await mongoUri(), { dbName, serverSelectionTimeoutMS: 5000, monitorCommands: true }).asPromise();
    conn.getClient().on('commandStarted', (event: CommandStartedEvent) => {
      if (event.commandName === 'update') updates.push(...(event.command.updates as Document[]));
    });
  });

  after(async function () {
    await conn.dropDatabase();
    await conn.close();
  });

  it('When a schema has a collation, then a sort without one orders by it and equality ignores case', async () => {
    const Contact = conn.model('Contact', new Schema({ name: String }, { collation: { locale: 'en', strength: 2 } }));
    await Contact.init();
    await Contact.create([{ name: 'Zeta' }, { name: 'alpha' }, { name: 'Alpha' }, { name: 'beta' }]);
    const sorted = await Contact.find().sort({ name: 1, _id: 1 }).lean();
    assert.deepEqual(sorted.map((c) => c.name), ['alpha', 'Alpha', 'beta', 'Zeta']);
    assert.equal(await Contact.countDocuments({ name: 'ALPHA' }), 2);
    const [info] = (await conn.db?.listCollections({ name: Contact.collection.collectionName }).toArray()) ?? [];
    assert.equal((info as { options?: { collation?: { locale?: string } } } | undefined)?.options?.collation?.locale, 'en');
  });

  it('When save() sends a minimised update with an empty $set, then it succeeds and removes the emptied field', async () => {
    const Profile = conn.model('Profile', new Schema({ name: String, meta: { score: Number, extra: { type: Object } } }));
    const created = await Profile.create({ name: 'Åkerö AB', meta: { score: 1, extra: { note: 'x' } } });
    const profile = await Profile.findById(created._id).orFail();
    updates.length = 0;
    profile.set('meta.extra', {});
    await profile.save();
    assert.ok(updates.some((u) => JSON.stringify((u.u as Document).$set) === '{}'), `mongoose sent an empty $set: ${JSON.stringify(updates)}`);
    const stored = await Profile.findById(created._id).lean().orFail();
    assert.deepEqual(stored.meta, { score: 1 });
  });

  it('When mongoose stores whole and fractional numbers and $inc adds a fraction, then they read back with their values', async () => {
    const Score = conn.model('Score', new Schema({ value: Number }));
    const score = await Score.create({ value: 2 });
    await Score.updateOne({ _id: score._id }, { $inc: { value: 0.5 } });
    await Score.updateOne({ _id: score._id }, { $inc: { value: 0.5 } });
    assert.equal(await Score.countDocuments({ value: { $type: 'double' } }), 1, '2 + 0.5 + 0.5 stays the double 3.0');
    assert.equal((await Score.findById(score._id).lean().orFail()).value, 3);
  });
});
