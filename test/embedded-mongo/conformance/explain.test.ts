/** Which plan the server picks, as `explain` shows it through the official driver. */
import assert from 'node:assert/strict';
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';

/** Stage names from the root of a winning plan down (first input stage only). */
function stages(plan: Document): string[] {
  const names: string[] = [];
  for (let stage: Document | undefined = plan; stage; stage = stage.inputStage as Document | undefined) names.push(String(stage.stage));
  return names;
}

function findStage(plan: Document, name: string): Document | undefined {
  for (let stage: Document | undefined = plan; stage; stage = stage.inputStage as Document | undefined) if (stage.stage === name) return stage;
  return undefined;
}

describe('explain (conformance)', function () {
  let client: MongoClient;
  let db: Db;
  let orders: Collection;

  before(async function () {
    const target = await connectTestClient('explain');
    client = target.client;
    db = client.db(target.dbName);
    orders = db.collection('orders');
    await orders.insertMany(Array.from({ length: 60 }, (_, i) => ({ _id: i as never, supplier: `s${i % 6}`, total: i * 10, status: i % 2 ? 'open' : 'closed' })));
    await orders.createIndex({ supplier: 1, total: -1 });
    await orders.createIndex({ status: 1 });
  });

  after(async function () {
    await db.dropDatabase();
    await client.close();
  });

  const winning = async (cursor: { explain(v: 'queryPlanner' | 'executionStats'): Promise<Document> }): Promise<Document> =>
    ((await cursor.explain('executionStats')) as Document).queryPlanner.winningPlan as Document;

  it('When the filter is an _id equality, then the plan is an _id lookup', async function () {
    const plan = await winning(orders.find({ _id: 7 as never }));
    const root = stages(plan);
    assert.ok(root.includes('IDHACK') || root.includes('EXPRESS_IXSCAN') || findStage(plan, 'IXSCAN')?.indexName === '_id_', JSON.stringify(plan));
  });

  it('When the leading field of an index is matched by equality, then the plan is FETCH over IXSCAN of that index', async function () {
    const explained = (await orders.find({ supplier: 's2' }).explain('executionStats')) as Document;
    const ixscan = findStage(explained.queryPlanner.winningPlan, 'IXSCAN');
    assert.equal(ixscan?.indexName, 'supplier_1_total_-1');
    assert.deepEqual(ixscan?.keyPattern, { supplier: 1, total: -1 });
    assert.equal(explained.executionStats.nReturned, 10);
    assert.equal(explained.executionStats.totalKeysExamined >= 10 && explained.executionStats.totalKeysExamined <= 11, true);
    assert.equal(explained.executionStats.totalDocsExamined, 10);
  });

  it('When a range or $in hits an indexed field, then the index bounds limit the documents examined', async function () {
    const range = (await orders.find({ supplier: 's1', total: { $gte: 100, $lt: 400 } }).explain('executionStats')) as Document;
    assert.equal(findStage(range.queryPlanner.winningPlan, 'IXSCAN')?.indexName, 'supplier_1_total_-1');
    assert.equal(range.executionStats.nReturned, 5);
    assert.equal(range.executionStats.totalDocsExamined, 5);
    const inList = (await orders.find({ supplier: { $in: ['s0', 's3'] } }).explain('executionStats')) as Document;
    assert.equal(inList.executionStats.nReturned, 20);
    assert.equal(inList.executionStats.totalDocsExamined, 20);
  });

  it('When an index yields the requested order, then there is no SORT stage; otherwise there is', async function () {
    assert.ok(!stages(await winning(orders.find({ supplier: 's1' }).sort({ total: -1 }))).includes('SORT'));
    assert.ok(!stages(await winning(orders.find({ supplier: 's1' }).sort({ total: 1 }))).includes('SORT'));
    assert.ok(stages(await winning(orders.find({ supplier: 's1' }).sort({ status: 1 }))).includes('SORT'));
    const sorted = await orders.find({ supplier: 's1' }).sort({ total: 1 }).toArray();
    assert.deepEqual(sorted.map((o) => o.total), [10, 70, 130, 190, 250, 310, 370, 430, 490, 550]);
  });

  it('When no index covers the filter, then the plan is a COLLSCAN over every document', async function () {
    const explained = (await orders.find({ total: 30 }).explain('executionStats')) as Document;
    assert.deepEqual(stages(explained.queryPlanner.winningPlan), ['COLLSCAN']);
    assert.equal(explained.executionStats.totalDocsExamined, 60);
  });

  it('When a hint names an index, then that index is used even if another fits better', async function () {
    const ixscan = findStage(await winning(orders.find({ supplier: 's1', status: 'open' }).hint({ status: 1 })), 'IXSCAN');
    assert.equal(ixscan?.indexName, 'status_1');
    const byName = findStage(await winning(orders.find({ status: 'open' }).hint('supplier_1_total_-1')), 'IXSCAN');
    assert.equal(byName?.indexName, 'supplier_1_total_-1');
    assert.equal(await orders.countDocuments({ supplier: 's1', status: 'open' }, { hint: { status: 1 } }), 10);
  });

  it('When the query collation differs from the index collation, then string bounds cannot use the index', async function () {
    const explained = (await orders.find({ supplier: 'S1' }).collation({ locale: 'en', strength: 2 }).explain('executionStats')) as Document;
    assert.equal(findStage(explained.queryPlanner.winningPlan, 'IXSCAN'), undefined);
    assert.equal(explained.executionStats.nReturned, 10);
  });
});
