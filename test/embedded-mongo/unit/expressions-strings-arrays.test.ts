import assert from 'node:assert/strict';
import { BSONSymbol, Code, Decimal128, Double, ObjectId } from 'bson';
import { evaluateExpression } from '../../../src/embedded-mongo/aggregate/expressions';
import { MongoServerError } from '../../../src/embedded-mongo/errors';

const ev = (expr: unknown, doc: Record<string, unknown> = {}) => evaluateExpression(expr, doc);

function expectCode(fn: () => unknown, code: number): void {
  assert.throws(fn, (err: unknown) => err instanceof MongoServerError && err.code === code);
}

describe('aggregation expressions: strings', () => {
  it('When concatenating, then null gives null and non-strings are rejected with 16702', () => {
    assert.equal(ev({ $concat: ['$first', ' ', '$last'] }, { first: 'Ada', last: 'Lovelace' }), 'Ada Lovelace');
    assert.equal(ev({ $concat: ['a', '$missing'] }), null);
    expectCode(() => ev({ $concat: ['a', 1] }), 16702);
  });

  it('When changing case or taking substrings, then code points and bytes are counted as MongoDB does', () => {
    assert.equal(ev({ $toUpper: 'größe' }), 'GRößE', 'only ASCII letters change case, as in MongoDB');
    assert.equal(ev({ $toLower: null }), '');
    assert.equal(ev({ $toLower: 12 }), '12');
    assert.equal(ev({ $substrCP: ['Malmö län', 4, 3] }), 'ö l');
    assert.equal(ev({ $substrBytes: ['Malmö', 0, 4] }), 'Malm');
    assert.equal(ev({ $substr: ['hello', 1, -1] }), 'ello');
    expectCode(() => ev({ $substrBytes: ['ö', 1, 1] }), 28656);
    assert.equal(ev({ $strLenCP: 'Malmö' }), 5);
    assert.equal(ev({ $strLenBytes: 'Malmö' }), 6);
    expectCode(() => ev({ $strLenCP: 5 }), 34471);
  });

  it('When trimming, then whitespace or the given characters go from the chosen ends', () => {
    assert.equal(ev({ $trim: { input: '  padded \n' } }), 'padded');
    assert.equal(ev({ $ltrim: { input: 'xxabcxx', chars: 'x' } }), 'abcxx');
    assert.equal(ev({ $rtrim: { input: 'xxabcxx', chars: 'x' } }), 'xxabc');
    assert.equal(ev({ $trim: { input: null } }), null);
    expectCode(() => ev({ $trim: { input: 1 } }), 50699);
  });

  it('When splitting, searching and replacing, then results and errors follow MongoDB', () => {
    assert.deepEqual(ev({ $split: ['a,b,,c', ','] }), ['a', 'b', '', 'c']);
    expectCode(() => ev({ $split: ['abc', ''] }), 40087);
    assert.equal(ev({ $indexOfCP: ['cafécafé', 'é', 4] }), 7);
    assert.equal(ev({ $indexOfCP: ['abc', 'z'] }), -1);
    assert.equal(ev({ $indexOfBytes: ['aéb', 'b'] }), 3);
    assert.equal(ev({ $replaceAll: { input: 'a-b-c', find: '-', replacement: '+' } }), 'a+b+c');
    assert.equal(ev({ $replaceOne: { input: 'a-b-c', find: '-', replacement: '+' } }), 'a+b-c');
    assert.equal(ev({ $replaceAll: { input: null, find: '-', replacement: '+' } }), null);
    assert.equal(ev({ $strcasecmp: ['abc', 'ABC'] }), 0);
    assert.equal(ev({ $strcasecmp: ['abd', 'ABC'] }), 1);
  });

  it('When matching regular expressions, then options apply and captures are reported', () => {
    assert.equal(ev({ $regexMatch: { input: 'Forced LABOUR', regex: 'labou?r', options: 'i' } }), true);
    assert.equal(ev({ $regexMatch: { input: '$missing', regex: 'x' } }), false);
    assert.deepEqual(ev({ $regexFind: { input: 'id-42-x', regex: /(\d+)/ } }), { match: '42', idx: 3, captures: ['42'] });
    assert.deepEqual(
      (ev({ $regexFindAll: { input: 'a1b22', regex: '\\d+' } }) as { match: string }[]).map((m) => m.match),
      ['1', '22'],
    );
    expectCode(() => ev({ $regexMatch: { input: 5, regex: 'x' } }), 51104);
  });
});

