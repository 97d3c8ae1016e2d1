import assert from 'node:assert/strict';
import { Decimal128, Double } from 'bson';
import { runPipeline, type PipelineContext } from '../../../src/embedded-mongo/aggregate/pipeline';
import { createCollator } from '../../../src/embedded-mongo/query/collation';
import { MongoServerError } from '../../../src/embedded-mongo/errors';
import type { Document } from '../../../src/embedded-mongo/types';

function context(collections: Record<string, Document[]> = {}, extra: Partial<PipelineContext> = {}): PipelineContext {
  return {
    db: 'unit',
    now: new Date('2026-01-01T00:00:00Z'),
    readCollection: (db, coll) => collections[db === 'unit' ? coll : `${db}.${coll}`] ?? [],
    writeCollection: async () => undefined,
    ...extra,
  };
}

async function expectCode(promise: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof MongoServerError && err.code === code);
}

const answers: Document[] = [
  { _id: 1, supplier: 'a', indicator: 'wages', score: 3, at: new Date('2026-01-05T00:00:00Z') },
  { _id: 2, supplier: 'a', indicator: 'hours', score: 1n, at: new Date('2026-01-03T00:00:00Z') },
  { _id: 3, supplier: 'b', indicator: 'wages', score: 'n/a', at: new Date('2026-01-04T00:00:00Z') },
  { _id: 4, supplier: 'b', indicator: 'wages', at: new Date('2026-01-01T00:00:00Z') },
  { _id: 5, indicator: 'hours', score: 2.5, at: new Date('2026-01-02T00:00:00Z') },
];

describe('aggregation pipeline: $group', () => {
  it('When grouping with every accumulator, then sums skip non-numbers, averages of nothing are null', async () => {
    const out = await runPipeline(answers, [
      {
        $group: {
          _id: '$supplier',
          n: { $sum: 1 },
          total: { $sum: '$score' },
          avg: { $avg: '$score' },
          min: { $min: '$score' },
          max: { $max: '$score' },
          first: { $first: '$indicator' },
          last: { $last: '$score' },
          ids: { $push: '$_id' },
          indicators: { $addToSet: '$indicator' },
          count: { $count: {} },
          merged: { $mergeObjects: { $arrayToObject: [[['$indicator', '$_id']]] } },
        },
      },
    ], context());
    assert.deepEqual(out, [
      { _id: 'a', n: 2, total: 4n, avg: new Double(2), min: 1n, max: 3, first: 'wages', last: 1n, ids: [1, 2], indicators: ['wages', 'hours'], count: 2, merged: { wages: 1, hours: 2 } },
      { _id: 'b', n: 2, total: 0, avg: null, min: 'n/a', max: 'n/a', first: 'wages', last: null, ids: [3, 4], indicators: ['wages'], count: 2, merged: { wages: 4 } },
      { _id: null, n: 1, total: 2.5, avg: 2.5, min: 2.5, max: 2.5, first: 'hours', last: 2.5, ids: [5], indicators: ['hours'], count: 1, merged: { hours: 5 } },
    ]);
  });

  it('When grouping by a compound or constant _id, then equal values of different numeric types share a group', async () => {
    const input = [{ a: 1, b: 'x' }, { a: 1n, b: 'x' }, { a: Decimal128.fromString('1.0'), b: 'x' }, { a: 2, b: 'x' }];
    const compound = await runPipeline(input, [{ $group: { _id: { a: '$a', b: '$b' }, n: { $sum: 1 } } }], context());
    assert.deepEqual(compound.map((g) => g.n), [3, 1]);
    assert.deepEqual(await runPipeline(input, [{ $group: { _id: null, n: { $sum: 1 } } }], context()), [{ _id: null, n: 4 }]);
    assert.deepEqual(await runPipeline([], [{ $group: { _id: null, n: { $sum: 1 } } }], context()), []);
  });

  it('When counting the way countDocuments does, then one group holds the number of matches', async () => {
    const out = await runPipeline(answers, [{ $match: { indicator: 'wages' } }, { $group: { _id: 1, n: { $sum: 1 } } }], context());
    assert.deepEqual(out, [{ _id: 1, n: 3 }]);
  });

  it('When a collation is in force, then group keys compare under it', async () => {
    const input = [{ c: 'SE' }, { c: 'se' }, { c: 'CN' }];
    const out = await runPipeline(input, [{ $group: { _id: '$c', n: { $sum: 1 } } }], context({}, { collator: createCollator({ locale: 'en', strength: 2 }) }));
    assert.deepEqual(out.map((g) => g.n), [2, 1]);
  });

  it('When the $group spec is invalid, then MongoDB codes are used', async () => {
    await expectCode(runPipeline([], [{ $group: { n: { $sum: 1 } } }], context()), 15955);
    await expectCode(runPipeline([], [{ $group: { _id: null, n: { $median: 1 } } }], context()), 15952);
    await expectCode(runPipeline([], [{ $group: { _id: null, 'a.b': { $sum: 1 } } }], context()), 40235);
    await expectCode(runPipeline([], [{ $group: { _id: null, n: 1 } }], context()), 40234);
  });
});

