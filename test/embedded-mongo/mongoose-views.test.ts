/** mongoose 9 end to end: a read-only model over a view. Runs against the embedded server or MONGODB_URI. */
import assert from 'node:assert/strict';
import { Schema, type Connection } from 'mongoose';
import { dropAndClose, openMongooseConnection } from '../helpers/mongoose-target';

describe('mongoose end to end: a model over a view', function () {
  let conn: Connection;

  before(async function () {
    conn = await openMongooseConnection('mongoose_views');
  });

  after(async function () {
    await dropAndClose(conn);
  });

  interface Supplier {
    name: string;
    country: string;
    risk: number;
  }

  it('When a model is defined over a view, then find and countDocuments read through it and writes are refused with 166', async function () {
    const Supplier = conn.model<Supplier>('Supplier', new Schema<Supplier>({ name: String, country: String, risk: Number }));
    await Supplier.init();
    await Supplier.insertMany([
      { name: 'Acme Textiles', country: 'SE', risk: 40 },
      { name: 'Bolt Electronics', country: 'CN', risk: 85 },
      { name: 'Cray Cotton', country: 'SE', risk: 95 },
    ]);
    await conn.db!.createCollection('highRiskSuppliers', {
      viewOn: Supplier.collection.collectionName,
      pipeline: [{ $match: { risk: { $gte: 50 } } }, { $set: { level: 'high' } }],
    });

    const HighRisk = conn.model('HighRisk', new Schema({ name: String, country: String, risk: Number, level: String }), 'highRiskSuppliers');
    await HighRisk.init();
    const found = await HighRisk.find({}, { _id: 0, name: 1, level: 1 }).sort({ risk: -1 }).lean();
    assert.deepEqual(found, [{ name: 'Cray Cotton', level: 'high' }, { name: 'Bolt Electronics', level: 'high' }]);
    assert.equal(await HighRisk.countDocuments(), 2);
    assert.equal(await HighRisk.countDocuments({ country: 'SE' }), 1);
    assert.equal(await HighRisk.estimatedDocumentCount(), 2);
    const one = await HighRisk.findOne({ country: 'CN' });
    assert.equal(one?.get('name'), 'Bolt Electronics');

    await assert.rejects(HighRisk.create({ name: 'Dune Logistics', country: 'SE', risk: 70 }), { code: 166 });
    await assert.rejects(HighRisk.updateMany({}, { $set: { risk: 0 } }), { code: 166 });
    assert.equal(await Supplier.countDocuments({ risk: 0 }), 0, 'nothing was written through the view');
  });
});
