/**
 * `$merge` through the official driver, as mongod 7 answers it: every whenMatched / whenNotMatched mode, `on` fields
 * and the unique index behind them, targets in the same or another database, and the refusals. Runs against the
 * embedded server, or a real MongoDB when MONGODB_URI is set.
 */
import assert from 'node:assert/strict';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode, serverError } from './server-errors';

describe('conformance: $merge', () => {
  let client: MongoClient;
  let dbName: string;
  let db: Db;
  let other: Db;
  let collectionCount = 0;

  before(async () => {
    ({ client, dbName } = await connectTestClient('merge'));
    db = client.db(dbName);
    other = client.db(`${dbName}_other`);
  });

  after(async () => {
    await db.dropDatabase();
    await other.dropDatabase();
    await client.close();
  });

  /** A fresh pair of collections: the aggregated `source` and the `target` (seeded when docs are given). */
  async function pair(sourceDocs: Document[], targetDocs: Document[] = []): Promise<{ source: Collection; target: Collection }> {
    collectionCount++;
    const source = db.collection(`source${collectionCount}`);
    const target = db.collection(`target${collectionCount}`);
    if (sourceDocs.length) await source.insertMany(sourceDocs);
    if (targetDocs.length) await target.insertMany(targetDocs);
    return { source, target };
  }

  async function contents(coll: Collection): Promise<Document[]> {
    return coll.find({}).sort({ _id: 1 }).toArray();
  }

  const suppliers = [
    { _id: 1, name: 'Acme Textiles', risk: 40 },
    { _id: 2, name: 'Bolt Electronics', risk: 85 },
  ];

  describe('modes', () => {
    it('When $merge names only a collection that does not exist, then it is created with every document and the cursor is empty', async () => {
      const { source, target } = await pair(suppliers);
      const cursor = source.aggregate([{ $merge: target.collectionName }]);
      assert.deepEqual(await cursor.toArray(), []);
      assert.deepEqual(await contents(target), suppliers);
      const reply = await db.command({ aggregate: source.collectionName, pipeline: [{ $merge: target.collectionName }], cursor: {} });
      assert.deepEqual(reply.cursor.firstBatch, []);
      assert.equal(reply.cursor.id.toString(), '0');
    });

    it('When the target is in another database, then the documents land there', async () => {
      const { source } = await pair(suppliers);
      await source.aggregate([{ $merge: { into: { db: other.databaseName, coll: 'scores' } } }]).toArray();
      assert.deepEqual(await contents(other.collection('scores')), suppliers);
      assert.ok((await other.listCollections({ name: 'scores' }).toArray()).length === 1);
    });

    it('When whenMatched is the default merge, then matched documents gain and overwrite fields and new ones are inserted with their fields in name order', async () => {
      const { source, target } = await pair(
        [{ _id: 1, risk: 50, reviewed: true }, { _id: 3, zone: 'EU', name: 'Cray Cotton' }],
        [{ _id: 1, name: 'Acme Textiles', risk: 40 }],
      );
      await source.aggregate([{ $merge: { into: target.collectionName } }]).toArray();
      const docs = await contents(target);
      assert.deepEqual(docs, [
        { _id: 1, name: 'Acme Textiles', risk: 50, reviewed: true },
        { _id: 3, name: 'Cray Cotton', zone: 'EU' },
      ]);
      // An upsert's $set adds new fields in lexicographic order (MongoDB 5.0 and later).
      assert.deepEqual(Object.keys(docs[1]), ['_id', 'name', 'zone']);
    });

    it('When whenMatched is replace, then a matched document is replaced whole', async () => {
      const { source, target } = await pair([{ _id: 1, risk: 50 }, { _id: 2, name: 'Bolt' }], [{ _id: 1, name: 'Acme', risk: 40 }]);
      await source.aggregate([{ $merge: { into: target.collectionName, whenMatched: 'replace', whenNotMatched: 'insert' } }]).toArray();
      assert.deepEqual(await contents(target), [{ _id: 1, risk: 50 }, { _id: 2, name: 'Bolt' }]);
    });

    it('When whenMatched is keepExisting, then matched documents stay as they were and new ones are inserted', async () => {
      const { source, target } = await pair([{ _id: 1, risk: 99 }, { _id: 2, risk: 10 }], [{ _id: 1, risk: 40 }]);
      await source.aggregate([{ $merge: { into: target.collectionName, whenMatched: 'keepExisting' } }]).toArray();
      assert.deepEqual(await contents(target), [{ _id: 1, risk: 40 }, { _id: 2, risk: 10 }]);
    });

    it('When whenMatched is fail and a document exists, then it fails with 11000 naming the on fields, after inserting the others of its batch', async () => {
      const { source, target } = await pair([{ _id: 1 }, { _id: 2 }], [{ _id: 1, kept: true }]);
      const err = await serverError(source.aggregate([{ $merge: { into: target.collectionName, whenMatched: 'fail' } }]).toArray());
      assert.equal(err.code, 11000);
      assert.match(err.message, /\$merge with whenMatched: fail found an existing document with the same values for the 'on' fields/);
      assert.match(err.message, /E11000 duplicate key error/);
      assert.deepEqual(err.errorResponse.keyPattern, { _id: 1 });
      assert.deepEqual(err.errorResponse.keyValue, { _id: 1 });
      assert.deepEqual(await contents(target), [{ _id: 1, kept: true }, { _id: 2 }]);
    });

    it('When whenNotMatched is discard, then only matched documents are written', async () => {
      const { source, target } = await pair([{ _id: 1, risk: 50 }, { _id: 2, risk: 10 }], [{ _id: 1, risk: 40 }]);
      await source.aggregate([{ $merge: { into: target.collectionName, whenMatched: 'replace', whenNotMatched: 'discard' } }]).toArray();
      assert.deepEqual(await contents(target), [{ _id: 1, risk: 50 }]);
    });

    it('When whenNotMatched is discard and the target does not exist, then nothing is created', async () => {
      const { source, target } = await pair(suppliers);
      await source.aggregate([{ $merge: { into: target.collectionName, whenNotMatched: 'discard' } }]).toArray();
      assert.equal((await db.listCollections({ name: target.collectionName }).toArray()).length, 0);
    });

    it('When whenNotMatched is fail and a document has no match, then it fails with 13113 and the matched ones of its batch are updated', async () => {
      const { source, target } = await pair([{ _id: 1, risk: 50 }, { _id: 2, risk: 10 }], [{ _id: 1, risk: 40 }]);
      await rejectsWithCode(
        source.aggregate([{ $merge: { into: target.collectionName, whenMatched: 'merge', whenNotMatched: 'fail' } }]).toArray(),
        13113,
        /\$merge could not find a matching document in the target collection for at least one document in the source collection/,
      );
      assert.deepEqual(await contents(target), [{ _id: 1, risk: 50 }]);
    });

    it('When whenMatched is a pipeline, then it runs on the matched target with $$new the source document, and an unmatched document is inserted as it is', async () => {
      const { source, target } = await pair([{ _id: 'acme', findings: 2 }, { _id: 'bolt', findings: 5 }], [{ _id: 'acme', findings: 3, audits: 1 }]);
      await source
        .aggregate([{ $merge: { into: target.collectionName, whenMatched: [{ $set: { findings: { $add: ['$findings', '$$new.findings'] }, audits: { $add: ['$audits', 1] } } }] } }])
        .toArray();
      assert.deepEqual(await contents(target), [{ _id: 'acme', findings: 5, audits: 2 }, { _id: 'bolt', findings: 5 }]);
    });

    it('When a pipeline whenMatched has let variables, then they are evaluated against the source document', async () => {
      const { source, target } = await pair([{ _id: 1, score: 7 }], [{ _id: 1, best: 5 }]);
      await source
        .aggregate([
          {
            $merge: {
              into: target.collectionName,
              let: { incoming: '$score', label: { $concat: ['score ', { $toString: '$score' }] } },
              whenMatched: [{ $set: { best: { $max: ['$best', '$$incoming'] }, label: '$$label' } }],
              whenNotMatched: 'discard',
            },
          },
        ])
        .toArray();
      assert.deepEqual(await contents(target), [{ _id: 1, best: 7, label: 'score 7' }]);
    });

    it('When the aggregation has a let, then the whenMatched pipeline sees those variables too', async () => {
      const { source, target } = await pair([{ _id: 1 }], [{ _id: 1 }]);
      await source.aggregate([{ $merge: { into: target.collectionName, whenMatched: [{ $set: { by: '$$reviewer' } }] } }], { let: { reviewer: 'auditor' } }).toArray();
      assert.deepEqual(await contents(target), [{ _id: 1, by: 'auditor' }]);
    });

    it('When a source document has no _id, then one is generated for it', async () => {
      const { source, target } = await pair([{ _id: 1, name: 'Acme' }]);
      await source.aggregate([{ $project: { _id: 0, name: 1 } }, { $merge: target.collectionName }]).toArray();
      const [doc] = await target.find({}).toArray();
      assert.equal(doc.name, 'Acme');
      assert.equal(doc._id?.constructor?.name, 'ObjectId');
    });
  });

  describe('on fields', () => {
    it('When on names a field with a unique index, then documents are matched on it', async () => {
      const { source, target } = await pair([{ _id: 10, email: 'ops@acme.example', risk: 50 }], [{ _id: 1, email: 'ops@acme.example', risk: 40 }]);
      await target.createIndex({ email: 1 }, { unique: true });
      await source.aggregate([{ $project: { _id: 0, email: 1, risk: 1 } }, { $merge: { into: target.collectionName, on: 'email' } }]).toArray();
      assert.deepEqual(await contents(target), [{ _id: 1, email: 'ops@acme.example', risk: 50 }]);
    });

    it('When on names several fields, then a compound unique index on them in any order backs it', async () => {
      const { source, target } = await pair([{ _id: 10, country: 'SE', vat: '556', name: 'Acme AB' }, { _id: 11, country: 'NO', vat: '556', name: 'Acme AS' }]);
      await target.createIndex({ vat: 1, country: -1 }, { unique: true });
      const pipeline = [{ $project: { _id: 0 } }, { $merge: { into: target.collectionName, on: ['country', 'vat'], whenMatched: 'replace' } }];
      await source.aggregate(pipeline).toArray();
      await source.aggregate(pipeline).toArray();
      const docs = await target.find({}, { projection: { _id: 0 } }).sort({ country: 1 }).toArray();
      assert.deepEqual(docs, [{ country: 'NO', vat: '556', name: 'Acme AS' }, { country: 'SE', vat: '556', name: 'Acme AB' }]);
    });

    it('When on names a dotted path, then the nested value identifies the document', async () => {
      const { source, target } = await pair([{ _id: 1, supplier: { vat: 'SE1' }, risk: 3 }], [{ _id: 1, supplier: { vat: 'SE1' }, risk: 1 }]);
      await target.createIndex({ 'supplier.vat': 1 }, { unique: true });
      await source.aggregate([{ $merge: { into: target.collectionName, on: 'supplier.vat' } }]).toArray();
      assert.deepEqual(await contents(target), [{ _id: 1, supplier: { vat: 'SE1' }, risk: 3 }]);
    });

    it('When no unique index backs the on fields, then it fails with 51183 before writing anything', async () => {
      const { source, target } = await pair(suppliers, [{ _id: 9, name: 'x' }]);
      const merge = (on: string | string[]) => source.aggregate([{ $merge: { into: target.collectionName, on } }]).toArray();
      await rejectsWithCode(merge('name'), 51183, /Cannot find index to verify that join fields will be unique/);
      await target.createIndex({ name: 1 });
      await rejectsWithCode(merge('name'), 51183);
      await target.createIndex({ name: 1, risk: 1 }, { unique: true });
      await rejectsWithCode(merge('name'), 51183);
      await rejectsWithCode(merge(['name', 'risk', '_id']), 51183);
      await target.createIndex({ risk: 1 }, { unique: true, partialFilterExpression: { risk: { $gt: 10 } } });
      await rejectsWithCode(merge('risk'), 51183);
      await rejectsWithCode(merge(['name', 'name']), 31465);
      await rejectsWithCode(source.aggregate([{ $merge: { into: 'noSuchCollection', on: 'name' } }]).toArray(), 51183);
      assert.deepEqual(await contents(target), [{ _id: 9, name: 'x' }]);
    });

    it('When the unique index has another collation than the aggregation, then it cannot back the on fields', async () => {
      const { source, target } = await pair([{ _id: 1, name: 'Acme' }]);
      await target.createIndex({ name: 1 }, { unique: true, collation: { locale: 'sv', strength: 2 } });
      const pipeline = [{ $project: { _id: 0, name: 1 } }, { $merge: { into: target.collectionName, on: 'name' } }];
      await rejectsWithCode(source.aggregate(pipeline).toArray(), 51183);
      await source.aggregate(pipeline, { collation: { locale: 'sv', strength: 2 } }).toArray();
      await source.aggregate([{ $project: { _id: 0, name: 'ACME' } }, { $merge: { into: target.collectionName, on: 'name', whenMatched: 'replace' } }], { collation: { locale: 'sv', strength: 2 } }).toArray();
      assert.deepEqual((await target.find({}, { projection: { _id: 0 } }).toArray()), [{ name: 'ACME' }]);
    });

    it('When an on field is missing, null or an array in a source document, then it fails with 51132 or 51185', async () => {
      const { source, target } = await pair([{ _id: 1, tags: ['a', 'b'], note: null }]);
      await target.createIndex({ code: 1 }, { unique: true });
      await target.createIndex({ tags: 1 }, { unique: true });
      await target.createIndex({ note: 1 }, { unique: true });
      await rejectsWithCode(source.aggregate([{ $merge: { into: target.collectionName, on: 'code' } }]).toArray(), 51132, /'on' field 'code' cannot be missing, null, undefined or an array/);
      await rejectsWithCode(source.aggregate([{ $merge: { into: target.collectionName, on: 'note' } }]).toArray(), 51132);
      await rejectsWithCode(source.aggregate([{ $merge: { into: target.collectionName, on: 'tags' } }]).toArray(), 51185, /'on' field 'tags' is an array/);
    });

    it('When a merged document would change the _id of its match, then it fails with 66 and mongod’s hint', async () => {
      const { source, target } = await pair([{ _id: 10, email: 'ops@acme.example' }], [{ _id: 1, email: 'ops@acme.example' }]);
      await target.createIndex({ email: 1 }, { unique: true });
      await rejectsWithCode(
        source.aggregate([{ $merge: { into: target.collectionName, on: 'email', whenMatched: 'replace' } }]).toArray(),
        66,
        /\$merge failed to update the matching document, did you attempt to modify the _id or the shard key\?/,
      );
    });

    it('When a write breaks another unique index, then it fails with 11000 carrying keyPattern and keyValue', async () => {
      const { source, target } = await pair([{ _id: 2, email: 'ops@acme.example' }], [{ _id: 1, email: 'ops@acme.example' }]);
      await target.createIndex({ email: 1 }, { unique: true });
      const err = await serverError(source.aggregate([{ $merge: target.collectionName }]).toArray());
      assert.equal(err.code, 11000);
      assert.match(err.message, /\$merge failed due to a DuplicateKey error/);
      assert.deepEqual(err.errorResponse.keyPattern, { email: 1 });
      assert.deepEqual(err.errorResponse.keyValue, { email: 'ops@acme.example' });
    });
  });

  describe('the aggregated collection as target', () => {
    it('When $merge writes into the collection it reads, then every document is updated once', async () => {
      const { source } = await pair([{ _id: 1, visits: 1 }, { _id: 2, visits: 5 }]);
      await source.aggregate([{ $merge: { into: source.collectionName, whenMatched: [{ $set: { visits: { $add: ['$visits', 1] } } }] } }]).toArray();
      assert.deepEqual(await contents(source), [{ _id: 1, visits: 2 }, { _id: 2, visits: 6 }]);
    });

    it('When $merge into the collection it reads uses whenMatched fail, then every document meets itself and it fails with 11000', async () => {
      const { source } = await pair([{ _id: 1 }]);
      await rejectsWithCode(source.aggregate([{ $merge: { into: source.collectionName, whenMatched: 'fail' } }]).toArray(), 11000);
      assert.deepEqual(await contents(source), [{ _id: 1 }]);
    });
  });

  describe('refusals', () => {
    let source: Collection;

    before(async () => {
      ({ source } = await pair(suppliers));
    });

    function rejects(pipeline: Document[], code: number, message?: RegExp): Promise<void> {
      return rejectsWithCode(source.aggregate(pipeline).toArray(), code, message);
    }

    it('When $merge is not the last stage, or sits inside $lookup, $facet or $unionWith, then it fails with mongod’s codes', async () => {
      await rejects([{ $merge: 'x' }, { $match: {} }], 40601, /\$merge can only be the final stage in the pipeline/);
      await rejects([{ $lookup: { from: 'x', pipeline: [{ $merge: 'y' }], as: 'joined' } }], 51047);
      await rejects([{ $facet: { written: [{ $merge: 'y' }] } }], 40600);
      await rejects([{ $unionWith: { coll: 'x', pipeline: [{ $merge: 'y' }] } }], 31441);
    });

    it('When the modes or fields are malformed, then it fails with mongod’s codes', async () => {
      await rejects([{ $merge: 5 }], 14);
      await rejects([{ $merge: { on: '_id' } }], 40414);
      await rejects([{ $merge: { into: 'x', upsert: true } }], 40415);
      await rejects([{ $merge: { into: 5 } }], 51178);
      await rejects([{ $merge: { into: '' } }], 5786800);
      await rejects([{ $merge: { into: 'x', on: 5 } }], 51186);
      await rejects([{ $merge: { into: 'x', on: [] } }], 51187);
      await rejects([{ $merge: { into: 'x', on: ['a', 1] } }], 51134);
      await rejects([{ $merge: { into: 'x', whenMatched: 5 } }], 51191);
      await rejects([{ $merge: { into: 'x', whenMatched: 'overwrite' } }], 2);
      await rejects([{ $merge: { into: 'x', whenNotMatched: 'ignore' } }], 2);
      await rejects([{ $merge: { into: 'x', whenMatched: 'keepExisting', whenNotMatched: 'fail' } }], 51181, /Combination of \$merge modes 'whenMatched: keepExisting' and 'whenNotMatched: fail' is not supported/);
      await rejects([{ $merge: { into: 'x', whenMatched: 'fail', whenNotMatched: 'discard' } }], 51181);
      await rejects([{ $merge: { into: 'x', whenMatched: 'replace', let: { a: 1 } } }], 51199);
      await rejects([{ $merge: { into: 'x', whenMatched: [], let: { new: '$other' } } }], 51273);
    });

    it('When the target is a system collection or an internal database, then it fails with 31319 or 31320', async () => {
      await rejects([{ $merge: { into: 'system.js' } }], 31319);
      await rejects([{ $merge: { into: { db: 'admin', coll: 'x' } } }], 31320);
    });

    it('When $merge runs inside a transaction, then it fails with 263 and writes nothing', async () => {
      const session = client.startSession();
      try {
        session.startTransaction();
        await rejectsWithCode(source.aggregate([{ $merge: 'fromTransaction' }], { session }).toArray(), 263, /\$merge cannot be used in a transaction/);
      } finally {
        await session.abortTransaction().catch(() => undefined);
        await session.endSession();
      }
      assert.equal(await db.collection('fromTransaction').countDocuments(), 0);
    });

    it('When the read concern is linearizable, then $merge fails with 72', async () => {
      await rejectsWithCode(
        db.command({ aggregate: source.collectionName, pipeline: [{ $merge: 'linearized' }], cursor: {}, readConcern: { level: 'linearizable' } }),
        72,
        /\$merge cannot be used with a 'linearizable' read concern level/,
      );
      assert.equal(await db.collection('linearized').countDocuments(), 0);
    });
  });
});