describe('aggregation pipeline: $bucket and $sortByCount', () => {
  const scores = [{ s: 5 }, { s: 15 }, { s: 25 }, { s: 12 }, { s: 'x' }, { s: 100 }];

  it('When bucketing, then values land in [lower, upper) with a default bucket and custom output', async () => {
    const out = await runPipeline(scores, [
      { $bucket: { groupBy: '$s', boundaries: [0, 10, 20, 30], default: 'other', output: { n: { $sum: 1 }, values: { $push: '$s' } } } },
    ], context());
    assert.deepEqual(out, [
      { _id: 0, n: 1, values: [5] },
      { _id: 10, n: 2, values: [15, 12] },
      { _id: 20, n: 1, values: [25] },
      { _id: 'other', n: 2, values: ['x', 100] },
    ]);
    const counted = await runPipeline(scores.slice(0, 4), [{ $bucket: { groupBy: '$s', boundaries: [0, 10, 30] } }], context());
    assert.deepEqual(counted, [{ _id: 0, count: 1 }, { _id: 10, count: 3 }]);
  });

  it('When a value falls outside every bucket without a default, or boundaries are bad, then errors follow MongoDB', async () => {
    await expectCode(runPipeline(scores, [{ $bucket: { groupBy: '$s', boundaries: [0, 10] } }], context()), 40066);
    await expectCode(runPipeline([], [{ $bucket: { groupBy: '$s', boundaries: [10, 0] } }], context()), 40194);
    await expectCode(runPipeline([], [{ $bucket: { groupBy: '$s', boundaries: [0] } }], context()), 40192);
    await expectCode(runPipeline([], [{ $bucket: { groupBy: '$s', boundaries: [0, 'a'] } }], context()), 40193);
    await expectCode(runPipeline([], [{ $bucket: { groupBy: '$s', boundaries: [0, 10], default: 5 } }], context()), 40199);
  });

  it('When sorting by count, then the most frequent value comes first', async () => {
    const out = await runPipeline(answers, [{ $sortByCount: '$indicator' }], context());
    assert.deepEqual(out, [{ _id: 'wages', count: 3 }, { _id: 'hours', count: 2 }]);
  });
});

