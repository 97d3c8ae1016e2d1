import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { createAnswerWriter, type AnswerWriter } from '../../src/responses/answer-writer';
import { buildTestApp, type TestApp } from '../helpers/app';

describe('Answer writer (batched compare-and-set saves)', () => {
  let t: TestApp;
  let collection: mongoose.mongo.Collection<mongoose.mongo.Document>;
  let writer: AnswerWriter;
  before(async () => {
    t = await buildTestApp({ label: 'answer_writer' });
    const db = t.deps.connection.db;
    if (!db) throw new Error('not connected');
    collection = db.collection('writer_responses');
    writer = createAnswerWriter(collection);
  });
  after(async () => {
    await t.close();
  });

  async function insertResponse(fields: Record<string, unknown> = {}): Promise<mongoose.Types.ObjectId> {
    const _id = new mongoose.Types.ObjectId();
    await collection.insertOne({ _id, status: 'draft', revision: 0, answers: {}, ...fields });
    return _id;
  }

  function setAnswer(id: string, value: unknown) {
    return { $set: { [`answers.${id}`]: { value, updatedAt: new Date() } } };
  }

  it('When many suppliers save at once, then every save is written once and each response moves one revision on', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, () => insertResponse()));
    let roundTrips = 0;
    const counting = new Proxy(collection, {
      get: (target, property, receiver) =>
        property === 'bulkWrite'
          ? (...args: Parameters<typeof collection.bulkWrite>) => {
              roundTrips += 1;
              return target.bulkWrite(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const batching = createAnswerWriter(counting);
    const results = await Promise.all(ids.map((responseId, i) => batching.write({ responseId, revision: 0, update: setAnswer('q1', `answer ${i}`) })));
    assert.ok(results.every((result) => result.status === 'written' && result.revision === 1));
    // The first saves go at once (two batches may be on their way); the others wait for them and go together.
    assert.ok(roundTrips <= 4, `${roundTrips} round trips for 40 saves`);
    const stored = await collection.find({ _id: { $in: ids } }).toArray();
    for (const [i, responseId] of ids.entries()) {
      const doc = stored.find((d) => d._id.equals(responseId));
      assert.equal(doc?.revision, 1);
      assert.equal((doc?.answers as Record<string, { value: unknown }>).q1.value, `answer ${i}`);
    }
  });

  it('When the response moved on since the save was computed, then nothing is written and the current state comes back', async () => {
    const responseId = await insertResponse({ revision: 3, answers: { q1: { value: 'theirs', updatedAt: new Date() } } });
    const result = await writer.write({ responseId, revision: 2, update: setAnswer('q1', 'mine') });
    assert.equal(result.status, 'conflict');
    assert.ok(result.status === 'conflict' && result.current.revision === 3);
    const doc = await collection.findOne({ _id: responseId });
    assert.equal((doc?.answers as Record<string, { value: unknown }>).q1.value, 'theirs');
  });

  it('When another writer reached the same revision first, then the save is not taken for written (its write id tells)', async () => {
    const responseId = await insertResponse({ revision: 0 });
    await collection.updateOne({ _id: responseId }, { $set: { revision: 1, lastWriteId: 'someone else' } });
    // A second save in the same batch that does apply forces the read-back path.
    const other = await insertResponse();
    const [mine, fine] = await Promise.all([
      writer.write({ responseId, revision: 0, update: setAnswer('q1', 'mine') }),
      writer.write({ responseId: other, revision: 0, update: setAnswer('q1', 'x') }),
    ]);
    assert.equal(mine.status, 'conflict');
    assert.equal(fine.status, 'written');
  });

  it('When the response was submitted meanwhile, then the save is refused as not a draft', async () => {
    const responseId = await insertResponse({ status: 'submitted' });
    const result = await writer.write({ responseId, revision: 0, update: setAnswer('q1', 'late') });
    assert.equal(result.status, 'not-draft');
    assert.equal((await collection.findOne({ _id: responseId }))?.answers?.q1, undefined);
  });

  it('When the response no longer exists, then the save says so', async () => {
    const result = await writer.write({ responseId: new mongoose.Types.ObjectId(), revision: 0, update: setAnswer('q1', 'x') });
    assert.equal(result.status, 'missing');
  });

  it('When one save of a batch fails in the database, then only that save is rejected and the others are written', async () => {
    const good = await insertResponse();
    const bad = await insertResponse({ answers: 'not an object' });
    const [goodResult, badResult] = await Promise.allSettled([
      writer.write({ responseId: good, revision: 0, update: setAnswer('q1', 'fine') }),
      writer.write({ responseId: bad, revision: 0, update: setAnswer('q1', 'cannot go into a string') }),
    ]);
    assert.equal(goodResult.status, 'fulfilled');
    assert.ok(goodResult.status === 'fulfilled' && goodResult.value.status === 'written');
    assert.equal(badResult.status, 'rejected');
    assert.equal((await collection.findOne({ _id: bad }))?.answers, 'not an object');
  });

  it('When the database cannot be reached, then every save of the batch is rejected', async () => {
    const failing = createAnswerWriter({
      bulkWrite: () => Promise.reject(new Error('connection lost')),
    } as unknown as mongoose.mongo.Collection<mongoose.mongo.Document>);
    const results = await Promise.allSettled([1, 2, 3].map(() => failing.write({ responseId: new mongoose.Types.ObjectId(), revision: 0, update: setAnswer('q1', 'x') })));
    assert.ok(results.every((result) => result.status === 'rejected' && /connection lost/.test(String(result.reason))));
  });
});
