/**
 * Find projections through the official driver (find and findOneAndUpdate).
 */
import assert from 'node:assert/strict';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

describe('conformance: projection', () => {
  let client: MongoClient;
  let db: Db;
  let answers: Collection;

  before(async () => {
    const target = await connectTestClient('projection');
    client = target.client;
    db = client.db(target.dbName);
    answers = db.collection('answers');
    await answers.insertOne({
      _id: 1 as unknown as never,
      supplier: 'Acme',
      status: 'submitted',
      meta: { lang: 'sv', version: 3 },
      items: [
        { q: 'wages', answer: 'yes', flagged: false },
        { q: 'overtime', answer: 'no', flagged: true },
        { q: 'passports', answer: 'no', flagged: true },
      ],
      scores: [10, 20, 30, 40],
    });
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  async function findOne(projection: Document, filter: Document = { _id: 1 }): Promise<Document | null> {
    return answers.findOne(filter, { projection });
  }

  function rejects(projection: Document, code: number, message: RegExp): Promise<void> {
    return rejectsWithCode(findOne(projection), code, message);
  }

  it('includes listed fields and _id', async () => {
    assert.deepEqual(await findOne({ supplier: 1, status: 1 }), { _id: 1, supplier: 'Acme', status: 'submitted' });
  });

  it('excludes _id on request', async () => {
    assert.deepEqual(await findOne({ _id: 0, supplier: 1 }), { supplier: 'Acme' });
  });

  it('excludes listed fields and keeps the others', async () => {
    const doc = await findOne({ items: 0, scores: 0, meta: 0 });
    assert.deepEqual(doc, { _id: 1, supplier: 'Acme', status: 'submitted' });
  });

  it('includes nested fields through arrays of subdocuments', async () => {
    assert.deepEqual(await findOne({ _id: 0, 'items.q': 1, 'meta.lang': 1 }), {
      meta: { lang: 'sv' },
      items: [{ q: 'wages' }, { q: 'overtime' }, { q: 'passports' }],
    });
  });

  it('excludes nested fields through arrays of subdocuments', async () => {
    const doc = await findOne({ 'items.flagged': 0, scores: 0, meta: 0, supplier: 0, status: 0 });
    assert.deepEqual(doc, {
      _id: 1,
      items: [
        { q: 'wages', answer: 'yes' },
        { q: 'overtime', answer: 'no' },
        { q: 'passports', answer: 'no' },
      ],
    });
  });

  it('$slice with a count, a negative count and [skip, limit]', async () => {
    assert.deepEqual((await findOne({ scores: { $slice: 2 }, _id: 0, supplier: 1 }))?.scores, [10, 20]);
    assert.deepEqual((await findOne({ scores: { $slice: -1 } }))?.scores, [40]);
    assert.deepEqual((await findOne({ scores: { $slice: [1, 2] } }))?.scores, [20, 30]);
  });

  it('$slice alone keeps the other fields', async () => {
    const doc = await findOne({ scores: { $slice: 1 } });
    assert.equal(doc?.supplier, 'Acme');
    assert.equal(doc?.items.length, 3);
  });

  it('$elemMatch returns the first matching element only', async () => {
    assert.deepEqual(await findOne({ items: { $elemMatch: { flagged: true } } }), {
      _id: 1,
      items: [{ q: 'overtime', answer: 'no', flagged: true }],
    });
  });

  it('positional $ returns the element the query matched', async () => {
    assert.deepEqual(await findOne({ 'items.$': 1 }, { 'items.q': 'passports' }), {
      _id: 1,
      items: [{ q: 'passports', answer: 'no', flagged: true }],
    });
    assert.deepEqual(await findOne({ _id: 0, 'scores.$': 1 }, { scores: { $gt: 25 } }), { scores: [30] });
  });

  it('computed fields from literals and expressions', async () => {
    assert.deepEqual(await findOne({ _id: 0, kind: 'answer', lang: '$meta.lang', n: { $size: '$items' } }), {
      kind: 'answer',
      lang: 'sv',
      n: 3,
    });
  });

  it('findOneAndUpdate honours the projection', async () => {
    const result = await answers.findOneAndUpdate({ _id: 1 as unknown as never }, { $set: { status: 'reviewed' } }, { projection: { status: 1 }, returnDocument: 'after' });
    assert.deepEqual(result, { _id: 1, status: 'reviewed' });
  });

  it('rejects an exclusion inside an inclusion projection (31254)', async () => {
    await rejects({ supplier: 1, status: 0 }, 31254, /Cannot do exclusion on field status in inclusion projection/);
  });

  it('rejects an inclusion inside an exclusion projection (31253)', async () => {
    await rejects({ status: 0, supplier: 1 }, 31253, /Cannot do inclusion on field supplier in exclusion projection/);
  });

  it('rejects colliding paths (31250)', async () => {
    await rejects({ meta: 1, 'meta.lang': 1 }, 31250, /Path collision at meta\.lang/);
  });
});