describe('aggregation pipeline: $lookup and $unionWith', () => {
  const suppliers: Document[] = [
    { _id: 'a', name: 'Acme', sites: ['s1', 's2'] },
    { _id: 'b', name: 'Bolt', sites: [] },
    { _id: 'c', name: 'Cray' },
  ];
  const sites: Document[] = [
    { _id: 's1', city: 'Malmö', owners: ['a'] },
    { _id: 's2', city: 'Lund', owners: ['a', 'b'] },
    { _id: 's3', city: 'Umeå' },
  ];
  const ctx = context({ answers, sites, 'archive.answers': [{ _id: 99, supplier: 'a' }] });

  it('When joining on equality, then local and foreign arrays match element-wise and missing matches null', async () => {
    const out = await runPipeline(suppliers, [{ $lookup: { from: 'sites', localField: 'sites', foreignField: '_id', as: 'siteDocs' } }, { $project: { cities: '$siteDocs.city' } }], ctx);
    assert.deepEqual(out, [{ _id: 'a', cities: ['Malmö', 'Lund'] }, { _id: 'b', cities: [] }, { _id: 'c', cities: [] }]);
    const ownerless = await runPipeline(sites, [{ $lookup: { from: 'suppliers', localField: 'owners', foreignField: 'sites', as: 'sup' } }, { $project: { names: '$sup.name' } }], context({ suppliers }));
    assert.deepEqual(ownerless, [{ _id: 's1', names: [] }, { _id: 's2', names: [] }, { _id: 's3', names: ['Cray'] }]);
    const owners = await runPipeline(suppliers, [{ $lookup: { from: 'sites', localField: '_id', foreignField: 'owners', as: 's' } }, { $project: { n: { $size: '$s' } } }], ctx);
    assert.deepEqual(owners.map((d) => d.n), [2, 1, 0]);
  });

  it('When joining with let and a pipeline, then $$variables reach the sub-pipeline $match and expressions', async () => {
    const out = await runPipeline(suppliers, [
      {
        $lookup: {
          from: 'answers',
          let: { sid: '$_id', label: { $toUpper: '$name' } },
          pipeline: [
            { $match: { $expr: { $and: [{ $eq: ['$supplier', '$$sid'] }, { $eq: ['$indicator', 'wages'] }] } } },
            { $project: { _id: 0, id: '$_id', who: '$$label' } },
          ],
          as: 'wages',
        },
      },
      { $project: { wages: 1 } },
    ], ctx);
    assert.deepEqual(out, [
      { _id: 'a', wages: [{ id: 1, who: 'ACME' }] },
      { _id: 'b', wages: [{ id: 3, who: 'BOLT' }, { id: 4, who: 'BOLT' }] },
      { _id: 'c', wages: [] },
    ]);
  });

  it('When a correlated $expr equality joins, then numeric types match by value, arrays whole and missing only missing', async () => {
    const foreign = [{ _id: 1, k: 1 }, { _id: 2, k: Decimal128.fromString('1.0') }, { _id: 3, k: [1] }, { _id: 4 }, { _id: 5, k: null }];
    const local = [{ _id: 'one', k: 1n }, { _id: 'none' }, { _id: 'nil', k: null }];
    const out = await runPipeline(local, [
      { $lookup: { from: 'foreign', let: { key: '$k' }, pipeline: [{ $match: { $expr: { $eq: ['$k', '$$key'] } } }, { $project: { _id: 1 } }], as: 'hits' } },
      { $project: { ids: '$hits._id' } },
    ], context({ foreign }));
    assert.deepEqual(out, [{ _id: 'one', ids: [1, 2] }, { _id: 'none', ids: [4] }, { _id: 'nil', ids: [5] }]);
  });

  it('When a sub-pipeline rebinds a variable name, then the inner binding wins', async () => {
    const out = await runPipeline([{ _id: 1, x: 10 }], [
      { $lookup: { from: 'sites', let: { v: '$x' }, pipeline: [{ $match: { $expr: { $eq: [{ $let: { vars: { v: 's3' }, in: '$$v' } }, '$_id'] } } }], as: 'hit' } },
    ], ctx);
    assert.deepEqual((out[0].hit as Document[]).map((d) => d._id), ['s3']);
  });

  it('When $lookup has no from but its pipeline starts with $documents, then those documents are joined', async () => {
    const out = await runPipeline([{ _id: 1, code: 'SE' }], [
      {
        $lookup: {
          let: { c: '$code' },
          pipeline: [{ $documents: [{ code: 'SE', name: 'Sweden' }, { code: 'NO', name: 'Norway' }] }, { $match: { $expr: { $eq: ['$code', '$$c'] } } }],
          as: 'country',
        },
      },
    ], ctx);
    assert.deepEqual(out, [{ _id: 1, code: 'SE', country: [{ code: 'SE', name: 'Sweden' }] }]);
  });

  it('When the $lookup spec is incomplete, then it is rejected before running', async () => {
    await expectCode(runPipeline([], [{ $lookup: { from: 'x', localField: 'a', as: 'y' } }], ctx), 9);
    await expectCode(runPipeline([], [{ $lookup: { from: 'x', localField: 'a', foreignField: 'b' } }], ctx), 9);
    await expectCode(runPipeline([], [{ $lookup: { from: 'x', pipeline: [{ $out: 'y' }], as: 'y' } }], ctx), 51047);
    await expectCode(runPipeline([], [{ $lookup: { from: 'x', pipeline: [{ $match: { $expr: '$$nope' } }], as: 'y' } }], ctx), 17276);
  });

  it('When unioning with another collection, then its (filtered) documents follow the input', async () => {
    const out = await runPipeline([{ _id: 0 }], [{ $unionWith: { coll: 'answers', pipeline: [{ $match: { supplier: 'a' } }, { $project: { _id: 1 } }] } }], ctx);
    assert.deepEqual(out, [{ _id: 0 }, { _id: 1 }, { _id: 2 }]);
    const other = await runPipeline([], [{ $unionWith: { coll: { db: 'archive', coll: 'answers' } } }], ctx);
    assert.deepEqual(other, [{ _id: 99, supplier: 'a' }]);
  });
});

