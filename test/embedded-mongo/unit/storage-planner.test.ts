import assert from 'node:assert/strict';
import { MaxKey, MinKey } from 'bson';
import type { EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import type { Document } from '../../../src/embedded-mongo/types';
import { expectMongoError, freshEngine, ids, insertAll } from './storage-helpers';

/** Deterministic pseudo-random numbers (mulberry32) so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES: unknown[] = [0, 1, 2, 2.5, 3n, -1, 'a', 'B', 'b', 'ä', null, true, new Date(0), { x: 1 }, [1, 2], [], ['a', 3], new MinKey(), new MaxKey()];

function pick<T>(rnd: () => number, items: T[]): T {
  return items[Math.floor(rnd() * items.length)];
}

function randomDoc(rnd: () => number, id: number): Document {
  const doc: Document = { _id: id };
  // only `a` may hold arrays: the compound index {a, b} refuses parallel arrays
  if (rnd() < 0.85) doc.a = pick(rnd, VALUES);
  if (rnd() < 0.85) doc.b = pick(rnd, VALUES.filter((v) => !Array.isArray(v)));
  if (rnd() < 0.5) doc.n = { a: pick(rnd, VALUES) };
  return doc;
}

function randomPredicate(rnd: () => number): unknown {
  const scalar = (): unknown => pick(rnd, VALUES.filter((v) => !Array.isArray(v)));
  switch (Math.floor(rnd() * 7)) {
    case 0:
      return scalar();
    case 1:
      return { $in: [scalar(), scalar()] };
    case 2:
      return { $gt: scalar() };
    case 3:
      return { $gte: scalar(), $lt: scalar() };
    case 4:
      return { $lte: scalar() };
    case 5:
      return { $eq: pick(rnd, VALUES) };
    default:
      return { $ne: scalar() };
  }
}

function randomFilter(rnd: () => number): Document {
  const filter: Document = {};
  if (rnd() < 0.8) filter.a = randomPredicate(rnd);
  if (rnd() < 0.5) filter.b = randomPredicate(rnd);
  if (rnd() < 0.2) filter['n.a'] = randomPredicate(rnd);
  if (rnd() < 0.2) filter.$and = [{ a: randomPredicate(rnd) }];
  return filter;
}

describe('storage engine: planner', () => {
  let engine: EmbeddedStorage;
  beforeEach(async () => {
    engine = await freshEngine();
  });
  afterEach(() => engine.close());

  it('When any index is used, then results equal a collection scan (randomised, with collations and multikey values)', async () => {
    const rnd = random(42);
    await insertAll(engine, 'db', 'c', Array.from({ length: 300 }, (_, i) => randomDoc(rnd, i)));
    await engine.createIndexes('db', 'c', [
      { v: 2, key: { a: 1 }, name: 'a_1' },
      { v: 2, key: { a: -1, b: 1 }, name: 'a_-1_b_1' },
      { v: 2, key: { b: 1 }, name: 'b_ci', collation: { locale: 'en', strength: 1 } },
      { v: 2, key: { b: -1 }, name: 'b_sparse', sparse: true },
      { v: 2, key: { 'n.a': 1 }, name: 'na_1' },
    ]);
    let indexed = 0;
    for (let i = 0; i < 400; i++) {
      const filter = randomFilter(rnd);
      const collation = rnd() < 0.3 ? { locale: 'en', strength: 1 } : undefined;
      const sort = rnd() < 0.4 ? { a: pick(rnd, [1, -1]), _id: 1 } : undefined;
      const planned = engine.find(undefined, 'db', 'c', { filter, collation, sort });
      const scanned = engine.find(undefined, 'db', 'c', { filter, collation, sort, hint: { $natural: 1 } });
      assert.equal(scanned.plan.stage, 'COLLSCAN');
      if (planned.plan.stage !== 'COLLSCAN') indexed++;
      const context = `filter ${JSON.stringify(filter, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} collation ${JSON.stringify(collation)} plan ${JSON.stringify(planned.plan)}`;
      if (sort) assert.deepEqual(ids(planned.docs), ids(scanned.docs), context);
      else assert.deepEqual(ids(planned.docs).sort(), ids(scanned.docs).sort(), context);
    }
    assert.ok(indexed > 200, `only ${indexed} queries used an index`);
  });

  it('When the filter is an _id equality, then the plan is IDHACK', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1 }, { _id: 2 }]);
    const result = engine.find(undefined, 'db', 'c', { filter: { _id: 2 } });
    assert.deepEqual(result.plan, { stage: 'IDHACK', indexName: '_id_', keyPattern: { _id: 1 }, providesSort: false, docsExamined: 1, keysExamined: 1 });
    assert.deepEqual(ids(result.docs), [2]);
  });

  it('When the filter is an _id equality with other conditions, then the plan is the general planner\'s and so are the results (randomised)', async () => {
    const rnd = random(7);
    const idValues: unknown[] = [0, 1, 2.5, 'a', 'A', 'b', new Date(0), { x: 1 }, true, 3n];
    await insertAll(engine, 'db', 'c', idValues.map((id, i) => ({ ...randomDoc(rnd, i), _id: id, s: i % 3 })));
    await engine.createIndexes('db', 'c', [
      { v: 2, key: { a: 1 }, name: 'a_1' },
      { v: 2, key: { s: 1, _id: 1 }, name: 's_id' },
      { v: 2, key: { b: 1 }, name: 'b_ci', collation: { locale: 'en', strength: 1 } },
    ]);
    for (let i = 0; i < 300; i++) {
      const filter: Document = { _id: pick(rnd, [...idValues, null, { $in: [1, 'a'] }, [1]]) };
      if (rnd() < 0.5) filter.s = pick(rnd, [0, 1, 2]);
      if (rnd() < 0.3) filter.a = pick(rnd, VALUES);
      if (rnd() < 0.3) filter.n = { a: 1 };
      const collation = rnd() < 0.3 ? { locale: 'en', strength: 1 } : undefined;
      const planned = engine.find(undefined, 'db', 'c', { filter, collation });
      // `$and: [{}]` adds no condition but turns off the _id shortcut: the general planner decides.
      const general = engine.find(undefined, 'db', 'c', { filter: { ...filter, $and: [{}] }, collation });
      const scanned = engine.find(undefined, 'db', 'c', { filter, collation, hint: { $natural: 1 } });
      const context = `filter ${JSON.stringify(filter, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))} collation ${JSON.stringify(collation)}`;
      assert.deepEqual(ids(planned.docs), ids(scanned.docs), context);
      const { stage, ...plan } = planned.plan;
      const { stage: generalStage, ...generalPlan } = general.plan;
      assert.deepEqual(plan, generalPlan, context);
      assert.equal(stage === 'IDHACK' ? 'IXSCAN' : stage, generalStage, context);
    }
  });

  it('When an equality or range predicate hits an indexed field, then IXSCAN examines only the matching keys', async () => {
    await insertAll(engine, 'db', 'c', Array.from({ length: 100 }, (_, i) => ({ _id: i, a: i % 10, b: i })));
    await engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1, b: 1 }, name: 'a_b' }]);
    const eq = engine.find(undefined, 'db', 'c', { filter: { a: 3 } });
    assert.equal(eq.plan.stage, 'IXSCAN');
    assert.equal(eq.plan.indexName, 'a_b');
    assert.equal(eq.plan.keysExamined, 10);
    assert.equal(eq.plan.docsExamined, 10);
    const range = engine.find(undefined, 'db', 'c', { filter: { a: 3, b: { $gte: 50, $lt: 80 } } });
    assert.deepEqual(ids(range.docs), [53, 63, 73]);
    assert.equal(range.plan.keysExamined, 3);
    const inList = engine.find(undefined, 'db', 'c', { filter: { a: { $in: [1, 2] } } });
    assert.equal(inList.docs.length, 20);
    assert.equal(inList.plan.keysExamined, 20);
  });

  it('When an index provides the sort order, then the plan says so, forwards or backwards', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1, a: 2, b: 1 }, { _id: 2, a: 1, b: 2 }, { _id: 3, a: 2, b: 0 }]);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1, b: -1 }, name: 'a_b' }]);
    const forward = engine.find(undefined, 'db', 'c', { filter: {}, sort: { a: 1, b: -1 } });
    assert.equal(forward.plan.providesSort, true);
    assert.deepEqual(ids(forward.docs), [2, 1, 3]);
    const backward = engine.find(undefined, 'db', 'c', { filter: {}, sort: { a: -1, b: 1 } });
    assert.equal(backward.plan.providesSort, true);
    assert.deepEqual(ids(backward.docs), [3, 1, 2]);
    const afterEquality = engine.find(undefined, 'db', 'c', { filter: { a: 2 }, sort: { b: 1 } });
    assert.equal(afterEquality.plan.providesSort, true);
    assert.deepEqual(ids(afterEquality.docs), [3, 1]);
    const mixed = engine.find(undefined, 'db', 'c', { filter: {}, sort: { a: 1, b: 1 } });
    assert.equal(mixed.plan.providesSort, false);
    assert.deepEqual(ids(mixed.docs), [2, 3, 1]);
  });

  it('When a hint names an index or key pattern, then that index is used; an unknown hint is 2 BadValue', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1, a: 1, b: 1 }]);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1 }, name: 'a_1' }, { v: 2, key: { b: 1 }, name: 'b_1' }]);
    assert.equal(engine.find(undefined, 'db', 'c', { filter: { a: 1 }, hint: 'b_1' }).plan.indexName, 'b_1');
    assert.equal(engine.find(undefined, 'db', 'c', { filter: { a: 1 }, hint: { b: 1 } }).plan.indexName, 'b_1');
    const err = await expectMongoError(() => engine.find(undefined, 'db', 'c', { filter: {}, hint: 'zzz' }), 2);
    assert.equal(err.message, 'hint provided does not correspond to an existing index');
    await expectMongoError(() => engine.find(undefined, 'db', 'c', { filter: {}, hint: { a: -1 } }), 2);
    assert.equal(engine.find(undefined, 'db', 'c', { filter: { a: 1 }, hint: {} }).plan.indexName, 'a_1', 'an empty hint is no hint');
  });

  it('When the query collation differs from a string index, then the index is not used for string bounds', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1, s: 'abc' }, { _id: 2, s: 'ABC' }]);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { s: 1 }, name: 's_1' }]);
    const ci = engine.find(undefined, 'db', 'c', { filter: { s: 'abc' }, collation: { locale: 'en', strength: 2 } });
    assert.equal(ci.plan.stage, 'COLLSCAN');
    assert.deepEqual(ids(ci.docs), [1, 2]);
    const simple = engine.find(undefined, 'db', 'c', { filter: { s: 'abc' } });
    assert.equal(simple.plan.stage, 'IXSCAN');
    assert.deepEqual(ids(simple.docs), [1]);
  });

  it('When an index is hidden, partial or sparse, then it is not chosen where it could miss documents', async () => {
    await insertAll(engine, 'db', 'c', [{ _id: 1, a: 1 }, { _id: 2 }]);
    await engine.createIndexes('db', 'c', [
      { v: 2, key: { a: 1 }, name: 'sparse', sparse: true },
      { v: 2, key: { a: -1 }, name: 'partial', partialFilterExpression: { a: { $gt: 5 } } },
    ]);
    const nullQuery = engine.find(undefined, 'db', 'c', { filter: { a: null } });
    assert.equal(nullQuery.plan.stage, 'COLLSCAN');
    assert.deepEqual(ids(nullQuery.docs), [2]);
    assert.equal(engine.find(undefined, 'db', 'c', { filter: { a: 1 } }).plan.indexName, 'sparse');
    await engine.collMod('db', 'c', { collMod: 'c', index: { name: 'sparse', hidden: true } });
    assert.equal(engine.find(undefined, 'db', 'c', { filter: { a: 1 } }).plan.stage, 'COLLSCAN');
  });

  it('When a filter is invalid, then the error surfaces even for a missing collection', async () => {
    await expectMongoError(() => engine.find(undefined, 'db', 'missing', { filter: { a: { $bogus: 1 } } }), 2);
  });
});

describe('storage engine: planner on multikey indexes', () => {
  let engine: EmbeddedStorage;
  beforeEach(async () => {
    engine = await freshEngine();
  });
  afterEach(() => engine.close());

  it('When two range predicates on an array field are met by different elements, then the document still matches', async () => {
    await engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1 }, name: 'a_1' }]);
    await insertAll(engine, 'db', 'c', [{ _id: 1, a: [0, 5] }, { _id: 2, a: 3 }, { _id: 3, a: [1, 2] }]);
    const filter = { a: { $gt: 3, $lt: 2 } };
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter }).docs), [1]);
    // [0, 5] also qualifies: 5 >= 2 and 0 < 2
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: { a: { $gte: 2, $lt: 2 } } }).docs).sort(), [1, 3]);
    assert.deepEqual(ids(engine.find(undefined, 'db', 'c', { filter: { $and: [{ a: 0 }, { a: 5 }] } }).docs), [1]);
  });

  it('When array values meet range pairs, $in and $and (randomised), then indexed results equal a collection scan', async () => {
    const rnd = random(7);
    const small = (): unknown => Math.floor(rnd() * 6);
    const docs = Array.from({ length: 200 }, (_, i) => ({ _id: i, a: rnd() < 0.5 ? small() : [small(), small()], b: small() }));
    await insertAll(engine, 'db', 'c', docs);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { a: 1 }, name: 'a_1' }, { v: 2, key: { b: -1, a: 1 }, name: 'b_a' }]);
    const ops = ['$gt', '$gte', '$lt', '$lte'];
    for (let i = 0; i < 300; i++) {
      const a: Record<string, unknown> = { [pick(rnd, ops)]: small(), [pick(rnd, ops)]: small() };
      const filters: Array<Record<string, unknown>> = [
        { a },
        { a: { $in: [small(), small()] }, b: small() },
        { $and: [{ a: small() }, { a: small() }] },
        { b: { $gte: small() }, a },
      ];
      for (const filter of filters) {
        const planned = engine.find(undefined, 'db', 'c', { filter });
        const scanned = engine.find(undefined, 'db', 'c', { filter, hint: { $natural: 1 } });
        assert.deepEqual(ids(planned.docs).sort(), ids(scanned.docs).sort(), `${JSON.stringify(filter)} ${JSON.stringify(planned.plan)}`);
      }
    }
  });

  it('When a compound index covers two fields under the same array, then documents are accepted and found', async () => {
    await engine.createIndexes('db', 'c', [{ v: 2, key: { 'answers.q': 1, 'answers.v': 1 }, name: 'answers' }]);
    await insertAll(engine, 'db', 'c', [
      { _id: 1, answers: [{ q: 'forced', v: 'no' }, { q: 'child', v: 'yes' }] },
      { _id: 2, answers: [{ q: 'forced', v: 'yes' }] },
    ]);
    const result = engine.find(undefined, 'db', 'c', { filter: { 'answers.q': 'forced', 'answers.v': 'yes' } });
    assert.equal(result.plan.indexName, 'answers');
    assert.deepEqual(ids(result.docs), [1, 2]);
    const elem = engine.find(undefined, 'db', 'c', { filter: { answers: { $elemMatch: { q: 'forced', v: 'yes' } } } });
    assert.deepEqual(ids(elem.docs), [2]);
    await expectMongoError(() => insertAll(engine, 'db', 'c', [{ _id: 3, answers: { q: ['x'], v: ['y'] } }]), 171);
  });
});

describe('storage engine: partial indexes in planning', () => {
  let engine: EmbeddedStorage;
  beforeEach(async () => {
    engine = await freshEngine();
    await insertAll(engine, 'db', 'c', [
      { _id: 1, email: 'a', active: true },
      { _id: 2, email: 'a', active: false },
      { _id: 3, email: 'b' },
      { _id: 4, email: 'a', active: 1 },
    ]);
    await engine.createIndexes('db', 'c', [
      { v: 2, key: { email: 1 }, name: 'active_email', partialFilterExpression: { active: true } },
      { v: 2, key: { email: -1 }, name: 'has_email', partialFilterExpression: { email: { $exists: true } } },
    ]);
  });
  afterEach(() => engine.close());

  it('When the query repeats the partial filter, then the partial index is used and results stay complete', async () => {
    const result = engine.find(undefined, 'db', 'c', { filter: { email: 'a', active: true } });
    assert.equal(result.plan.indexName, 'active_email');
    assert.deepEqual(ids(result.docs), [1]); // active: 1 is not true
    const viaAnd = engine.find(undefined, 'db', 'c', { filter: { $and: [{ active: { $eq: true } }, { email: 'a' }] } });
    assert.equal(viaAnd.plan.indexName, 'active_email');
  });

  it('When the query does not imply the partial filter, then the partial index is not used', async () => {
    const notImplied = engine.find(undefined, 'db', 'c', { filter: { email: 'a', active: { $ne: false } } });
    assert.notEqual(notImplied.plan.indexName, 'active_email');
    assert.deepEqual(ids(notImplied.docs).sort(), [1, 4]);
    const noActive = engine.find(undefined, 'db', 'c', { filter: { email: null } });
    assert.equal(noActive.plan.stage, 'COLLSCAN');
  });

  it('When an equality implies $exists: true, then an exists-partial index serves it', async () => {
    const result = engine.find(undefined, 'db', 'c', { filter: { email: 'b' } });
    assert.equal(result.plan.indexName, 'has_email');
    assert.deepEqual(ids(result.docs), [3]);
  });
});

describe('storage engine: partial index and query collation', () => {
  it('When the query collation differs from the partial index collation, then the partial index is not used', async () => {
    const engine = await freshEngine();
    await insertAll(engine, 'db', 'c', [{ _id: 1, status: 'OPEN', n: 1 }, { _id: 2, status: 'open', n: 1 }]);
    await engine.createIndexes('db', 'c', [{ v: 2, key: { n: 1 }, name: 'open_n', partialFilterExpression: { status: 'open' } }]);
    const filter = { n: 1, status: 'open' };
    assert.equal(engine.find(undefined, 'db', 'c', { filter }).plan.indexName, 'open_n');
    const ci = engine.find(undefined, 'db', 'c', { filter, collation: { locale: 'en', strength: 2 } });
    assert.equal(ci.plan.stage, 'COLLSCAN');
    assert.deepEqual(ids(ci.docs), [1, 2]);
    await engine.close();
  });
});
