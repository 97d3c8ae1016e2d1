import assert from 'node:assert/strict';
import { Binary, BSONRegExp, BSONSymbol, Code, Decimal128, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { compileFilter } from '../../../src/embedded-mongo/query/matcher';
import { createCollator } from '../../../src/embedded-mongo/query/collation';
import { assertThrowsMongoError } from './assert-mongo-error';
import type { Document } from '../../../src/embedded-mongo/types';

function matches(filter: Document, doc: Document): boolean {
  return compileFilter(filter).test(doc);
}

function ids(filter: Document, docs: Document[]): unknown[] {
  const matcher = compileFilter(filter);
  return docs.filter((d) => matcher.test(d)).map((d) => d._id);
}

function assertRejects(filter: unknown, code: number, message: string | RegExp): void {
  assertThrowsMongoError(() => compileFilter(filter), code, message);
}

describe('embedded-mongo query/matcher', () => {
  describe('equality', () => {
    it('matches an empty filter against every document', () => {
      assert.ok(matches({}, { a: 1 }));
    });

    it('matches scalars of any numeric representation by value', () => {
      assert.ok(matches({ a: 1 }, { a: 1n }));
      assert.ok(matches({ a: Decimal128.fromString('2.50') }, { a: 2.5 }));
      assert.ok(!matches({ a: 1 }, { a: '1' }));
    });

    it('matches an array field when one element equals the value', () => {
      assert.ok(matches({ tags: 'red' }, { tags: ['blue', 'red'] }));
      assert.ok(!matches({ tags: 'green' }, { tags: ['blue', 'red'] }));
    });

    it('matches a whole array, or an element that is itself that array', () => {
      assert.ok(matches({ a: [1, 2] }, { a: [1, 2] }));
      assert.ok(matches({ a: [1, 2] }, { a: [[1, 2], 3] }));
      assert.ok(!matches({ a: [1, 2] }, { a: [2, 1] }));
    });

    it('compares embedded documents exactly, field order included', () => {
      assert.ok(matches({ a: { x: 1, y: 2 } }, { a: { x: 1, y: 2 } }));
      assert.ok(!matches({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } }));
      assert.ok(!matches({ a: { x: 1 } }, { a: { x: 1, y: 2 } }));
    });

    it('matches {a: null} against null, undefined and a missing field, but not other values', () => {
      const docs = [{ _id: 1, a: null }, { _id: 2 }, { _id: 3, a: 0 }, { _id: 4, a: [1, null] }, { _id: 5, a: undefined }];
      assert.deepEqual(ids({ a: null }, docs), [1, 2, 4, 5]);
      assert.deepEqual(ids({ a: { $ne: null } }, docs), [3]);
    });

    it('treats an operator-looking value under $eq as a literal document', () => {
      assert.ok(matches({ a: { $eq: { $gt: 1 } } }, { a: { $gt: 1 } }));
      assert.ok(!matches({ a: { $eq: { $gt: 1 } } }, { a: 5 }));
    });

    it('matches ObjectIds, dates and binData by value', () => {
      const id = new ObjectId();
      assert.ok(matches({ _id: new ObjectId(id.toHexString()) }, { _id: id }));
      assert.ok(matches({ d: new Date(5) }, { d: new Date(5) }));
      assert.ok(matches({ b: new Binary(Buffer.from([1])) }, { b: new Binary(Buffer.from([1])) }));
    });
  });

  describe('dotted paths', () => {
    it('descends into embedded documents', () => {
      assert.ok(matches({ 'a.b.c': 1 }, { a: { b: { c: 1 } } }));
      assert.ok(!matches({ 'a.b.c': 1 }, { a: { b: 1 } }));
    });

    it('traverses arrays of documents implicitly', () => {
      const doc = { a: [{ b: 1 }, { b: [2, 3] }] };
      assert.ok(matches({ 'a.b': 1 }, doc));
      assert.ok(matches({ 'a.b': 3 }, doc));
      assert.ok(matches({ 'a.b': [2, 3] }, doc));
      assert.ok(!matches({ 'a.b': 4 }, doc));
    });

    it('uses numeric components as array indexes', () => {
      const doc = { a: [{ b: 1 }, { b: 2 }], c: [10, 20] };
      assert.ok(matches({ 'a.1.b': 2 }, doc));
      assert.ok(!matches({ 'a.0.b': 2 }, doc));
      assert.ok(matches({ 'c.1': 20 }, doc));
      assert.ok(!matches({ 'c.5': 20 }, doc));
    });

    it('does not expand an array reached through an explicit index, and sets no $ position for it', () => {
      assert.ok(!matches({ 'a.0': 1 }, { a: [[1, 2]] }));
      assert.ok(matches({ 'a.0': [1, 2] }, { a: [[1, 2]] }));
      assert.ok(matches({ 'a.0': { $size: 2 } }, { a: [[1, 2]] }));
      assert.equal(compileFilter({ 'a.1': 5 }).positionalIndex({ a: [4, 5] }), undefined);
    });

    it('also treats a numeric component as a field name of documents in the array', () => {
      assert.ok(matches({ 'a.0': 'x' }, { a: [{ 0: 'x' }] }));
    });

    it('does not descend into arrays nested directly in arrays', () => {
      assert.ok(!matches({ 'a.b': 1 }, { a: [[{ b: 1 }]] }));
    });

    it('yields nothing for a path continuing past an array of scalars', () => {
      assert.ok(!matches({ 'a.b': null }, { a: [1, 2] }));
      assert.ok(!matches({ 'a.0.b': null }, { a: [5] }));
      assert.ok(matches({ 'a.b': { $exists: false } }, { a: [1, 2] }));
    });

    it('matches null on a path when an array element lacks the field', () => {
      assert.ok(matches({ 'a.b': null }, { a: [{ b: 1 }, { c: 1 }] }));
      assert.ok(!matches({ 'a.b': null }, { a: [{ b: 1 }, { b: 2 }] }));
      assert.ok(matches({ 'a.b': null }, { a: 5 }));
    });
  });

  describe('comparison operators', () => {
    const docs = [
      { _id: 1, v: 1 },
      { _id: 2, v: 5n },
      { _id: 3, v: Decimal128.fromString('10.5') },
      { _id: 4, v: 'abc' },
      { _id: 5, v: null },
      { _id: 6 },
      { _id: 7, v: [0, 20] },
      { _id: 8, v: new Date(1000) },
    ];

    it('$gt/$gte/$lt/$lte compare numbers of any representation', () => {
      assert.deepEqual(ids({ v: { $gt: 4 } }, docs), [2, 3, 7]);
      assert.deepEqual(ids({ v: { $gte: 5 } }, docs), [2, 3, 7]);
      assert.deepEqual(ids({ v: { $lt: 5 } }, docs), [1, 7]);
      assert.deepEqual(ids({ v: { $lte: Decimal128.fromString('5') } }, docs), [1, 2, 7]);
    });

    it('only matches values of the same type bracket', () => {
      assert.deepEqual(ids({ v: { $gt: 'a' } }, docs), [4]);
      assert.deepEqual(ids({ v: { $lt: new Date(2000) } }, docs), [8]);
      assert.deepEqual(ids({ v: { $gt: -Infinity } }, docs), [1, 2, 3, 7]);
    });

    it('matches an array when any element satisfies each condition independently', () => {
      assert.ok(matches({ v: { $gt: 10, $lt: 5 } }, { v: [0, 20] }));
      assert.ok(!matches({ v: { $elemMatch: { $gt: 10, $lt: 5 } } }, { v: [0, 20] }));
    });

    it('treats $gte/$lte null as equality with null and $gt/$lt null as matching nothing', () => {
      assert.deepEqual(ids({ v: { $gte: null } }, docs), [5, 6]);
      assert.deepEqual(ids({ v: { $lt: null } }, docs), []);
    });

    it('lets MinKey and MaxKey bounds compare across types', () => {
      assert.deepEqual(ids({ v: { $lt: new MaxKey() } }, docs), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(ids({ v: { $gt: new MinKey() } }, docs), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(ids({ v: { $gt: new MaxKey() } }, docs), []);
    });

    it('matches NaN only by equality with NaN', () => {
      assert.ok(matches({ v: NaN }, { v: NaN }));
      assert.ok(matches({ v: { $gte: NaN } }, { v: NaN }));
      assert.ok(!matches({ v: { $lt: 0 } }, { v: NaN }));
      assert.ok(!matches({ v: { $gt: NaN } }, { v: 1 }));
    });

    it('$ne and $nin match when no element matches, including missing fields', () => {
      assert.deepEqual(ids({ v: { $ne: 20 } }, docs), [1, 2, 3, 4, 5, 6, 8]);
      assert.deepEqual(ids({ v: { $nin: [1, 'abc', null] } }, docs), [2, 3, 7, 8]);
    });
  });

  describe('$in', () => {
    it('matches any listed value, with null matching missing', () => {
      const docs = [{ _id: 1, a: 1 }, { _id: 2, a: 2 }, { _id: 3 }, { _id: 4, a: [3, 9] }];
      assert.deepEqual(ids({ a: { $in: [1, 9, null] } }, docs), [1, 3, 4]);
    });

    it('compares listed values by BSON equality across numeric types, dates and ObjectIds', () => {
      const id = new ObjectId();
      const filter = { a: { $in: [1n, Decimal128.fromString('2.0'), 'x', new ObjectId(id.toHexString()), new Date(7), { k: 1 }] } };
      const docs = [
        { _id: 1, a: 1 },
        { _id: 2, a: Decimal128.fromString('1') },
        { _id: 3, a: 2 },
        { _id: 4, a: id },
        { _id: 5, a: new Date(7) },
        { _id: 6, a: { k: 1 } },
        { _id: 7, a: 'X' },
        { _id: 8, a: -0 },
        { _id: 9, a: [5, 'x'] },
      ];
      assert.deepEqual(ids(filter, docs), [1, 2, 3, 4, 5, 6, 9]);
      assert.deepEqual(ids({ a: { $in: [0] } }, docs), [8]);
    });

    it('accepts regular expressions among its values', () => {
      assert.ok(matches({ a: { $in: [/^ab/, 'zz'] } }, { a: 'abc' }));
      assert.ok(matches({ a: { $in: [new BSONRegExp('^AB', 'i')] } }, { a: ['x', 'abc'] }));
      assert.ok(!matches({ a: { $nin: [/^ab/] } }, { a: 'abc' }));
    });

    it('rejects a non-array and nested operators', () => {
      assertRejects({ a: { $in: 1 } }, 2, '$in needs an array');
      assertRejects({ a: { $nin: {} } }, 2, '$nin needs an array');
      assertRejects({ a: { $in: [{ $gt: 1 }] } }, 2, 'cannot nest $ under $in');
    });
  });

  describe('logical operators', () => {
    const docs = [{ _id: 1, a: 1, b: 1 }, { _id: 2, a: 1, b: 2 }, { _id: 3, a: 2, b: 2 }];

    it('$and, $or and $nor combine clauses', () => {
      assert.deepEqual(ids({ $and: [{ a: 1 }, { b: 2 }] }, docs), [2]);
      assert.deepEqual(ids({ $or: [{ a: 2 }, { b: 1 }] }, docs), [1, 3]);
      assert.deepEqual(ids({ $nor: [{ a: 2 }, { b: 1 }] }, docs), [2]);
      assert.deepEqual(ids({ a: 1, $or: [{ b: 2 }, { b: 3 }] }, docs), [2]);
    });

    it('rejects empty or non-array clause lists and non-object clauses', () => {
      assertRejects({ $and: [] }, 2, '$and/$or/$nor must be a nonempty array');
      assertRejects({ $or: {} }, 2, '$and/$or/$nor must be a nonempty array');
      assertRejects({ $nor: [1] }, 2, '$or/$and/$nor entries need to be full objects');
    });

    it('$not negates an operator expression or a regex', () => {
      assert.deepEqual(ids({ b: { $not: { $gt: 1 } } }, docs), [1]);
      assert.ok(matches({ s: { $not: /^a/ } }, { s: 'bcd' }));
      assert.ok(matches({ s: { $not: { $gt: 1 } } }, {}));
      assertRejects({ a: { $not: 1 } }, 2, '$not needs a regex or a document');
      assertRejects({ a: { $not: {} } }, 2, '$not cannot be empty');
    });

    it('ignores $comment', () => {
      assert.deepEqual(ids({ $comment: 'why', a: 2 }, docs), [3]);
    });

    it('rejects unknown operators with MongoDB wording', () => {
      assertRejects({ a: { $foo: 1 } }, 2, 'unknown operator: $foo');
      assertRejects({ $foo: 1 }, 2, /^unknown top level operator: \$foo/);
      assertRejects({ a: { $gt: 1, b: 2 } }, 2, 'unknown operator: b');
      assertRejects({ a: { $ne: /x/ } }, 2, "Can't have regex as arg to $ne.");
    });
  });

  describe('$exists and $type', () => {
    it('$exists distinguishes a missing field from a null one', () => {
      const docs = [{ _id: 1, a: null }, { _id: 2 }, { _id: 3, a: [{ b: 1 }] }];
      assert.deepEqual(ids({ a: { $exists: true } }, docs), [1, 3]);
      assert.deepEqual(ids({ a: { $exists: false } }, docs), [2]);
      assert.deepEqual(ids({ 'a.b': { $exists: 1 } }, docs), [3]);
      assert.deepEqual(ids({ 'a.b': { $exists: 0 } }, docs), [1, 2]);
    });

    it('$type accepts aliases, numeric codes, "number" and arrays of them', () => {
      const docs = [
        { _id: 1, v: 1 },
        { _id: 2, v: 1.5 },
        { _id: 3, v: 2n },
        { _id: 4, v: Decimal128.fromString('1') },
        { _id: 5, v: 's' },
        { _id: 6, v: null },
        { _id: 7, v: [1] },
        { _id: 8, v: new ObjectId() },
        { _id: 9, v: new Timestamp({ t: 1, i: 1 }) },
        { _id: 10 },
      ];
      assert.deepEqual(ids({ v: { $type: 'number' } }, docs), [1, 2, 3, 4, 7]);
      assert.deepEqual(ids({ v: { $type: 'int' } }, docs), [1, 7]);
      assert.deepEqual(ids({ v: { $type: 1 } }, docs), [2]);
      assert.deepEqual(ids({ v: { $type: ['long', 'decimal'] } }, docs), [3, 4]);
      assert.deepEqual(ids({ v: { $type: 'array' } }, docs), [7]);
      assert.deepEqual(ids({ v: { $type: 10 } }, docs), [6]);
      assert.deepEqual(ids({ v: { $type: 'objectId' } }, docs), [8]);
      assert.deepEqual(ids({ v: { $type: 17 } }, docs), [9]);
    });

    it('When $type names code or symbols, then it takes MongoDB\'s names and codes', () => {
      const docs = [{ _id: 1, v: new Code('f()') }, { _id: 2, v: new Code('f()', { x: 1 }) }, { _id: 3, v: new BSONSymbol('s') }, { _id: 4, v: 's' }];
      assert.deepEqual(ids({ v: { $type: 'javascript' } }, docs), [1]);
      assert.deepEqual(ids({ v: { $type: 13 } }, docs), [1]);
      assert.deepEqual(ids({ v: { $type: 'javascriptWithScope' } }, docs), [2]);
      assert.deepEqual(ids({ v: { $type: 'symbol' } }, docs), [3]);
      assert.deepEqual(ids({ v: { $type: 'string' } }, docs), [4]);
      assertRejects({ v: { $type: 'javaScript' } }, 2, 'Unknown type name alias: javaScript');
    });

    it('$type rejects unknown names and codes', () => {
      assertRejects({ v: { $type: 'nope' } }, 2, 'Unknown type name alias: nope');
      assertRejects({ v: { $type: 'constructor' } }, 2, 'Unknown type name alias: constructor');
      assertRejects({ v: { $type: 99 } }, 2, 'Invalid numerical type code: 99');
      assertRejects({ v: { $type: [] } }, 2, '$type must match at least one type');
    });
  });

  describe('$regex', () => {
    it('matches strings with $options i, m, s and x', () => {
      assert.ok(matches({ s: { $regex: '^AB', $options: 'i' } }, { s: 'abc' }));
      assert.ok(matches({ s: { $regex: '^b', $options: 'm' } }, { s: 'a\nb' }));
      assert.ok(!matches({ s: { $regex: '^b' } }, { s: 'a\nb' }));
      assert.ok(matches({ s: { $regex: 'a.b', $options: 's' } }, { s: 'a\nb' }));
      assert.ok(matches({ s: { $regex: 'a b # comment\n c', $options: 'x' } }, { s: 'abc' }));
    });

    it('accepts RegExp and BSONRegExp values, alone or under $regex', () => {
      assert.ok(matches({ s: /b/ }, { s: 'abc' }));
      assert.ok(matches({ s: new BSONRegExp('B', 'i') }, { s: 'abc' }));
      assert.ok(matches({ s: { $regex: /B/i } }, { s: 'abc' }));
      assert.ok(matches({ s: { $regex: new BSONRegExp('B'), $options: 'i' } }, { s: 'abc' }));
    });

    it('matches elements of arrays and ignores non-strings', () => {
      assert.ok(matches({ s: /^x/ }, { s: [1, 'xy'] }));
      assert.ok(!matches({ s: /1/ }, { s: 1 }));
    });

    it('matches a stored regex equal to the query regex', () => {
      assert.ok(matches({ s: /a+/ }, { s: new BSONRegExp('a+', '') }));
    });

    it('rejects bad patterns, bad options and $options without $regex', () => {
      assertRejects({ s: { $regex: 1 } }, 2, '$regex has to be a string');
      assertRejects({ s: { $options: 'i' } }, 2, '$options needs a $regex');
      assertRejects({ s: { $regex: 'a', $options: 'q' } }, 51108, 'invalid flag in regex options: q');
      assertRejects({ s: { $regex: '(' } }, 51091, /^Regular expression is invalid/);
    });
  });

  describe('$mod and $size', () => {
    it('$mod matches numbers by remainder, truncating doubles', () => {
      const docs = [{ _id: 1, n: 10 }, { _id: 2, n: 11 }, { _id: 3, n: 12.9 }, { _id: 4, n: 22n }, { _id: 5, n: '10' }];
      assert.deepEqual(ids({ n: { $mod: [5, 0] } }, docs), [1]);
      assert.deepEqual(ids({ n: { $mod: [10, 2] } }, docs), [3, 4]);
    });

    it('$mod rejects malformed arguments', () => {
      assertRejects({ n: { $mod: 5 } }, 2, 'malformed mod, needs to be an array');
      assertRejects({ n: { $mod: [5] } }, 2, 'malformed mod, not enough elements');
      assertRejects({ n: { $mod: [5, 1, 2] } }, 2, 'malformed mod, too many elements');
      assertRejects({ n: { $mod: [0, 1] } }, 2, 'divisor cannot be 0');
    });

    it('$size matches arrays of exactly that length, never their elements', () => {
      const docs = [{ _id: 1, a: [1, 2] }, { _id: 2, a: [[1, 2]] }, { _id: 3, a: 'xy' }, { _id: 4, a: [] }];
      assert.deepEqual(ids({ a: { $size: 2 } }, docs), [1]);
      assert.deepEqual(ids({ a: { $size: 0 } }, docs), [4]);
      assert.deepEqual(ids({ a: { $size: 1 } }, docs), [2]);
      assertRejects({ a: { $size: 'x' } }, 2, '$size needs a number');
      assertRejects({ a: { $size: -1 } }, 2, '$size may not be negative');
      assertRejects({ a: { $size: 1.5 } }, 2, '$size must be a whole number');
    });
  });

  describe('$all and $elemMatch', () => {
    it('$all requires every value to be present', () => {
      const docs = [{ _id: 1, t: ['a', 'b', 'c'] }, { _id: 2, t: ['a'] }, { _id: 3, t: 'a' }];
      assert.deepEqual(ids({ t: { $all: ['a', 'b'] } }, docs), [1]);
      assert.deepEqual(ids({ t: { $all: ['a'] } }, docs), [1, 2, 3]);
      assert.deepEqual(ids({ t: { $all: [/^c/] } }, docs), [1]);
      assert.deepEqual(ids({ t: { $all: [] } }, docs), []);
      assertRejects({ t: { $all: 'a' } }, 2, '$all needs an array');
    });

    it('$all with $elemMatch needs every condition met by some element', () => {
      const doc = { q: [{ k: 'a', v: 1 }, { k: 'b', v: 2 }] };
      assert.ok(matches({ q: { $all: [{ $elemMatch: { k: 'a', v: 1 } }, { $elemMatch: { k: 'b' } }] } }, doc));
      assert.ok(!matches({ q: { $all: [{ $elemMatch: { k: 'a', v: 2 } }] } }, doc));
      assertRejects({ q: { $all: [{ $elemMatch: { k: 'a' } }, 1] } }, 2, '$all/$elemMatch has to be consistent');
    });

    it('$elemMatch on documents requires one element to meet every condition', () => {
      const doc = { a: [{ b: 1, c: 2 }, { b: 2, c: 1 }] };
      assert.ok(matches({ a: { $elemMatch: { b: 1, c: 2 } } }, doc));
      assert.ok(!matches({ a: { $elemMatch: { b: 1, c: 1 } } }, doc));
      assert.ok(matches({ a: { b: 1, c: 2 } }, { a: [{ b: 1, c: 2 }] }));
      assert.ok(matches({ a: { $elemMatch: { $or: [{ b: 5 }, { c: 1 }] } } }, doc));
    });

    it('$elemMatch on values applies the operators to each element', () => {
      assert.ok(matches({ a: { $elemMatch: { $gte: 80, $lt: 85 } } }, { a: [70, 82, 90] }));
      assert.ok(!matches({ a: { $elemMatch: { $gte: 80, $lt: 85 } } }, { a: [70, 90] }));
      assert.ok(!matches({ a: { $elemMatch: { $gt: 1 } } }, { a: 5 }));
      assertRejects({ a: { $elemMatch: 1 } }, 2, '$elemMatch needs an Object');
    });
  });

  describe('$bits operators', () => {
    it('test bit positions given as a mask or a list', () => {
      const docs = [{ _id: 1, n: 0b1010 }, { _id: 2, n: 0b0110 }, { _id: 3, n: -1 }];
      assert.deepEqual(ids({ n: { $bitsAllSet: [1, 3] } }, docs), [1, 3]);
      assert.deepEqual(ids({ n: { $bitsAnySet: 0b0100 } }, docs), [2, 3]);
      assert.deepEqual(ids({ n: { $bitsAllClear: [0] } }, docs), [1, 2]);
      assert.deepEqual(ids({ n: { $bitsAnyClear: [1, 2] } }, docs), [1]);
    });
  });

  describe('$expr', () => {
    it('evaluates an aggregation expression against the document', () => {
      const docs = [{ _id: 1, spent: 5, budget: 10 }, { _id: 2, spent: 15, budget: 10 }];
      assert.deepEqual(ids({ $expr: { $gt: ['$spent', '$budget'] } }, docs), [2]);
    });

    it('When a collation is given, then string comparisons inside $expr use it', () => {
      const collator = createCollator({ locale: 'en', strength: 2 });
      const filter = { $expr: { $eq: ['$country', 'sweden'] } };
      assert.ok(compileFilter(filter, { collator }).test({ country: 'Sweden' }));
      assert.ok(!compileFilter(filter).test({ country: 'Sweden' }));
    });

    it('When $$NOW is used, then every document sees the command clock (or one instant per compiled filter)', () => {
      const now = new Date('2026-03-01T00:00:00Z');
      const due = compileFilter({ $expr: { $lt: ['$due', '$$NOW'] } }, { now });
      assert.ok(due.test({ due: new Date('2026-02-28T23:59:59Z') }));
      assert.ok(!due.test({ due: new Date('2026-03-01T00:00:00Z') }));
      const fixed = compileFilter({ $expr: { $lte: ['$$NOW', '$at'] } });
      const compiled = new Date();
      while (Date.now() <= compiled.getTime()) {
        // wait for the clock to move past the compile instant: a per-call $$NOW would now be later than `compiled`
      }
      assert.ok(fixed.test({ at: compiled }));
    });

    it('When variables are given, then $$name reads them inside $expr', () => {
      const matcher = compileFilter({ $expr: { $gte: ['$score', '$$threshold'] } }, { variables: { threshold: 3 } });
      assert.ok(matcher.test({ score: 3 }));
      assert.ok(!matcher.test({ score: 2 }));
    });
  });

  describe('$jsonSchema', () => {
    it('checks required fields, types and ranges', () => {
      const schema = { $jsonSchema: { required: ['name'], properties: { name: { bsonType: 'string' }, age: { minimum: 0 } } } };
      assert.ok(matches(schema, { name: 'x', age: 3 }));
      assert.ok(!matches(schema, { age: 3 }));
      assert.ok(!matches(schema, { name: 5 }));
      assert.ok(!matches(schema, { name: 'x', age: -1 }));
    });

    it('supports the draft-4 keywords validators use', () => {
      const schema = {
        $jsonSchema: {
          bsonType: 'object',
          additionalProperties: false,
          properties: {
            _id: {},
            status: { enum: ['draft', 'sent'] },
            answers: { bsonType: 'array', minItems: 1, uniqueItems: true, items: { bsonType: ['string', 'int'] } },
            email: { bsonType: 'string', pattern: '^[^@]+@[^@]+$', maxLength: 20 },
            score: { anyOf: [{ bsonType: 'null' }, { bsonType: 'number', minimum: 0, maximum: 100, exclusiveMaximum: true }] },
          },
        },
      };
      assert.ok(matches(schema, { _id: 1, status: 'sent', answers: ['a', 1], email: 'a@b.se', score: null }));
      assert.ok(!matches(schema, { status: 'lost' }));
      assert.ok(!matches(schema, { answers: [] }));
      assert.ok(!matches(schema, { answers: ['a', 'a'] }));
      assert.ok(!matches(schema, { answers: [true] }));
      assert.ok(!matches(schema, { email: 'nope' }));
      assert.ok(!matches(schema, { score: 100 }));
      assert.ok(matches(schema, { score: 99.5 }));
      assert.ok(!matches(schema, { other: 1 }));
    });

    it('rejects unknown $jsonSchema keywords when compiling', () => {
      assertRejects({ $jsonSchema: { format: 'email' } }, 9, 'Unknown $jsonSchema keyword: format');
      assertRejects({ $jsonSchema: { required: 'x' } }, 9, /required/);
    });
  });

  describe('collation', () => {
    it('applies to string equality, ranges and $in but not to regexes', () => {
      const collator = createCollator({ locale: 'en', strength: 2 });
      const m = (filter: Document, doc: Document) => compileFilter(filter, { collator }).test(doc);
      assert.ok(m({ s: 'ABC' }, { s: 'abc' }));
      assert.ok(m({ s: { $in: ['X', 'ABC'] } }, { s: 'abc' }));
      assert.ok(m({ s: { $gte: 'B' } }, { s: 'b' }));
      assert.ok(!m({ s: /ABC/ }, { s: 'abc' }));
      assert.ok(!compileFilter({ s: 'ABC' }).test({ s: 'abc' }));
    });

    it('uses Swedish order, where å, ä and ö come after z', () => {
      const collator = createCollator({ locale: 'sv' });
      assert.ok(compileFilter({ s: { $gt: 'z' } }, { collator }).test({ s: 'ö' }));
      assert.ok(!compileFilter({ s: { $gt: 'z' } }, { collator: createCollator({ locale: 'de' }) }).test({ s: 'ö' }));
    });
  });

  describe('positionalIndex', () => {
    it('reports the index of the array element the query matched', () => {
      const doc = { grades: [80, 85, 90], items: [{ k: 'a' }, { k: 'b' }] };
      assert.equal(compileFilter({ grades: 85 }).positionalIndex(doc), 1);
      assert.equal(compileFilter({ grades: { $gte: 90 } }).positionalIndex(doc), 2);
      assert.equal(compileFilter({ 'items.k': 'b' }).positionalIndex(doc), 1);
      assert.equal(compileFilter({ items: { $elemMatch: { k: 'b' } } }).positionalIndex(doc), 1);
    });

    it('is undefined when the document does not match or no array was involved', () => {
      const doc = { a: 1, grades: [80] };
      assert.equal(compileFilter({ grades: 99 }).positionalIndex(doc), undefined);
      assert.equal(compileFilter({ a: 1 }).positionalIndex(doc), undefined);
    });

    it('takes the index from the last condition that went through an array, as MongoDB does', () => {
      const doc = { items: [{ k: 'a', n: 1 }, { k: 'b', n: 1 }] };
      assert.equal(compileFilter({ 'items.k': 'a', 'items.n': 1 }).positionalIndex(doc), 0);
      assert.equal(compileFilter({ 'items.n': 1, 'items.k': 'b' }).positionalIndex(doc), 1);
    });

    it('takes the index from the $or branch that matched', () => {
      const doc = { grades: [80, 85, 90] };
      assert.equal(compileFilter({ $or: [{ grades: 99 }, { grades: 90 }] }).positionalIndex(doc), 2);
    });
  });
});