describe('aggregation pipeline: n-ary and ordered accumulators', () => {
  const input: Document[] = [
    { s: 'a', v: 3, at: 2 },
    { s: 'a', v: 1, at: 3 },
    { s: 'a', v: null, at: 1 },
    { s: 'a', v: 7, at: 4 },
    { s: 'b', v: 5, at: 1 },
  ];

  it('When taking the first, last, largest and smallest n per group, then nulls count only for first/last', async () => {
    const out = await runPipeline(input, [
      {
        $group: {
          _id: '$s',
          first2: { $firstN: { input: '$v', n: 2 } },
          last2: { $lastN: { input: '$v', n: 2 } },
          max2: { $maxN: { input: '$v', n: 2 } },
          min2: { $minN: { input: '$v', n: 2 } },
        },
      },
    ], context());
    assert.deepEqual(out, [
      { _id: 'a', first2: [3, 1], last2: [null, 7], max2: [7, 3], min2: [1, 3] },
      { _id: 'b', first2: [5], last2: [5], max2: [5], min2: [5] },
    ]);
  });

  it('When picking by a sort order, then $top/$bottom give one value and $topN/$bottomN give n', async () => {
    const out = await runPipeline(input, [
      {
        $group: {
          _id: '$s',
          latest: { $top: { sortBy: { at: -1 }, output: '$v' } },
          earliest: { $bottom: { sortBy: { at: -1 }, output: ['$v', '$at'] } },
          latest2: { $topN: { sortBy: { at: -1 }, output: '$at', n: 2 } },
          earliest2: { $bottomN: { sortBy: { at: -1 }, output: '$at', n: 2 } },
        },
      },
    ], context());
    assert.deepEqual(out, [
      { _id: 'a', latest: 7, earliest: [null, 1], latest2: [4, 3], earliest2: [2, 1] },
      { _id: 'b', latest: 5, earliest: [5, 1], latest2: [1], earliest2: [1] },
    ]);
  });

  it('When n is missing or not positive, then the stage is rejected', async () => {
    await expectCode(runPipeline([], [{ $group: { _id: null, x: { $firstN: { input: '$v' } } } }], context()), 5788003);
    await expectCode(runPipeline(input, [{ $group: { _id: null, x: { $maxN: { input: '$v', n: 0 } } } }], context()), 5787908);
    await expectCode(runPipeline([], [{ $group: { _id: null, x: { $top: { output: '$v' } } } }], context()), 5788003);
  });

  it('When the n operators are used as array expressions, then they work on the input array', async () => {
    const [out] = await runPipeline([{ a: [4, 1, 3, 2] }], [
      { $project: { _id: 0, f: { $firstN: { input: '$a', n: 2 } }, l: { $lastN: { input: '$a', n: 2 } }, mx: { $maxN: { input: '$a', n: 2 } }, mn: { $minN: { input: '$a', n: 3 } } } },
    ], context());
    assert.deepEqual(out, { f: [4, 1], l: [3, 2], mx: [4, 3], mn: [1, 2, 3] });
  });
});