describe('aggregation expressions: arrays, sets and objects', () => {
  const doc = { items: [3, 1, 2], tags: ['a', 'b'], none: null };

  it('When asking for $size of a non-array, then 17124 is raised', () => {
    assert.equal(ev({ $size: '$items' }, doc), 3);
    expectCode(() => ev({ $size: '$none' }, doc), 17124);
    expectCode(() => ev({ $size: 'text' }), 17124);
  });

  it('When filtering, mapping and reducing, then variables bind per element', () => {
    assert.deepEqual(ev({ $filter: { input: '$items', as: 'n', cond: { $gte: ['$$n', 2] } } }, doc), [3, 2]);
    assert.deepEqual(ev({ $filter: { input: '$items', cond: { $gte: ['$$this', 1] }, limit: 1 } }, doc), [3]);
    assert.deepEqual(ev({ $map: { input: '$items', in: { $multiply: ['$$this', 2] } } }, doc), [6, 2, 4]);
    assert.equal(ev({ $reduce: { input: '$tags', initialValue: '', in: { $concat: ['$$value', '$$this'] } } }, doc), 'ab');
    assert.equal(ev({ $map: { input: '$none', in: 1 } }, doc), null);
    expectCode(() => ev({ $filter: { input: 'x', cond: true } }), 28651);
    expectCode(() => ev({ $map: { input: 1, in: 1 } }), 16883);
  });

  it('When indexing and slicing, then negative positions count from the end', () => {
    assert.equal(ev({ $arrayElemAt: ['$items', -1] }, doc), 2);
    assert.equal(ev({ $arrayElemAt: ['$items', 10] }, doc), undefined);
    assert.equal(ev({ $first: '$items' }, doc), 3);
    assert.equal(ev({ $last: '$items' }, doc), 2);
    assert.deepEqual(ev({ $slice: ['$items', -2] }, doc), [1, 2]);
    assert.deepEqual(ev({ $slice: ['$items', 1, 5] }, doc), [1, 2]);
    assert.deepEqual(ev({ $reverseArray: '$items' }, doc), [2, 1, 3]);
    assert.deepEqual(ev({ $concatArrays: ['$items', [4], '$tags'] }, doc), [3, 1, 2, 4, 'a', 'b']);
    assert.equal(ev({ $concatArrays: ['$items', '$none'] }, doc), null);
    expectCode(() => ev({ $arrayElemAt: ['x', 0] }), 28689);
  });

  it('When testing membership and positions, then numeric types compare by value', () => {
    assert.equal(ev({ $in: [1n, '$items'] }, doc), true);
    assert.equal(ev({ $in: ['z', '$tags'] }, doc), false);
    expectCode(() => ev({ $in: [1, 'x'] }), 40081);
    assert.equal(ev({ $indexOfArray: ['$items', 2] }, doc), 2);
    assert.equal(ev({ $indexOfArray: ['$items', 9] }, doc), -1);
    assert.deepEqual(ev({ $range: [0, 10, 3] }), [0, 3, 6, 9]);
    assert.deepEqual(ev({ $range: [5, 0, -2] }), [5, 3, 1]);
    assert.equal(ev({ $isArray: '$items' }, doc), true);
  });

  it('When using set operators, then duplicates collapse and order of operands matters only for difference', () => {
    assert.deepEqual(ev({ $setUnion: [[1, 2, 2], [2, 3]] }), [1, 2, 3]);
    assert.deepEqual(ev({ $setIntersection: [[1, 2, 3], [3, 2, 9]] }), [2, 3]);
    assert.deepEqual(ev({ $setDifference: [[1, 2, 3], [2]] }), [1, 3]);
    assert.equal(ev({ $setIsSubset: [[1, 1], [1, 2]] }), true);
    assert.equal(ev({ $setEquals: [[1, 2], [2, 1, 1]] }), true);
    assert.equal(ev({ $anyElementTrue: [[0, null, 'x']] }), true);
    assert.equal(ev({ $allElementsTrue: [[1, 0]] }), false);
    expectCode(() => ev({ $setUnion: [[1], 'x'] }), 17043);
    expectCode(() => ev({ $anyElementTrue: ['x'] }), 17041);
  });

  it('When converting between objects and arrays or merging, then later keys win', () => {
    assert.deepEqual(ev({ $objectToArray: { $literal: { a: 1, b: 2 } } }), [{ k: 'a', v: 1 }, { k: 'b', v: 2 }]);
    assert.deepEqual(ev({ $arrayToObject: [[['a', 1], ['b', 2], ['a', 3]]] }), { b: 2, a: 3 });
    assert.deepEqual(ev({ $arrayToObject: [[{ k: 'x', v: true }]] }), { x: true });
    assert.deepEqual(ev({ $mergeObjects: [{ a: 1, b: 1 }, null, { b: 2 }] }), { a: 1, b: 2 });
    expectCode(() => ev({ $mergeObjects: [{ a: 1 }, 'x'] }), 40400);
    expectCode(() => ev({ $objectToArray: 5 }), 40390);
  });

  it('When using accumulator operators as expressions, then one array operand means its elements', () => {
    assert.equal(ev({ $sum: '$items' }, doc), 6);
    assert.equal(ev({ $sum: [1, 'x', 2n] }), 3n);
    assert.deepEqual(ev({ $avg: '$items' }, doc), new Double(2), 'an average is a double');
    assert.equal(ev({ $avg: [] }), null);
    assert.equal(ev({ $max: '$items' }, doc), 3);
    assert.equal(ev({ $min: [5, null, 2] }), 2);
    assert.equal((ev({ $sum: [Decimal128.fromString('1.1'), 1] }) as Decimal128).toString(), '2.1');
  });
});

