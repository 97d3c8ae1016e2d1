/**
 * Text indexes and `$text` through the official driver, as mongod 7 answers them: the index's listed form,
 * English and Swedish stemming, stop words, case and diacritic folding, per-document languages, phrases and
 * negation, weights and the scores themselves, `{$meta: 'textScore'}` in find and aggregation, index upkeep,
 * transactions, explain, and mongod's errors. Expected scores follow mongod's formula (per string: weight ×
 * frequency × (0.5 × count / terms + 0.5), × 1.1 when the string is exactly the term).
 */
import assert from 'node:assert/strict';
import type { Collection, Db, Document, Filter, MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

type Doc = { _id: number; [field: string]: unknown };

/** A filter the driver's types would refuse (the point is to send it). */
const malformed = (filter: Document): Filter<Doc> => filter as Filter<Doc>;

/** `_id`s of the documents a search finds, in ascending order. */
async function found(coll: Collection<Doc>, search: string, options: Document = {}): Promise<number[]> {
  const docs = await coll.find({ $text: { $search: search, ...options } }).toArray();
  return docs.map((d) => d._id).sort((a, b) => a - b);
}

/** `[_id, score]` pairs, best first. */
async function scored(coll: Collection<Doc>, search: string): Promise<Array<[number, number]>> {
  const docs = await coll
    .find({ $text: { $search: search } }, { projection: { score: { $meta: 'textScore' } } })
    .sort({ score: { $meta: 'textScore' }, _id: 1 })
    .toArray();
  return docs.map((d) => [d._id, d.score as number]);
}

function assertScores(actual: Array<[number, number]>, expected: Array<[number, number]>): void {
  assert.deepEqual(actual.map(([id]) => id), expected.map(([id]) => id), JSON.stringify(actual));
  actual.forEach(([, score], i) => assert.ok(Math.abs(score - expected[i][1]) < 1e-9, `score of ${expected[i][0]}: ${score} vs ${expected[i][1]}`));
}

/** Every stage name in a plan tree. */
function stageNames(plan: Document): string[] {
  const children = [plan.inputStage, ...((plan.inputStages as Document[] | undefined) ?? [])].filter(Boolean) as Document[];
  return [String(plan.stage), ...children.flatMap(stageNames)];
}

describe('text search (conformance)', function () {
  let client: MongoClient;
  let db: Db;
  let counter = 0;

  /** A fresh collection with a text index and documents. */
  async function collection(key: Document, docs: Doc[], options: Document = {}): Promise<Collection<Doc>> {
    const coll = db.collection<Doc>(`c${counter++}`);
    await coll.createIndex(key, options);
    if (docs.length > 0) await coll.insertMany(docs);
    return coll;
  }

  before(async function () {
    const target = await connectTestClient('text');
    client = target.client;
    db = client.db(target.dbName);
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  it('When a text index is created, then listIndexes shows mongod\'s form with weights and language options', async function () {
    const coll = await collection({ name: 'text', products: 'text' }, [], { weights: { name: 10 }, default_language: 'swedish' });
    const spec = (await coll.indexes()).find((ix) => ix.name === 'name_text_products_text');
    assert.ok(spec, 'index listed');
    assert.deepEqual(spec.key, { _fts: 'text', _ftsx: 1 });
    assert.deepEqual(spec.weights, { name: 10, products: 1 });
    assert.equal(spec.default_language, 'swedish');
    assert.equal(spec.language_override, 'language');
    assert.equal(spec.textIndexVersion, 3);
  });

  it('When English text is searched, then stemming, stop words, case and diacritics are folded away', async function () {
    const coll = await collection({ name: 'text' }, [
      { _id: 1, name: 'Running shoes for runners' },
      { _id: 2, name: 'She runs a café' },
      { _id: 3, name: 'The ran' },
      { _id: 4, name: 'CAFE CULTURE' },
    ]);
    assert.deepEqual(await found(coll, 'run'), [1, 2]);
    assert.deepEqual(await found(coll, 'RUNNING'), [1, 2]);
    assert.deepEqual(await found(coll, 'cafe'), [2, 4]);
    assert.deepEqual(await found(coll, 'café'), [2, 4]);
    assert.deepEqual(await found(coll, 'the for a'), []);
  });

  it('When Swedish text is searched, then Swedish stems meet and å, ä, ö fold to a, a, o', async function () {
    const coll = await collection(
      { name: 'text' },
      [
        { _id: 1, name: 'Leverantör av kläder' },
        { _id: 2, name: 'Leverantörerna av möbler' },
        { _id: 3, name: 'Hållbara produkter från Åre' },
        { _id: 4, name: 'och i på' },
      ],
      { default_language: 'swedish' },
    );
    assert.deepEqual(await found(coll, 'leverantörer'), [1, 2]);
    assert.deepEqual(await found(coll, 'klader'), [1]);
    assert.deepEqual(await found(coll, 'MÖBLER'), [2]);
    assert.deepEqual(await found(coll, 'hållbarhet produkten'), [3]);
    assert.deepEqual(await found(coll, 'are'), [3]);
    assert.deepEqual(await found(coll, 'och'), []);
  });

  it('When documents name their own language, then they are indexed in it and $language picks the query\'s', async function () {
    const coll = await collection({ name: 'text' }, [
      { _id: 1, name: 'kläderna', language: 'swedish' },
      { _id: 2, name: 'kläderna' },
      { _id: 3, name: 'running', language: 'none' },
    ]);
    assert.deepEqual(await found(coll, 'kläder', { $language: 'swedish' }), [1]);
    assert.deepEqual(await found(coll, 'kläderna'), [2]);
    assert.deepEqual(await found(coll, 'run'), []);
    assert.deepEqual(await found(coll, 'running', { $language: 'none' }), [3]);
  });

  it('When a search has phrases and negations, then phrases must appear and negated words and phrases must not', async function () {
    const coll = await collection({ name: 'text', notes: 'text' }, [
      { _id: 1, name: 'Fair trade coffee', notes: 'organic beans' },
      { _id: 2, name: 'Instant coffee', notes: 'fair price' },
      { _id: 3, name: 'Green tea', notes: 'fair trade' },
    ]);
    assert.deepEqual(await found(coll, '"fair trade"'), [1, 3]);
    assert.deepEqual(await found(coll, '"FAIR TRADE" coffee'), [1, 3]);
    assert.deepEqual(await found(coll, '"FAIR TRADE" -tea'), [1]);
    assert.deepEqual(await found(coll, 'coffee -instant'), [1]);
    assert.deepEqual(await found(coll, 'fair -"green tea"'), [1, 2]);
    assert.deepEqual(await found(coll, 'coffee -organic -instant'), []);
    assert.deepEqual(await found(coll, '-coffee'), []);
  });

  it('When fields have weights, then scores follow mongod\'s formula and order the results', async function () {
    const coll = await collection({ name: 'text', products: 'text' }, [
      { _id: 1, name: 'Acme Coffee', products: 'coffee and tea' },
      { _id: 2, name: 'Tea House', products: 'coffee' },
      { _id: 3, name: 'coffee', products: 'coffee coffee coffee' },
      { _id: 4, name: 'Shop', products: 'cups' },
    ], { weights: { name: 10 } });
    assertScores(await scored(coll, 'coffee'), [[3, 11.75], [1, 8.25], [2, 1]]);
    assertScores(await scored(coll, 'coffee tea'), [[1, 9], [2, 8.5], [3, 11.75]].sort((a, b) => b[1] - a[1]) as Array<[number, number]>);
    assertScores(await scored(coll, 'shop'), [[4, 11]]);
  });

  it('When the text score is used in an aggregation, then $match with $text feeds $sort, $project and $group', async function () {
    const coll = await collection({ name: 'text' }, [
      { _id: 1, name: 'cotton', kind: 'a' },
      { _id: 2, name: 'cotton shirts', kind: 'a' },
      { _id: 3, name: 'cotton cotton', kind: 'b' },
      { _id: 4, name: 'wool', kind: 'b' },
    ]);
    const ranked = await coll
      .aggregate([{ $match: { $text: { $search: 'cotton' } } }, { $sort: { s: { $meta: 'textScore' } } }, { $project: { s: { $meta: 'textScore' } } }])
      .toArray();
    assert.deepEqual(ranked, [{ _id: 3, s: 1.5 }, { _id: 1, s: 1.1 }, { _id: 2, s: 0.75 }]);
    const grouped = await coll
      .aggregate([{ $match: { $text: { $search: 'cotton' } } }, { $group: { _id: '$kind', best: { $max: { $meta: 'textScore' } } } }, { $sort: { _id: 1 } }])
      .toArray();
    assert.deepEqual(grouped, [{ _id: 'a', best: 1.1 }, { _id: 'b', best: 1.5 }]);
  });

  it('When $caseSensitive or $diacriticSensitive is set, then the words must match in that exact form', async function () {
    const coll = await collection({ name: 'text' }, [
      { _id: 1, name: 'Café Lund' },
      { _id: 2, name: 'cafe lund' },
      { _id: 3, name: 'CAFÉ' },
    ]);
    assert.deepEqual(await found(coll, 'café'), [1, 2, 3]);
    assert.deepEqual(await found(coll, 'café', { $diacriticSensitive: true }), [1, 3]);
    assert.deepEqual(await found(coll, 'Café', { $caseSensitive: true }), [1]);
    assert.deepEqual(await found(coll, '"Lund"', { $caseSensitive: true }), [1]);
  });

  it('When documents are updated, replaced or deleted, then searches follow at once', async function () {
    const coll = await collection({ name: 'text' }, [
      { _id: 1, name: 'cotton' },
      { _id: 2, name: 'wool' },
    ]);
    await coll.updateOne({ _id: 1 }, { $set: { name: 'silk' } });
    await coll.replaceOne({ _id: 2 }, { name: 'cotton wool' });
    await coll.insertOne({ _id: 3, name: 'Cotton' });
    assert.deepEqual(await found(coll, 'cotton'), [2, 3]);
    assert.deepEqual(await found(coll, 'silk'), [1]);
    await coll.deleteOne({ _id: 3 });
    assert.deepEqual(await found(coll, 'cotton'), [2]);
    assert.equal(await coll.countDocuments({ $text: { $search: 'wool silk' } }), 2);
    const updated = await coll.updateMany({ $text: { $search: 'wool' } }, { $set: { tagged: true } });
    assert.equal(updated.modifiedCount, 1);
  });

  it('When a transaction searches, then it sees its own writes with their scores', async function () {
    const coll = await collection({ name: 'text' }, [{ _id: 1, name: 'cotton shirts' }]);
    const session = client.startSession();
    try {
      await session.withTransaction(async () => {
        await coll.insertOne({ _id: 2, name: 'cotton' }, { session });
        await coll.updateOne({ _id: 1 }, { $set: { name: 'linen' } }, { session });
        const inside = await coll.find({ $text: { $search: 'cotton' } }, { session, projection: { score: { $meta: 'textScore' } } }).toArray();
        assert.deepEqual(inside, [{ _id: 2, name: 'cotton', score: 1.1 }]);
      });
    } finally {
      await session.endSession();
    }
    assert.deepEqual(await found(coll, 'cotton'), [2]);
  });

  it('When a text index has a prefix field, then a search needs its equality and stays within it', async function () {
    const coll = await collection({ supplier: 1, name: 'text' }, [
      { _id: 1, supplier: 'a', name: 'cotton' },
      { _id: 2, supplier: 'b', name: 'cotton' },
    ]);
    const docs = await coll.find({ supplier: 'b', $text: { $search: 'cotton' } }).toArray();
    assert.deepEqual(docs.map((d) => d._id), [2]);
    await rejectsWithCode(coll.find({ $text: { $search: 'cotton' } }).toArray(), 291, /failed to use text index to satisfy \$text query/);
  });

  it('When a $text query is explained, then the plan has a TEXT stage on the text index', async function () {
    const coll = await collection({ name: 'text' }, [{ _id: 1, name: 'cotton wool' }]);
    const explained = (await coll.find({ $text: { $search: 'cotton wool' } }).explain('queryPlanner')) as Document;
    const names = stageNames(explained.queryPlanner.winningPlan as Document);
    assert.ok(names.some((name) => name.startsWith('TEXT')), names.join(' '));
  });

  it('When the text index is missing or doubled, then 27 and 85; a text index cannot take a collation (67)', async function () {
    const plain = db.collection<Doc>(`c${counter++}`);
    await plain.insertOne({ _id: 1, name: 'cotton' });
    await rejectsWithCode(plain.find({ $text: { $search: 'cotton' } }).toArray(), 27, /text index required for \$text query/);
    const coll = await collection({ name: 'text' }, []);
    await rejectsWithCode(coll.createIndex({ products: 'text' }), 85);
    await rejectsWithCode(db.collection(`c${counter++}`).createIndex({ name: 'text' }, { collation: { locale: 'sv' } }), 67, /does not support collation/);
    const collated = `c${counter++}`;
    await db.createCollection(collated, { collation: { locale: 'sv' } });
    await rejectsWithCode(db.collection(collated).createIndex({ name: 'text' }), 67, /does not support collation/);
    await db.collection(collated).createIndex({ name: 'text' }, { collation: { locale: 'simple' } });
  });

  it('When $text is misplaced or malformed, then mongod\'s errors come back', async function () {
    const coll = await collection({ name: 'text' }, [{ _id: 1, name: 'cotton', items: [{ a: 1 }] }]);
    const search = { $search: 'cotton' };
    await rejectsWithCode(coll.find({ $and: [{ $text: search }, { $text: search }] }).toArray(), 2, /Too many text expressions/);
    await rejectsWithCode(coll.find({ $nor: [{ $text: search }] }).toArray(), 2, /text expression not allowed in nor/);
    await rejectsWithCode(coll.find({ items: { $elemMatch: { $text: search } } }).toArray(), 2, /\$text can only be applied to the top-level document/);
    await rejectsWithCode(coll.find(malformed({ $text: { $search: 5 } })).toArray(), 14);
    await rejectsWithCode(coll.find(malformed({ $text: {} })).toArray(), 4);
    await rejectsWithCode(coll.find(malformed({ $text: { $search: 'x', $bogus: 1 } })).toArray(), 2, /extra fields in \$text/);
    await rejectsWithCode(coll.find({ $text: { $search: 'x', $language: 'klingon' } }).toArray(), 2, /unsupported language/);
    await rejectsWithCode(coll.aggregate([{ $match: { _id: 1 } }, { $match: { $text: search } }]).toArray(), 17313);
  });

  it('When the text score is asked for without $text, then 40218', async function () {
    const coll = await collection({ name: 'text' }, [{ _id: 1, name: 'cotton' }]);
    await rejectsWithCode(coll.find({}, { projection: { s: { $meta: 'textScore' } } }).toArray(), 40218);
    await rejectsWithCode(coll.find({}).sort({ s: { $meta: 'textScore' } }).toArray(), 40218);
    await rejectsWithCode(coll.aggregate([{ $match: {} }, { $sort: { s: { $meta: 'textScore' } } }]).toArray(), 40218);
  });

  it('When a document has a language field mongod does not know, then the write fails with 17262', async function () {
    const coll = await collection({ name: 'text' }, []);
    await rejectsWithCode(coll.insertOne({ _id: 1, name: 'x', language: 'klingon' }), 17262);
    assert.equal(await coll.countDocuments(), 0);
  });
});