describe('aggregation pipeline: $bucketAuto', () => {
  it('When splitting into automatic buckets, then sizes are even, bounds chain and equal values stay together', async () => {
    const input = Array.from({ length: 10 }, (_, i) => ({ v: i + 1 }));
    const out = await runPipeline(input, [{ $bucketAuto: { groupBy: '$v', buckets: 3, output: { n: { $sum: 1 }, total: { $sum: '$v' } } } }], context());
    assert.deepEqual(out, [
      { _id: { min: 1, max: 4 }, n: 3, total: 6 },
      { _id: { min: 4, max: 7 }, n: 3, total: 15 },
      { _id: { min: 7, max: 10 }, n: 4, total: 34 },
    ]);
    const ties = await runPipeline([1, 1, 1, 1, 2, 3].map((v) => ({ v })), [{ $bucketAuto: { groupBy: '$v', buckets: 3 } }], context());
    assert.deepEqual(ties, [{ _id: { min: 1, max: 2 }, count: 4 }, { _id: { min: 2, max: 3 }, count: 2 }]);
  });

  it('When the $bucketAuto spec is invalid, then MongoDB codes are used', async () => {
    await expectCode(runPipeline([], [{ $bucketAuto: { groupBy: '$v' } }], context()), 40246);
    await expectCode(runPipeline([], [{ $bucketAuto: { groupBy: '$v', buckets: 0 } }], context()), 40243);
    await expectCode(runPipeline([], [{ $bucketAuto: { groupBy: 'v', buckets: 2 } }], context()), 40239);
  });
});

describe('aggregation pipeline: $graphLookup', () => {
  // Tiered supply chain: brand -> tier 1 -> tier 2 -> tier 3, with a cycle back to tier 1.
  const chain: Document[] = [
    { _id: 't1', name: 'Tier 1 sewing', suppliers: ['t2a', 't2b'] },
    { _id: 't2a', name: 'Tier 2 fabric', suppliers: ['t3'] },
    { _id: 't2b', name: 'Tier 2 trims', country: 'CN' },
    { _id: 't3', name: 'Tier 3 cotton', suppliers: ['t1'], country: 'UZ' },
  ];
  const graphCtx = context({ chain });

  it('When walking sub-suppliers, then every tier is found once with its depth, even through a cycle', async () => {
    const [out] = await runPipeline([{ _id: 'brand', tier1: 't1' }], [
      { $graphLookup: { from: 'chain', startWith: '$tier1', connectFromField: 'suppliers', connectToField: '_id', as: 'tiers', depthField: 'depth' } },
    ], graphCtx);
    const tiers = (out.tiers as Document[]).map((d) => [d._id, d.depth]).sort();
    assert.deepEqual(tiers, [['t1', 0n], ['t2a', 1n], ['t2b', 1n], ['t3', 2n]]);
  });

  it('When maxDepth or restrictSearchWithMatch is given, then the walk stops or skips accordingly', async () => {
    const [shallow] = await runPipeline([{ start: 't1' }], [
      { $graphLookup: { from: 'chain', startWith: '$start', connectFromField: 'suppliers', connectToField: '_id', as: 'tiers', maxDepth: 1 } },
    ], graphCtx);
    assert.deepEqual((shallow.tiers as Document[]).map((d) => d._id).sort(), ['t1', 't2a', 't2b']);
    const [restricted] = await runPipeline([{ start: ['t2a', 't2b'] }], [
      { $graphLookup: { from: 'chain', startWith: '$start', connectFromField: 'suppliers', connectToField: '_id', as: 'risky', restrictSearchWithMatch: { country: { $exists: true } } } },
    ], graphCtx);
    assert.deepEqual((restricted.risky as Document[]).map((d) => d._id), ['t2b']);
  });

  it('When the $graphLookup spec is invalid, then MongoDB codes are used', async () => {
    await expectCode(runPipeline([], [{ $graphLookup: { from: 'chain', startWith: '$a', connectToField: '_id', as: 'x' } }], graphCtx), 40105);
    await expectCode(runPipeline([], [{ $graphLookup: { from: 'chain', startWith: '$a', connectFromField: 's', connectToField: '_id', as: 'x', maxDepth: -1 } }], graphCtx), 40101);
    await expectCode(runPipeline([], [{ $graphLookup: { from: 'chain', startWith: '$a', connectFromField: 's', connectToField: '_id', as: 'x', bogus: 1 } }], graphCtx), 40104);
  });
});
