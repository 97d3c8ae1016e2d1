import assert from 'node:assert/strict';
import { runPipeline, type PipelineContext } from '../../../src/embedded-mongo/aggregate/pipeline';
import { MongoServerError } from '../../../src/embedded-mongo/errors';
import { createCollator } from '../../../src/embedded-mongo/query/collation';
import type { Document } from '../../../src/embedded-mongo/types';

function context(collections: Record<string, Document[]> = {}): PipelineContext & { written: Record<string, Document[]> } {
  const written: Record<string, Document[]> = {};
  return {
    db: 'unit',
    now: new Date('2026-01-01T00:00:00Z'),
    written,
    readCollection: (_db, coll) => collections[coll] ?? [],
    writeCollection: async (db, coll, docs) => {
      written[`${db}.${coll}`] = docs;
    },
  };
}

const run = (input: Document[], pipeline: unknown, ctx: PipelineContext = context()) => runPipeline(input, pipeline, ctx);

async function expectCode(promise: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof MongoServerError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const suppliers: Document[] = [
  { _id: 1, name: 'Acme', country: 'SE', address: { city: 'Malmö', zip: '211' }, tags: ['textile', 'cotton'], score: 80 },
  { _id: 2, name: 'Bolt', country: 'CN', address: { city: 'Shenzhen' }, tags: [], score: 40 },
  { _id: 3, name: 'Cray', country: 'CN', tags: ['electronics'], score: null },
];

describe('aggregation pipeline: parsing', () => {
  it('When a stage is unknown or malformed, then 40324 or 40323 is raised even for an empty input', async () => {
    await expectCode(run([], [{ $foo: {} }]), 40324, /Unrecognized pipeline stage name: '\$foo'/);
    await expectCode(run([], [{ $match: {}, $limit: 1 }]), 40323);
    await expectCode(run([], [{}]), 40323);
    await expectCode(run([], [{ $project: { a: { $nope: 1 } } }]), 168);
  });

  it('When $limit or $skip get bad values, then MongoDB codes are used', async () => {
    await expectCode(run([], [{ $limit: 0 }]), 15958);
    await expectCode(run([], [{ $limit: 'x' }]), 15957);
    await expectCode(run([], [{ $skip: -1 }]), 15956);
    await expectCode(run([], [{ $sort: {} }]), 15976);
    await expectCode(run([], [{ $sort: { a: 2 } }]), 15975);
  });

  it('When $out is not the last stage, then 40601 is raised', async () => {
    await expectCode(run([], [{ $out: 'x' }, { $limit: 1 }]), 40601);
  });
});

describe('aggregation pipeline: $match, $sort, $skip, $limit, $count', () => {
  it('When $match uses $expr with $$NOW or strings, then it sees the command clock and collation', async () => {
    const input = [{ _id: 1, due: new Date('2025-12-31T00:00:00Z'), c: 'Sweden' }, { _id: 2, due: new Date('2026-01-02T00:00:00Z'), c: 'sweden' }];
    const overdue = await run(input, [{ $match: { $expr: { $lt: ['$due', '$$NOW'] } } }]);
    assert.deepEqual(overdue.map((d) => d._id), [1]);
    const collated = await run(input, [{ $match: { $expr: { $eq: ['$c', 'SWEDEN'] } } }], { ...context(), collator: createCollator({ locale: 'en', strength: 2 }) });
    assert.deepEqual(collated.map((d) => d._id), [1, 2]);
  });

  it('When matching, sorting and paging, then the documents come back in a stable order', async () => {
    const input = [
      { _id: 1, g: 'b', n: 1 },
      { _id: 2, g: 'a', n: 1 },
      { _id: 3, g: 'a', n: 2 },
      { _id: 4, g: 'c', n: 1 },
    ];
    const out = await run(input, [{ $match: { n: 1 } }, { $sort: { g: -1 } }, { $skip: 1 }, { $limit: 5 }]);
    assert.deepEqual(out.map((d) => d._id), [1, 2]);
    const stable = await run(input, [{ $sort: { n: 1 } }]);
    assert.deepEqual(stable.map((d) => d._id), [1, 2, 4, 3]);
  });

  it('When $match uses $expr, then expressions see the document', async () => {
    const out = await run(suppliers, [{ $match: { $expr: { $gt: [{ $size: '$tags' }, 0] } } }]);
    assert.deepEqual(out.map((d) => d._id), [1, 3]);
  });

  it('When counting, then one document holds the count, and none when nothing is left', async () => {
    assert.deepEqual(await run(suppliers, [{ $count: 'total' }]), [{ total: 3 }]);
    assert.deepEqual(await run(suppliers, [{ $match: { country: 'NO' } }, { $count: 'total' }]), []);
    await expectCode(run([], [{ $count: '$x' }]), 40158);
  });
});

describe('aggregation pipeline: $project, $addFields, $unset, $replaceRoot', () => {
  it('When including fields, then _id comes along unless excluded, and computed fields follow', async () => {
    const out = await run(suppliers.slice(0, 1), [{ $project: { city: '$address.city', name: 1, 'address.zip': 1 } }]);
    assert.deepEqual(out, [{ _id: 1, name: 'Acme', address: { zip: '211' }, city: 'Malmö' }]);
    assert.deepEqual(Object.keys(out[0]), ['_id', 'name', 'address', 'city']);
    const renamed = await run(suppliers.slice(0, 1), [{ $project: { country: 1, _id: '$name' } }]);
    assert.deepEqual(Object.keys(renamed[0]), ['_id', 'country']);
    assert.equal(renamed[0]._id, 'Acme');
    const noId = await run(suppliers.slice(0, 1), [{ $project: { _id: 0, name: 1 } }]);
    assert.deepEqual(noId, [{ name: 'Acme' }]);
  });

  it('When excluding fields, then everything else stays, nested paths included', async () => {
    const out = await run(suppliers.slice(0, 1), [{ $project: { tags: 0, 'address.zip': 0, score: 0 } }]);
    assert.deepEqual(out, [{ _id: 1, name: 'Acme', country: 'SE', address: { city: 'Malmö' } }]);
    assert.deepEqual(await run(suppliers.slice(0, 1), [{ $unset: ['tags', 'address', 'score', 'country'] }]), [{ _id: 1, name: 'Acme' }]);
  });

  it('When a projection mixes inclusion and exclusion or collides, then MongoDB codes are raised', async () => {
    await expectCode(run([], [{ $project: { a: 1, b: 0 } }]), 31254);
    await expectCode(run([], [{ $project: { a: 0, b: 1 } }]), 31253);
    await expectCode(run([], [{ $project: { a: 1, 'a.b': 1 } }]), 31250);
    await expectCode(run([], [{ $project: {} }]), 51272);
    await expectCode(run([], [{ $addFields: {} }]), 40177);
  });

  it('When projecting into an array of documents, then each element is projected', async () => {
    const input = [{ _id: 1, lines: [{ q: 'a', answer: 'yes', note: 'x' }, { q: 'b', answer: 'no' }, 7] }];
    assert.deepEqual(await run(input, [{ $project: { 'lines.q': 1 } }]), [{ _id: 1, lines: [{ q: 'a' }, { q: 'b' }] }]);
    assert.deepEqual(await run(input, [{ $project: { 'lines.note': 0, 'lines.answer': 0 } }]), [{ _id: 1, lines: [{ q: 'a' }, { q: 'b' }, 7] }]);
  });

  it('When adding fields, then existing ones keep their position, nested ones merge and $$REMOVE deletes', async () => {
    const out = await run(suppliers.slice(0, 1), [
      { $addFields: { name: { $toUpper: '$name' }, 'address.country': '$country', risk: { $cond: [{ $lt: ['$score', 50] }, 'high', 'low'] } } },
      { $set: { tags: '$$REMOVE' } },
    ]);
    assert.deepEqual(out, [{ _id: 1, name: 'ACME', country: 'SE', address: { city: 'Malmö', zip: '211', country: 'SE' }, score: 80, risk: 'low' }]);
    assert.deepEqual(Object.keys(out[0]), ['_id', 'name', 'country', 'address', 'score', 'risk']);
  });

  it('When replacing the root, then a non-document result is error 40228', async () => {
    assert.deepEqual(await run(suppliers.slice(0, 2), [{ $replaceRoot: { newRoot: '$address' } }]), [{ city: 'Malmö', zip: '211' }, { city: 'Shenzhen' }]);
    assert.deepEqual(await run(suppliers.slice(0, 1), [{ $replaceWith: { n: '$name' } }]), [{ n: 'Acme' }]);
    await expectCode(run(suppliers, [{ $replaceWith: '$address' }]), 40228, /'newRoot' expression must evaluate to an object/);
    await expectCode(run([], [{ $replaceRoot: {} }]), 40231);
  });

  it('When a field is literally named __proto__, then $project, $addFields and object expressions keep it as a field', async () => {
    const proto = JSON.parse('{"__proto__": {"polluted": true}}') as Document;
    const [set] = await run([{ _id: 1 }], [{ $addFields: JSON.parse('{"__proto__": {"$literal": {"x": 1}}}') }]);
    assert.deepEqual(Object.keys(set), ['_id', '__proto__']);
    assert.equal(Object.getPrototypeOf(set), Object.prototype);
    const [projected] = await run([{ _id: 1, ...proto }], [JSON.parse('{"$project": {"__proto__": 1}}')]);
    assert.deepEqual(Object.keys(projected), ['_id', '__proto__']);
    const [built] = await run([{ _id: 1 }], [{ $replaceWith: JSON.parse('{"__proto__": {"$literal": 1}}') }]);
    assert.deepEqual(Object.keys(built), ['__proto__']);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });
});

describe('aggregation pipeline: $unwind', () => {
  const input: Document[] = [
    { _id: 1, tags: ['a', 'b'] },
    { _id: 2, tags: [] },
    { _id: 3, tags: null },
    { _id: 4 },
    { _id: 5, tags: 'solo' },
  ];

  it('When unwinding a path, then each element becomes a document and empty, null or missing are dropped', async () => {
    const out = await run(input, [{ $unwind: '$tags' }]);
    assert.deepEqual(out, [{ _id: 1, tags: 'a' }, { _id: 1, tags: 'b' }, { _id: 5, tags: 'solo' }]);
  });

  it('When preserving null and empty arrays with an index field, then those documents stay with a null index', async () => {
    const out = await run(input, [{ $unwind: { path: '$tags', includeArrayIndex: 'i', preserveNullAndEmptyArrays: true } }]);
    assert.deepEqual(out, [
      { _id: 1, tags: 'a', i: 0n },
      { _id: 1, tags: 'b', i: 1n },
      { _id: 2, i: null },
      { _id: 3, tags: null, i: null },
      { _id: 4, i: null },
      { _id: 5, tags: 'solo', i: null },
    ]);
  });

  it('When the $unwind spec is invalid, then MongoDB codes are used', async () => {
    await expectCode(run([], [{ $unwind: 'tags' }]), 28818);
    await expectCode(run([], [{ $unwind: { path: '$a', foo: 1 } }]), 28811);
    await expectCode(run([], [{ $unwind: 5 }]), 15981);
  });
});

describe('aggregation pipeline: $facet, $sample and $out', () => {
  it('When faceting, then every sub-pipeline sees the same input', async () => {
    const out = await run(suppliers, [
      { $facet: { byCountry: [{ $sortByCount: '$country' }], top: [{ $sort: { score: -1 } }, { $limit: 1 }, { $project: { name: 1 } }] } },
    ]);
    assert.deepEqual(out, [{ byCountry: [{ _id: 'CN', count: 2 }, { _id: 'SE', count: 1 }], top: [{ _id: 1, name: 'Acme' }] }]);
    await expectCode(run([], [{ $facet: { a: [{ $out: 'x' }] } }]), 40600);
    await expectCode(run([], [{ $facet: {} }]), 40169);
  });

  it('When sampling, then the requested number of distinct documents comes back', async () => {
    const input = Array.from({ length: 20 }, (_, i) => ({ _id: i }));
    const out = await run(input, [{ $sample: { size: 5 } }]);
    assert.equal(out.length, 5);
    assert.equal(new Set(out.map((d) => d._id)).size, 5);
    assert.equal((await run(input.slice(0, 3), [{ $sample: { size: 10 } }])).length, 3);
    await expectCode(run([], [{ $sample: { size: -1 } }]), 28747);
  });

  it('When writing with $out, then the collection receives the documents (ids added) and nothing is returned', async () => {
    const ctx = context();
    const out = await run([{ _id: 1, a: 1 }], [{ $project: { _id: 0, a: 1 } }, { $out: 'report' }], ctx);
    assert.deepEqual(out, []);
    const written = ctx.written['unit.report'];
    assert.equal(written.length, 1);
    assert.equal(written[0].a, 1);
    assert.ok(written[0]._id !== undefined);
    await run([{ _id: 2 }], [{ $out: { db: 'other', coll: 'copy' } }], ctx);
    assert.deepEqual(ctx.written['other.copy'], [{ _id: 2 }]);
  });

  it('When results come back, then they share no objects with the input documents', async () => {
    const input = [Object.freeze({ _id: 1, nested: Object.freeze({ a: 1 }), list: Object.freeze([1]) })] as Document[];
    const [out] = await run(input, [{ $match: {} }]);
    assert.notEqual(out, input[0]);
    assert.notEqual(out.nested, input[0].nested);
    assert.notEqual(out.list, input[0].list);
    (out.nested as Document).a = 2;
    assert.equal((input[0].nested as Document).a, 1);
  });
});