describe('aggregation expressions: types and conversion', () => {
  it('When asking $type, then BSON aliases and "missing" are reported', () => {
    assert.equal(ev({ $type: 1 }), 'int');
    assert.equal(ev({ $type: 1.5 }), 'double');
    assert.equal(ev({ $type: 1n }), 'long');
    assert.equal(ev({ $type: Decimal128.fromString('1') }), 'decimal');
    assert.equal(ev({ $type: '$nope' }), 'missing');
    assert.equal(ev({ $type: [[]] }), 'array');
    assert.equal(ev({ $type: new ObjectId() }), 'objectId');
    assert.equal(ev({ $isNumber: '1' }), false);
  });

  it('When asking $type of code and symbols, then MongoDB\'s names are reported', () => {
    const doc = { code: new Code('f()'), scoped: new Code('f()', { x: 1 }), sym: new BSONSymbol('s') };
    assert.equal(ev({ $type: '$code' }, doc), 'javascript');
    assert.equal(ev({ $type: '$scoped' }, doc), 'javascriptWithScope');
    assert.equal(ev({ $type: '$sym' }, doc), 'symbol');
  });

  it('When converting with the shorthands, then MongoDB conversion rules apply', () => {
    assert.equal(ev({ $toInt: '42' }), 42);
    assert.equal(ev({ $toInt: 4.9 }), 4);
    assert.equal(ev({ $toLong: '9007199254740993' }), 9007199254740993n);
    assert.deepEqual(ev({ $toDouble: '1.5e3' }), new Double(1500));
    assert.equal((ev({ $toDecimal: 2.5 }) as Decimal128).toString(), '2.50000000000000');
    assert.equal(ev({ $toBool: 0 }), false);
    assert.equal(ev({ $toBool: '' }), true);
    assert.equal(ev({ $toString: 2.5 }), '2.5');
    assert.equal(ev({ $toString: new Date(0) }), '1970-01-01T00:00:00.000Z');
    assert.equal(ev({ $toString: null }), null);
    assert.deepEqual(ev({ $toDate: '2026-03-01T10:00:00Z' }), new Date('2026-03-01T10:00:00Z'));
    assert.deepEqual(ev({ $toDate: 0n }), new Date(0));
    const id = new ObjectId();
    assert.equal((ev({ $toObjectId: id.toHexString() }) as ObjectId).toHexString(), id.toHexString());
    expectCode(() => ev({ $toInt: '1.5' }), 241);
    expectCode(() => ev({ $toInt: 2 ** 40 }), 241);
    expectCode(() => ev({ $toObjectId: 'nope' }), 241);
  });

  it('When $convert fails or sees null, then onError and onNull are used', () => {
    assert.equal(ev({ $convert: { input: 'abc', to: 'int', onError: -1 } }), -1);
    assert.equal(ev({ $convert: { input: '$missing', to: 'int', onNull: 0 } }), 0);
    assert.equal(ev({ $convert: { input: '7', to: 16 } }), 7);
    assert.equal(ev({ $convert: { input: 7, to: 'long' } }), 7n);
    expectCode(() => ev({ $convert: { input: 'abc', to: 'int' } }), 241);
  });
});
