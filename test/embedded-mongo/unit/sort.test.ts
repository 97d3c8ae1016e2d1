import assert from 'node:assert/strict';
import { Decimal128, MinKey, ObjectId } from 'bson';
import { compileSort, naturalSortDirection, sortDocuments } from '../../../src/embedded-mongo/query/sort';
import { createCollator } from '../../../src/embedded-mongo/query/collation';
import { MongoServerError } from '../../../src/embedded-mongo/errors';
import type { Collator, Document } from '../../../src/embedded-mongo/types';

function order(docs: Document[], spec: Document, collator?: Collator): unknown[] {
  return [...docs].sort(compileSort(spec, collator)).map((d) => d._id);
}

describe('embedded-mongo query/sort', () => {
  it('sorts ascending and descending on one key', () => {
    const docs = [{ _id: 1, n: 3 }, { _id: 2, n: 1 }, { _id: 3, n: 2 }];
    assert.deepEqual(order(docs, { n: 1 }), [2, 3, 1]);
    assert.deepEqual(order(docs, { n: -1 }), [1, 3, 2]);
  });

  it('breaks ties with later keys and keeps input order for full ties', () => {
    const docs = [{ _id: 1, a: 1, b: 2 }, { _id: 2, a: 1, b: 1 }, { _id: 3, a: 0, b: 9 }, { _id: 4, a: 1, b: 1 }];
    assert.deepEqual(order(docs, { a: -1, b: 1 }), [2, 4, 1, 3]);
  });

  it('orders mixed types by MongoDB type order, with missing sorting as null', () => {
    const docs = [
      { _id: 'str', v: 'a' },
      { _id: 'num', v: 5n },
      { _id: 'missing' },
      { _id: 'oid', v: new ObjectId() },
      { _id: 'obj', v: { x: 1 } },
      { _id: 'min', v: new MinKey() },
      { _id: 'bool', v: true },
      { _id: 'dec', v: Decimal128.fromString('4.5') },
    ];
    assert.deepEqual(order(docs, { v: 1 }), ['min', 'missing', 'dec', 'num', 'str', 'obj', 'oid', 'bool']);
  });

  it('uses the smallest array element ascending and the largest descending', () => {
    const docs = [{ _id: 1, a: [5, 1] }, { _id: 2, a: 2 }, { _id: 3, a: [3, 4] }];
    assert.deepEqual(order(docs, { a: 1 }), [1, 2, 3]);
    assert.deepEqual(order(docs, { a: -1 }), [1, 3, 2]);
  });

  it('sorts an empty array before null', () => {
    const docs = [{ _id: 'null', a: null }, { _id: 'empty', a: [] }, { _id: 'one', a: [1] }];
    assert.deepEqual(order(docs, { a: 1 }), ['empty', 'null', 'one']);
  });

  it('sorts by dotted paths through arrays of documents', () => {
    const docs = [{ _id: 1, r: [{ s: 9 }, { s: 4 }] }, { _id: 2, r: [{ s: 5 }] }, { _id: 3, r: { s: 1 } }];
    assert.deepEqual(order(docs, { 'r.s': 1 }), [3, 1, 2]);
    assert.deepEqual(order(docs, { 'r.s': -1 }), [1, 2, 3]);
  });

  it('compares strings with the collator when given one', () => {
    const docs = [{ _id: 'ö', s: 'ö' }, { _id: 'z', s: 'z' }, { _id: 'a', s: 'a' }, { _id: 'Å', s: 'Å' }];
    assert.deepEqual(order(docs, { s: 1 }, createCollator({ locale: 'sv' })), ['a', 'z', 'Å', 'ö']);
    assert.deepEqual(order(docs, { s: 1 }), ['a', 'z', 'Å', 'ö'].sort());
  });

  it('accepts an empty spec as no sort', () => {
    const docs = [{ _id: 2 }, { _id: 1 }];
    assert.deepEqual(order(docs, {}), [2, 1]);
  });

  it('sortDocuments gives the same stable order as compileSort without touching its input', () => {
    const docs = [{ _id: 1, a: [2, 9] }, { _id: 2, a: 'x' }, { _id: 3 }, { _id: 4, a: 2 }, { _id: 5, a: [] }];
    for (const spec of [{ a: 1 }, { a: -1 }, { a: -1, _id: -1 }]) {
      assert.deepEqual(sortDocuments(docs, spec).map((d) => d._id), order(docs, spec));
    }
    assert.deepEqual(docs.map((d) => d._id), [1, 2, 3, 4, 5]);
  });

  it('a comparator reused after the sort sees documents as they are now', async () => {
    const comparator = compileSort({ n: 1 });
    const a: Document = { n: 1 };
    const b: Document = { n: 2 };
    assert.equal(comparator(a, b), -1);
    await Promise.resolve();
    a.n = 3;
    assert.equal(comparator(a, b), 1);
  });

  it('leaves $natural to the storage engine', () => {
    const docs = [{ _id: 2, a: 1 }, { _id: 1, a: 1 }, { _id: 3, a: 0 }];
    assert.deepEqual(order(docs, { $natural: -1 }), [2, 1, 3]);
    assert.deepEqual(order(docs, { a: 1, $natural: -1 }), [3, 2, 1]);
    assert.equal(naturalSortDirection({ $natural: -1 }), -1);
    assert.equal(naturalSortDirection({ a: 1 }), undefined);
  });

  it('rejects $-prefixed sort fields other than $natural', () => {
    assert.throws(() => compileSort({ $foo: 1 }), (err: unknown) => err instanceof MongoServerError && err.code === 2);
  });

  it('rejects orderings other than 1 and -1 with code 15975', () => {
    for (const bad of [{ a: 0 }, { a: 2 }, { a: 'asc' }, { a: true }]) {
      assert.throws(
        () => compileSort(bad),
        (err: unknown) =>
          err instanceof MongoServerError && err.code === 15975 && err.message === '$sort key ordering must be 1 (for ascending) or -1 (for descending)',
      );
    }
  });
});
