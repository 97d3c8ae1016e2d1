import assert from 'node:assert/strict';
import { Double } from 'bson';
import { runPipeline, type PipelineContext } from '../../../src/embedded-mongo/aggregate/pipeline';
import { MongoServerError } from '../../../src/embedded-mongo/errors';
import type { Document } from '../../../src/embedded-mongo/types';

const ctx: PipelineContext = {
  db: 'unit',
  now: new Date('2026-01-01T00:00:00Z'),
  readCollection: () => [],
  writeCollection: async () => undefined,
};

async function expectCode(promise: Promise<unknown>, code: number): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof MongoServerError && err.code === code);
}

const scores: Document[] = [
  { _id: 1, region: 'north', day: new Date('2026-01-01T00:00:00Z'), risk: 30 },
  { _id: 2, region: 'south', day: new Date('2026-01-01T00:00:00Z'), risk: 10 },
  { _id: 3, region: 'north', day: new Date('2026-01-03T00:00:00Z'), risk: 50 },
  { _id: 4, region: 'north', day: new Date('2026-01-02T00:00:00Z'), risk: 50 },
  { _id: 5, region: 'south', day: new Date('2026-01-05T00:00:00Z'), risk: 20 },
  { _id: 6, region: 'north', day: new Date('2026-01-10T00:00:00Z'), risk: 10 },
];

const pick = (docs: Document[], ...fields: string[]) => docs.map((d) => [d._id, ...fields.map((f) => d[f])]);

describe('aggregation pipeline: $setWindowFields', () => {
  it('When summing over running and whole-partition windows, then each document gets its partition value in sort order', async () => {
    const out = await runPipeline(scores, [
      {
        $setWindowFields: {
          partitionBy: '$region',
          sortBy: { day: 1 },
          output: {
            running: { $sum: '$risk', window: { documents: ['unbounded', 'current'] } },
            total: { $sum: '$risk' },
            history: { $push: '$risk', window: { documents: ['unbounded', 'current'] } },
          },
        },
      },
    ], ctx);
    assert.deepEqual(pick(out, 'running', 'total', 'history'), [
      [1, 30, 140, [30]],
      [4, 80, 140, [30, 50]],
      [3, 130, 140, [30, 50, 50]],
      [6, 140, 140, [30, 50, 50, 10]],
      [2, 10, 30, [10]],
      [5, 30, 30, [10, 20]],
    ]);
  });

  it('When averaging over a sliding document window, then the window is clipped at the partition edges', async () => {
    const out = await runPipeline(scores, [
      { $match: { region: 'north' } },
      { $setWindowFields: { sortBy: { day: 1 }, output: { avg3: { $avg: '$risk', window: { documents: [-1, 1] } } } } },
    ], ctx);
    assert.deepEqual(pick(out, 'avg3'), [[1, new Double(40)], [4, 130 / 3], [3, 110 / 3], [6, new Double(30)]]);
  });

  it('When windows are ranges of time, then documents within the unit offsets are included', async () => {
    const out = await runPipeline(scores, [
      { $match: { region: 'north' } },
      { $setWindowFields: { sortBy: { day: 1 }, output: { lastTwoDays: { $max: '$risk', window: { range: [-1, 'current'], unit: 'day' } }, n: { $count: {}, window: { range: [-7, 0], unit: 'day' } } } } },
    ], ctx);
    assert.deepEqual(pick(out, 'lastTwoDays', 'n'), [[1, 30, 1], [4, 50, 2], [3, 50, 3], [6, 10, 2]]);
  });

  it('When ranking, then ties share a rank and dense ranks leave no gaps', async () => {
    const out = await runPipeline(scores, [
      { $setWindowFields: { sortBy: { risk: -1 }, output: { rank: { $rank: {} }, dense: { $denseRank: {} }, n: { $documentNumber: {} } } } },
    ], ctx);
    assert.deepEqual(pick(out, 'risk', 'rank', 'dense', 'n'), [
      [3, 50, 1, 1, 1],
      [4, 50, 1, 1, 2],
      [1, 30, 3, 2, 3],
      [5, 20, 4, 3, 4],
      [2, 10, 5, 4, 5],
      [6, 10, 5, 4, 6],
    ]);
  });

  it('When shifting and carrying values forward, then neighbours and last non-null values are read', async () => {
    const input = [{ _id: 1, t: 1, v: 5 }, { _id: 2, t: 2, v: null }, { _id: 3, t: 3 }, { _id: 4, t: 4, v: 8 }];
    const out = await runPipeline(input, [
      { $setWindowFields: { sortBy: { t: 1 }, output: { prev: { $shift: { output: '$v', by: -1, default: 'none' } }, filled: { $locf: '$v' } } } },
    ], ctx);
    assert.deepEqual(pick(out, 'prev', 'filled'), [[1, 'none', 5], [2, 5, 5], [3, null, 5], [4, null, 8]]);
  });

  it('When the specification is invalid, then it is rejected before running', async () => {
    await expectCode(runPipeline([], [{ $setWindowFields: { sortBy: { a: 1 } } }], ctx), 40414);
    await expectCode(runPipeline([], [{ $setWindowFields: { output: { r: { $rank: {} } } } }], ctx), 5371602);
    await expectCode(runPipeline([], [{ $setWindowFields: { sortBy: { a: 1 }, output: { s: { $sum: '$a', window: { documents: [1, -1] } } } } }], ctx), 5339900);
    await expectCode(runPipeline([], [{ $setWindowFields: { output: { s: { $median: '$a' } } } }], ctx), 9);
  });
});

describe('aggregation pipeline: $redact and $documents', () => {
  it('When redacting by access level, then pruned sub-documents and array elements disappear', async () => {
    const input = [
      {
        _id: 1,
        level: 1,
        name: 'report',
        findings: [{ level: 1, text: 'open' }, { level: 3, text: 'secret' }],
        audit: { level: 3, auditor: 'x' },
      },
    ];
    const out = await runPipeline(input, [{ $redact: { $cond: [{ $lte: ['$level', 2] }, '$$DESCEND', '$$PRUNE'] } }], ctx);
    assert.deepEqual(out, [{ _id: 1, level: 1, name: 'report', findings: [{ level: 1, text: 'open' }] }]);
    await expectCode(runPipeline(input, [{ $redact: 'keep' }], ctx), 17053);
  });

  it('When $documents starts a pipeline, then its array becomes the input', async () => {
    const out = await runPipeline([], [{ $documents: [{ x: 1 }, { x: 2 }] }, { $match: { x: { $gt: 1 } } }], ctx);
    assert.deepEqual(out, [{ x: 2 }]);
    await expectCode(runPipeline([], [{ $match: {} }, { $documents: [] }], ctx), 40602);
  });
});
