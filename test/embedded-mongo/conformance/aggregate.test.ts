/**
 * Aggregation through the official driver: report pipelines, $out, $bucket, dates in time zones, countDocuments and
 * the error codes. Runs against the embedded server, or a real MongoDB when MONGODB_URI is set.
 */
import assert from 'node:assert/strict';
import { Decimal128, Long, MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

describe('conformance: aggregation', () => {
  let client: MongoClient;
  let db: Db;
  let suppliers: Collection;
  let responses: Collection;

  const supplierFixtures: Document[] = [
    { _id: 'acme', name: 'Acme Textiles', country: 'SE', sector: 'textile' },
    { _id: 'bolt', name: 'Bolt Electronics', country: 'CN', sector: 'electronics' },
    { _id: 'cray', name: 'Cray Cotton', country: 'IN', sector: 'textile' },
    { _id: 'dune', name: 'Dune Logistics', country: 'SE', sector: 'logistics' },
  ];

  const responseFixtures: Document[] = [
    { _id: 1, supplierId: 'acme', submittedAt: new Date('2026-03-01T23:30:00Z'), redFlags: ['overtime'], riskScore: 40, fee: Decimal128.fromString('10.10') },
    { _id: 2, supplierId: 'bolt', submittedAt: new Date('2026-03-02T08:00:00Z'), redFlags: ['passport-retention', 'overtime'], riskScore: 85, fee: Decimal128.fromString('20.20') },
    { _id: 3, supplierId: 'cray', submittedAt: new Date('2026-02-27T12:00:00Z'), redFlags: ['child-labour'], riskScore: 95, fee: Decimal128.fromString('0.01') },
    { _id: 4, supplierId: 'acme', submittedAt: new Date('2026-01-15T09:00:00Z'), redFlags: [], riskScore: 10, fee: Decimal128.fromString('1') },
    { _id: 5, supplierId: 'ghost', submittedAt: new Date('2026-03-03T10:00:00Z'), redFlags: ['overtime'], riskScore: 55, fee: Decimal128.fromString('2') },
  ];

  function rejects(pipeline: Document[], code: number, message?: RegExp): Promise<void> {
    return rejectsWithCode(responses.aggregate(pipeline).toArray(), code, message);
  }

  before(async () => {
    const target = await connectTestClient('aggregate');
    client = target.client;
    db = client.db(target.dbName);
    suppliers = db.collection('suppliers');
    responses = db.collection('responses');
    await suppliers.insertMany(supplierFixtures);
    await responses.insertMany(responseFixtures);
  });

  after(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('When a buyer runs the red-flag report, then $match, $lookup, $unwind, $group, $sort and $facet combine', async () => {
    const [report] = await responses
      .aggregate([
        { $match: { riskScore: { $gte: 20 } } },
        { $lookup: { from: 'suppliers', localField: 'supplierId', foreignField: '_id', as: 'supplier' } },
        { $unwind: { path: '$supplier', preserveNullAndEmptyArrays: true } },
        { $unwind: '$redFlags' },
        {
          $group: {
            _id: '$redFlags',
            suppliers: { $addToSet: { $ifNull: ['$supplier.name', 'unknown'] } },
            maxRisk: { $max: '$riskScore' },
            n: { $sum: 1 },
          },
        },
        { $sort: { n: -1, _id: 1 } },
        {
          $facet: {
            flags: [{ $project: { _id: 0, flag: '$_id', n: 1, maxRisk: 1 } }],
            severe: [{ $match: { maxRisk: { $gte: 90 } } }, { $count: 'flags' }],
          },
        },
      ])
      .toArray();
    assert.deepEqual(report.flags, [
      { n: 3, maxRisk: 85, flag: 'overtime' },
      { n: 1, maxRisk: 95, flag: 'child-labour' },
      { n: 1, maxRisk: 85, flag: 'passport-retention' },
    ]);
    assert.deepEqual(report.severe, [{ flags: 1 }]);
  });

  it('When joining with let and a sub-pipeline, then each supplier gets its own latest response', async () => {
    const docs = await suppliers
      .aggregate([
        {
          $lookup: {
            from: 'responses',
            let: { sid: '$_id' },
            pipeline: [
              { $match: { $expr: { $eq: ['$supplierId', '$$sid'] } } },
              { $sort: { submittedAt: -1 } },
              { $limit: 1 },
              { $project: { _id: 0, riskScore: 1 } },
            ],
            as: 'latest',
          },
        },
        { $project: { latest: { $first: '$latest.riskScore' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    assert.deepEqual(docs, [{ _id: 'acme', latest: 40 }, { _id: 'bolt', latest: 85 }, { _id: 'cray', latest: 95 }, { _id: 'dune' }]);
  });

  it('When grouping Decimal128 and int64 values, then sums stay exact and keep their BSON types', async () => {
    const [totals] = await responses
      .aggregate([{ $group: { _id: null, fees: { $sum: '$fee' }, big: { $sum: { $toLong: '9007199254740993' } } } }])
      .toArray();
    assert.ok(totals.fees instanceof Decimal128);
    assert.equal(totals.fees.toString(), '33.31');
    const [exact] = await responses.aggregate([{ $limit: 1 }, { $project: { big: { $add: [{ $toLong: '9007199254740993' }, 1] } } }], { promoteLongs: false }).toArray();
    assert.ok(exact.big instanceof Long);
    assert.equal(exact.big.toString(), '9007199254740994');
  });

  it('When bucketing risk scores, then each range counts its responses and stragglers go to the default', async () => {
    const buckets = await responses
      .aggregate([{ $bucket: { groupBy: '$riskScore', boundaries: [0, 50, 90], default: 'critical', output: { n: { $sum: 1 }, ids: { $push: '$_id' } } } }])
      .toArray();
    assert.deepEqual(buckets, [
      { _id: 0, n: 2, ids: [1, 4] },
      { _id: 50, n: 2, ids: [2, 5] },
      { _id: 'critical', n: 1, ids: [3] },
    ]);
  });

  it('When formatting and truncating dates in a time zone, then the local calendar day is used', async () => {
    const docs = await responses
      .aggregate([
        { $match: { _id: { $in: [1, 2] } } },
        {
          $project: {
            utcDay: { $dateToString: { date: '$submittedAt', format: '%Y-%m-%d' } },
            stockholmDay: { $dateToString: { date: '$submittedAt', format: '%Y-%m-%d %H:%M %z', timezone: 'Europe/Stockholm' } },
            week: { $isoWeek: { date: '$submittedAt', timezone: 'Europe/Stockholm' } },
            dayStart: { $dateTrunc: { date: '$submittedAt', unit: 'day', timezone: 'Europe/Stockholm' } },
            dueBy: { $dateAdd: { startDate: '$submittedAt', unit: 'month', amount: 1, timezone: 'Europe/Stockholm' } },
            daysOpen: { $dateDiff: { startDate: '$submittedAt', endDate: new Date('2026-03-10T00:00:00Z'), unit: 'day', timezone: 'Europe/Stockholm' } },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    assert.deepEqual(docs, [
      {
        _id: 1,
        utcDay: '2026-03-01',
        stockholmDay: '2026-03-02 00:30 +0100',
        week: 10,
        dayStart: new Date('2026-03-01T23:00:00Z'),
        dueBy: new Date('2026-04-01T22:30:00Z'),
        daysOpen: 8,
      },
      {
        _id: 2,
        utcDay: '2026-03-02',
        stockholmDay: '2026-03-02 09:00 +0100',
        week: 10,
        dayStart: new Date('2026-03-01T23:00:00Z'),
        dueBy: new Date('2026-04-02T07:00:00Z'),
        daysOpen: 8,
      },
    ]);
  });

  it('When writing a report with $out, then the target collection holds exactly the results', async () => {
    const cursor = responses.aggregate([
      { $group: { _id: '$supplierId', responses: { $sum: 1 }, worst: { $max: '$riskScore' } } },
      { $sort: { _id: 1 } },
      { $out: 'supplier_summary' },
    ]);
    assert.deepEqual(await cursor.toArray(), []);
    const summary = await db.collection('supplier_summary').find({}, { sort: { _id: 1 } }).toArray();
    assert.deepEqual(summary, [
      { _id: 'acme', responses: 2, worst: 40 },
      { _id: 'bolt', responses: 1, worst: 85 },
      { _id: 'cray', responses: 1, worst: 95 },
      { _id: 'ghost', responses: 1, worst: 55 },
    ]);
    await responses.aggregate([{ $match: { riskScore: { $gt: 90 } } }, { $out: 'supplier_summary' }]).toArray();
    assert.equal(await db.collection('supplier_summary').countDocuments(), 1);
  });

  it('When ranking suppliers and keeping running totals, then $setWindowFields orders within each partition', async () => {
    const docs = await responses
      .aggregate([
        { $match: { supplierId: { $in: ['acme', 'bolt', 'cray'] } } },
        {
          $setWindowFields: {
            sortBy: { riskScore: -1 },
            output: { rank: { $rank: {} }, runningRisk: { $sum: '$riskScore', window: { documents: ['unbounded', 'current'] } } },
          },
        },
        { $project: { _id: 1, rank: 1, runningRisk: 1 } },
      ])
      .toArray();
    assert.deepEqual(docs, [
      { _id: 3, rank: 1, runningRisk: 95 },
      { _id: 2, rank: 2, runningRisk: 180 },
      { _id: 1, rank: 3, runningRisk: 220 },
      { _id: 4, rank: 4, runningRisk: 230 },
    ]);
  });

  it('When a database-level pipeline starts with $documents and unions a collection, then both sources flow through', async () => {
    const docs = await db
      .aggregate([
        { $documents: [{ supplierId: 'manual', riskScore: 0 }] },
        { $unionWith: { coll: 'responses', pipeline: [{ $match: { riskScore: { $gte: 90 } } }, { $project: { _id: 0, supplierId: 1, riskScore: 1 } }] } },
        { $sortByCount: { $cond: [{ $gte: ['$riskScore', 50] }, 'high', 'low'] } },
      ])
      .toArray();
    assert.deepEqual(docs.sort((x, y) => String(x._id).localeCompare(String(y._id))), [{ _id: 'high', count: 1 }, { _id: 'low', count: 1 }]);
  });

  it('When counting documents, then countDocuments (a $group pipeline) honours filters, skip and limit', async () => {
    assert.equal(await responses.countDocuments(), 5);
    assert.equal(await responses.countDocuments({ redFlags: 'overtime' }), 3);
    assert.equal(await responses.countDocuments({ redFlags: 'overtime' }, { skip: 1, limit: 1 }), 1);
    assert.equal(await responses.countDocuments({ riskScore: { $gt: 1000 } }), 0);
  });

  it('When a pipeline is invalid, then the server answers with MongoDB error codes', async () => {
    await rejects([{ $frobnicate: {} }], 40324, /Unrecognized pipeline stage name: '\$frobnicate'/);
    await rejects([{ $project: { x: { $frobnicate: 1 } } }], 168, /Unrecognized expression '\$frobnicate'/);
    await rejects([{ $project: { n: { $size: '$supplierId' } } }], 17124);
    await rejects([{ $limit: 0 }], 15958);
    await rejects([{ $replaceWith: '$riskScore' }], 40228);
    await rejects([{ $out: 'x' }, { $match: {} }], 40601);
  });
});
