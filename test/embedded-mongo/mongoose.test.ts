/** mongoose 9 end to end against the server: the features the app relies on. */
import assert from 'node:assert/strict';
import mongoose, { Schema, type Connection } from 'mongoose';
import { dropAndClose, openMongooseConnection } from '../helpers/mongoose-target';

describe('mongoose end to end', function () {
  this.timeout(60_000);
  let conn: Connection;

  before(async function () {
    conn = await openMongooseConnection('mongoose');
  });

  after(async function () {
    await dropAndClose(conn);
  });

  interface Supplier {
    name: string;
    email: string;
    country: string;
    employees?: number;
    createdAt?: Date;
    updatedAt?: Date;
  }

  function supplierModel() {
    const schema = new Schema<Supplier>(
      {
        name: { type: String, required: true, minlength: 2 },
        email: { type: String, required: true, unique: true, lowercase: true },
        country: { type: String, enum: ['SE', 'VN', 'IN', 'BD'], required: true },
        employees: { type: Number, min: 0 },
      },
      { timestamps: true, toJSON: { virtuals: true } },
    );
    schema.virtual('label').get(function (this: Supplier) {
      return `${this.name} (${this.country})`;
    });
    schema.virtual('assessments', { ref: 'Assessment', localField: '_id', foreignField: 'supplier' });
    return conn.models.Supplier ?? conn.model<Supplier>('Supplier', schema);
  }

  function assessmentModel() {
    const schema = new Schema(
      { supplier: { type: Schema.Types.ObjectId, ref: 'Supplier', required: true }, score: Number, status: String },
      { discriminatorKey: 'kind', timestamps: true },
    );
    const Assessment = conn.models.Assessment ?? conn.model('Assessment', schema);
    if (!Assessment.discriminators?.Audit) {
      Assessment.discriminator('Audit', new Schema({ auditor: { type: String, required: true } }));
    }
    return Assessment;
  }

  it('validates schemas client-side and enforces a unique index with the duplicate-key error', async function () {
    const Supplier = supplierModel();
    await Supplier.init();
    await assert.rejects(Supplier.create({ name: 'x', email: 'a@x.se', country: 'SE' }), mongoose.Error.ValidationError);
    await Supplier.create({ name: 'Acme', email: 'Info@Acme.se', country: 'SE', employees: 12 });
    await assert.rejects(Supplier.create({ name: 'Acme 2', email: 'info@acme.se', country: 'SE' }), (err: { code?: number }) => err.code === 11000);
  });

  it('sets timestamps and exposes virtuals; lean returns plain objects', async function () {
    const Supplier = supplierModel();
    const doc = await Supplier.findOne({ email: 'info@acme.se' });
    assert.ok(doc);
    assert.ok(doc.createdAt instanceof Date && doc.updatedAt instanceof Date);
    assert.equal(doc.get('label'), 'Acme (SE)');
    const before = doc.updatedAt as Date;
    await new Promise((r) => setTimeout(r, 5));
    doc.employees = 13;
    await doc.save();
    assert.ok((doc.updatedAt as Date).getTime() > before.getTime());
    const lean = await Supplier.findOne({ email: 'info@acme.se' }).lean();
    assert.ok(lean && !(lean instanceof mongoose.Document));
    assert.equal(lean.employees, 13);
  });

  it('populates references and virtual populate; discriminators store and filter by kind', async function () {
    const Supplier = supplierModel();
    const Assessment = assessmentModel();
    const supplier = await Supplier.findOne({ email: 'info@acme.se' }).orFail();
    await Assessment.create({ supplier: supplier._id, score: 80, status: 'done' });
    const Audit = Assessment.discriminators?.Audit;
    assert.ok(Audit);
    await Audit.create({ supplier: supplier._id, score: 40, status: 'open', auditor: 'Eva' });
    await assert.rejects(Audit.create({ supplier: supplier._id, score: 1 }), mongoose.Error.ValidationError);

    const audits = await Audit.find().populate('supplier').lean();
    assert.equal(audits.length, 1);
    assert.equal((audits[0] as { kind?: string }).kind, 'Audit');
    assert.equal((audits[0].supplier as unknown as Supplier).name, 'Acme');
    assert.equal(await Assessment.countDocuments(), 2);

    const withAssessments = await Supplier.findById(supplier._id).populate('assessments');
    assert.equal((withAssessments?.get('assessments') as unknown[]).length, 2);
  });

  it('findOneAndUpdate with upsert and $setOnInsert inserts once, then updates', async function () {
    const Supplier = supplierModel();
    const first = await Supplier.findOneAndUpdate(
      { email: 'new@vn.example' },
      { $set: { employees: 5 }, $setOnInsert: { name: 'Newco', country: 'VN' } },
      { upsert: true, returnDocument: 'after', runValidators: true },
    ).lean();
    assert.equal(first?.name, 'Newco');
    assert.equal(first?.employees, 5);
    const second = await Supplier.findOneAndUpdate(
      { email: 'new@vn.example' },
      { $set: { employees: 6 }, $setOnInsert: { name: 'Ignored' } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    assert.equal(second?.name, 'Newco');
    assert.equal(second?.employees, 6);
    assert.equal(String(second?._id), String(first?._id));
  });

  it('bulkWrite mixes inserts, updates, upserts and deletes', async function () {
    const Supplier = supplierModel();
    const result = await Supplier.bulkWrite([
      { insertOne: { document: { name: 'Bulk A', email: 'a@bulk.example', country: 'IN' } } },
      { insertOne: { document: { name: 'Bulk B', email: 'b@bulk.example', country: 'IN' } } },
      { updateOne: { filter: { email: 'a@bulk.example' }, update: { $set: { employees: 100 } } } },
      { updateOne: { filter: { email: 'c@bulk.example' }, update: { $set: { name: 'Bulk C', country: 'BD' } }, upsert: true } },
      { deleteOne: { filter: { email: 'b@bulk.example' } } },
    ]);
    assert.equal(result.insertedCount, 2);
    assert.equal(result.modifiedCount, 1);
    assert.equal(result.upsertedCount, 1);
    assert.equal(result.deletedCount, 1);
    assert.equal(await Supplier.countDocuments({ email: /bulk\.example$/ }), 2);
  });

  it('aggregates with $lookup, $group and $facet', async function () {
    const Supplier = supplierModel();
    const rows = await Supplier.aggregate([
      { $lookup: { from: 'assessments', localField: '_id', foreignField: 'supplier', as: 'assessments' } },
      {
        $facet: {
          byCountry: [{ $group: { _id: '$country', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
          assessed: [{ $match: { 'assessments.0': { $exists: true } } }, { $project: { _id: 0, name: 1, count: { $size: '$assessments' } } }],
        },
      },
    ]);
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].assessed, [{ name: 'Acme', count: 2 }]);
    const se = rows[0].byCountry.find((r: { _id: string }) => r._id === 'SE');
    assert.equal(se.n, 1);
  });

  it('countDocuments and estimatedDocumentCount agree', async function () {
    const Supplier = supplierModel();
    const counted = await Supplier.countDocuments();
    assert.ok(counted >= 4);
    assert.equal(await Supplier.estimatedDocumentCount(), counted);
    assert.equal(await Supplier.countDocuments({ country: 'IN' }), 1);
  });

  it('Model.cursor() streams 10,000 documents in order', async function () {
    const Item = conn.model('StreamItem', new Schema({ i: { type: Number, index: true } }));
    await Item.init();
    const docs = Array.from({ length: 10_000 }, (_, i) => ({ i }));
    await Item.insertMany(docs, { lean: true });
    let expected = 0;
    for await (const doc of Item.find().sort({ i: 1 }).cursor({ batchSize: 500 })) {
      assert.equal(doc.i, expected++);
    }
    assert.equal(expected, 10_000);
  });

  it('syncIndexes creates missing indexes and drops ones no longer in the schema', async function () {
    const collection = conn.collection('indexed_things');
    await conn.createCollection('indexed_things');
    await collection.createIndex({ obsolete: 1 });
    const schema = new Schema({ a: String, b: Number }, { autoIndex: false });
    schema.index({ a: 1, b: -1 });
    const Thing = conn.model('IndexedThing', schema, 'indexed_things');
    const dropped = await Thing.syncIndexes();
    assert.deepEqual(dropped, ['obsolete_1']);
    const names = (await collection.indexes()).map((i) => i.name).sort();
    assert.deepEqual(names, ['_id_', 'a_1_b_-1']);
  });

  it('When a schema has a text index, then $text finds by stemmed words and sorts by textScore; syncIndexes keeps the index', async function () {
    const schema = new Schema({ name: String, products: String });
    schema.index({ name: 'text', products: 'text' }, { weights: { name: 5 }, name: 'supplier_search' });
    const Listed = conn.model('ListedSupplier', schema, 'listed_suppliers');
    await Listed.init();
    await Listed.create([
      { name: 'Nordic Textiles', products: 'cotton shirts and towels' },
      { name: 'Cotton Mill', products: 'cotton yarn' },
      { name: 'Steel Works', products: 'steel beams' },
    ]);
    const found = await Listed.find({ $text: { $search: 'textile cottons' } }, { score: { $meta: 'textScore' } })
      .sort({ score: { $meta: 'textScore' } })
      .lean<Array<{ name: string; score: number }>>();
    assert.deepEqual(found.map((doc) => doc.name), ['Cotton Mill', 'Nordic Textiles']);
    assert.ok(found[0].score > found[1].score);
    assert.deepEqual(await Listed.syncIndexes(), []);
    const spec = (await Listed.collection.indexes()).find((index) => index.name === 'supplier_search');
    assert.deepEqual(spec?.weights, { name: 5, products: 1 });
  });
});
