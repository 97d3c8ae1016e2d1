import { strict as assert } from 'node:assert';
import { Decimal128, ObjectId, Timestamp } from 'bson';
import { runPipeline } from '../../../src/embedded-mongo/aggregate/pipeline';
import { assertThrowsMongoError } from './assert-mongo-error';
import type { Document } from '../../../src/embedded-mongo/types';
import { compileUpdate, upsertSeed, type CompileUpdateOptions, type UpdateResult } from '../../../src/embedded-mongo/update';
import type { ApplyContext } from '../../../src/embedded-mongo/update';

const NOW = new Date('2026-03-04T05:06:07.089Z');

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype) {
      Object.freeze(value);
      for (const inner of Object.values(value)) deepFreeze(inner);
    }
  }
  return value;
}

/** Applies `update` to a frozen copy of `doc`, so any mutation of the input fails the test. */
function run(doc: Document, update: unknown, options: CompileUpdateOptions = {}, ctx: Partial<ApplyContext> = {}): UpdateResult {
  return compileUpdate(update, options).apply(deepFreeze(doc), { isInsert: false, now: NOW, ...ctx });
}

function apply(doc: Document, update: unknown, options: CompileUpdateOptions = {}, ctx: Partial<ApplyContext> = {}): Document {
  return run(doc, update, options, ctx).doc;
}

const assertMongoError = assertThrowsMongoError;

describe('update engine', () => {
  describe('$set and $unset', () => {
    it('When $set targets new and existing fields, then existing ones change in place and new ones are appended', () => {
      const doc = apply({ _id: 1, a: 1, z: 0 }, { $set: { a: 2, c: 3, b: 4 } });
      assert.deepEqual(Object.entries(doc), [['_id', 1], ['a', 2], ['z', 0], ['b', 4], ['c', 3]]);
    });

    it('When $set uses a dotted path through missing fields, then embedded documents are created', () => {
      assert.deepEqual(apply({ _id: 1 }, { $set: { 'a.b.c': 1 } }), { _id: 1, a: { b: { c: 1 } } });
    });

    it('When a path has a numeric part on an array, then that element is set, padding with null', () => {
      assert.deepEqual(apply({ _id: 1, a: [1, 2] }, { $set: { 'a.4': 5 } }), { _id: 1, a: [1, 2, null, null, 5] });
      assert.deepEqual(apply({ _id: 1, a: [{ b: 1 }] }, { $set: { 'a.0.b': 2 } }), { _id: 1, a: [{ b: 2 }] });
    });

    it('When a numeric part meets a missing field, then it creates a field of that name', () => {
      assert.deepEqual(apply({ _id: 1 }, { $set: { 'a.0': 1 } }), { _id: 1, a: { 0: 1 } });
    });

    it('When a field would be created inside a scalar or an array, then 28 PathNotViable', () => {
      assertMongoError(() => apply({ _id: 1, a: 1 }, { $set: { 'a.b': 1 } }), 28, "Cannot create field 'b' in element {a: 1}");
      assertMongoError(() => apply({ _id: 1, a: [1, 2] }, { $set: { 'a.b': 1 } }), 28, "Cannot create field 'b' in element {a: [ 1, 2 ]}");
      assertMongoError(() => apply({ _id: 1, a: null }, { $inc: { 'a.b': 1 } }), 28);
    });

    it('When $set writes the value already there, then the update is not a modification', () => {
      const result = run({ _id: 1, a: { b: [1, 2] } }, { $set: { a: { b: [1, 2] } } });
      assert.equal(result.modified, false);
    });

    it('When $set changes only the numeric type, then it is a modification', () => {
      assert.equal(run({ _id: 1, a: 1 }, { $set: { a: 1n } }).modified, true);
      assert.equal(run({ _id: 1, a: 1 }, { $set: { a: Decimal128.fromString('1') } }).modified, true);
    });

    it('When $unset removes fields, then missing ones are ignored and array elements become null', () => {
      const result = run({ _id: 1, a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { $unset: { a: '', 'b.c': 1, x: 1, 'e.0': 1 } });
      assert.deepEqual(result.doc, { _id: 1, b: { d: 3 }, e: [null, 2] });
      assert.equal(run({ _id: 1, a: 1 }, { $unset: { b: 1, 'a.c': 1 } }).modified, false);
    });

    it('When the update value is an object, then later updates of the result never touch the update spec', () => {
      const compiled = compileUpdate({ $set: { a: { b: [1] } } });
      const first = compiled.apply({ _id: 1 }, { isInsert: false, now: NOW }).doc;
      (first.a as { b: number[] }).b.push(2);
      const second = compiled.apply({ _id: 2 }, { isInsert: false, now: NOW }).doc;
      assert.deepEqual(second, { _id: 2, a: { b: [1] } });
    });

    it('When a field is named __proto__, then it stays an ordinary field', () => {
      const doc = apply({ _id: 1 }, { $set: { '__proto__.x': 1 } });
      assert.deepEqual(Object.keys(doc), ['_id', '__proto__']);
      assert.equal(Object.getPrototypeOf(doc), Object.prototype);
      assert.equal(({} as Record<string, unknown>).x, undefined);
    });

        it('When $-prefixed names are nested, then they are stored; at the top level they fail with 52', () => {
      assert.deepEqual(apply({ _id: 1, a: {} }, { $set: { b: { $c: 1 }, 'a.$d': 2 } }), { _id: 1, a: { $d: 2 }, b: { $c: 1 } });
      assertMongoError(() => apply({ _id: 1 }, { $set: { $x: 1 } }), 52, /The dollar \(\$\) prefixed field '\$x' in '\$x' is not allowed/);
      assert.equal(run({ _id: 1 }, { $unset: { $x: 1 } }).modified, false);
    });

    it('When fields are processed, then they are applied in lexicographic path order', () => {
      const doc = apply({ _id: 1 }, { $set: { b: 1, d: 1 }, $inc: { c: 1 }, $min: { a: 1 } });
      assert.deepEqual(Object.keys(doc), ['_id', 'a', 'b', 'c', 'd']);
      const nested = apply({ _id: 1, x: {} }, { $set: { 'x.b': 1, 'x.a': 2 } });
      assert.deepEqual(Object.keys(nested.x as Document), ['a', 'b']);
    });
  });

  describe('$inc and $mul', () => {
    it('When $inc adds to numbers, then MongoDB result types apply', () => {
      assert.deepEqual(apply({ _id: 1, a: 1, b: 2147483647, c: 1n }, { $inc: { a: 2, b: 1, c: 1 } }), { _id: 1, a: 3, b: 2147483648n, c: 2n });
      const doc = apply({ _id: 1, d: Decimal128.fromString('0.1') }, { $inc: { d: Decimal128.fromString('0.2') } });
      assert.equal(String(doc.d), '0.3');
    });

    it('When $inc targets a missing field, then the field is set to the increment', () => {
      assert.deepEqual(apply({ _id: 1 }, { $inc: { 'a.b': 5 } }), { _id: 1, a: { b: 5 } });
    });

    it('When $inc targets a non-numeric value, then 14 TypeMismatch names the document and field', () => {
      assertMongoError(
        () => apply({ _id: 7, a: 'x' }, { $inc: { a: 1 } }),
        14,
        "Cannot apply $inc to a value of non-numeric type. {_id: 7} has the field 'a' of non-numeric type string",
      );
    });

    it('When $inc or $mul gets a non-numeric argument, then 14 at compile time', () => {
      assertMongoError(() => compileUpdate({ $inc: { a: 'x' } }), 14, 'Cannot increment with non-numeric argument: {a: "x"}');
      assertMongoError(() => compileUpdate({ $mul: { a: true } }), 14, /Cannot multiply with non-numeric argument/);
    });

    it('When $mul multiplies, then a missing field becomes zero of the multiplier type', () => {
      assert.deepEqual(apply({ _id: 1, a: 3 }, { $mul: { a: 4, b: 2n } }), { _id: 1, a: 12, b: 0n });
      assertMongoError(() => apply({ _id: 1, a: [] }, { $mul: { a: 2 } }), 14, /\$mul/);
    });

    it('When $inc adds zero, then nothing is modified', () => {
      assert.equal(run({ _id: 1, a: 5 }, { $inc: { a: 0 } }).modified, false);
    });
  });

  describe('$min, $max and $currentDate', () => {
    it('When $min/$max compare, then BSON order decides across types', () => {
      assert.deepEqual(apply({ _id: 1, a: 5, b: 5 }, { $min: { a: 3 }, $max: { b: 3 } }), { _id: 1, a: 3, b: 5 });
      assert.deepEqual(apply({ _id: 1, a: 'x' }, { $min: { a: 100 } }), { _id: 1, a: 100 });
      assert.deepEqual(apply({ _id: 1, a: null }, { $max: { a: 1 } }), { _id: 1, a: 1 });
      assert.deepEqual(apply({ _id: 1 }, { $max: { a: 1 } }), { _id: 1, a: 1 });
    });

    it('When $currentDate is used, then dates and timestamps come from the apply clock', () => {
      const doc = apply({ _id: 1 }, { $currentDate: { d: true, t: { $type: 'timestamp' }, e: { $type: 'date' } } });
      assert.deepEqual(doc.d, NOW);
      assert.deepEqual(doc.e, NOW);
      assert.ok(doc.t instanceof Timestamp);
      // The timestamp clock never runs backwards within a process, so it is at least the apply clock's second.
      assert.ok((doc.t as Timestamp).t >= Math.floor(NOW.getTime() / 1000));
      const next = apply({ _id: 1 }, { $currentDate: { t: { $type: 'timestamp' } } }).t as Timestamp;
      assert.ok(next.greaterThan(doc.t as Timestamp), 'timestamps handed out are unique and increasing');
    });

    it('When $currentDate gets an invalid spec, then 2 BadValue', () => {
      assertMongoError(() => compileUpdate({ $currentDate: { d: { $type: 'string' } } }), 2);
      assertMongoError(() => compileUpdate({ $currentDate: { d: 1 } }), 2, /^int is not valid type for \$currentDate/);
      assertMongoError(() => compileUpdate({ $currentDate: { d: { $type: 'date', x: 1 } } }), 2, 'Unrecognized $currentDate option: x');
    });
  });

  describe('$rename', () => {
    it('When a field is renamed, then it moves to the end and an existing target is overwritten', () => {
      const doc = apply({ _id: 1, a: 1, b: 2, c: 3 }, { $rename: { a: 'z', b: 'c' } });
      assert.deepEqual(Object.entries(doc), [['_id', 1], ['c', 2], ['z', 1]]);
    });

    it('When the rename target exists, then it is overwritten in place', () => {
      const doc = apply({ _id: 1, a: 1, b: 2, c: 3 }, { $rename: { c: 'a' } });
      assert.deepEqual(Object.entries(doc), [['_id', 1], ['a', 3], ['b', 2]]);
    });

    it('When the rename source is blocked by a value, then 28 PathNotViable', () => {
      assertMongoError(() => apply({ _id: 1, a: 1 }, { $rename: { 'a.b': 'c' } }), 28, 'cannot use the part (b of a.b) to traverse the element ({a: 1})');
      assertMongoError(() => apply({ _id: 1, a: [{ b: 1 }] }, { $rename: { 'a.b': 'c' } }), 28, /cannot use the part \(b of a.b\)/);
      assertMongoError(() => apply({ _id: 1, a: [1], b: 1 }, { $rename: { b: 'a.0' } }), 2, "The destination field cannot be an array element, 'a.0' in doc with _id: 1 has an array field called 'a'");
      assertMongoError(() => apply({ _id: 1, a: [], b: 1 }, { $rename: { b: 'a.c' } }), 2, /destination field cannot be an array element/);
    });

    it('When a renamed field is nested or missing, then paths work and a missing source is a no-op', () => {
      assert.deepEqual(apply({ _id: 1, a: { b: 1 } }, { $rename: { 'a.b': 'c.d' } }), { _id: 1, a: {}, c: { d: 1 } });
      assert.equal(run({ _id: 1, a: 1 }, { $rename: { x: 'y' } }).modified, false);
    });

    it('When $rename is invalid, then 2 BadValue explains why', () => {
      assertMongoError(() => compileUpdate({ $rename: { a: 1 } }), 2, /must be a string/);
      assertMongoError(() => compileUpdate({ $rename: { a: 'a' } }), 2, /must differ/);
      assertMongoError(() => compileUpdate({ $rename: { a: 'a.b' } }), 2, /same path/);
      assertMongoError(() => compileUpdate({ $rename: { 'a.$': 'b' } }), 2, /may not be dynamic/);
      assertMongoError(() => apply({ _id: 1, a: [{ b: 1 }] }, { $rename: { 'a.0.b': 'c' } }), 2, /source field cannot be an array element/);
    });
  });

  describe('$setOnInsert', () => {
    it('When the update is an insert, then $setOnInsert applies; otherwise it is skipped', () => {
      const update = { $set: { a: 1 }, $setOnInsert: { created: true } };
      assert.deepEqual(apply({ _id: 1 }, update, {}, { isInsert: true }), { _id: 1, a: 1, created: true });
      assert.deepEqual(apply({ _id: 1 }, update), { _id: 1, a: 1 });
    });
  });

  describe('array operators', () => {
    it('When $push appends, then missing fields become arrays and non-arrays are refused', () => {
      assert.deepEqual(apply({ _id: 1, a: [1] }, { $push: { a: 2, b: 'x' } }), { _id: 1, a: [1, 2], b: ['x'] });
      assert.deepEqual(apply({ _id: 1, a: [1] }, { $push: { a: [2] } }), { _id: 1, a: [1, [2]] });
      assertMongoError(() => apply({ _id: 1, a: 1 }, { $push: { a: 2 } }), 2, 'The field \'a\' must be an array but is of type int in document {_id: 1}');
    });

    it('When $push has $each, $position, $sort and $slice, then they apply in that order', () => {
      assert.deepEqual(apply({ _id: 1, a: [1, 2] }, { $push: { a: { $each: [8, 9], $position: 1 } } }), { _id: 1, a: [1, 8, 9, 2] });
      assert.deepEqual(apply({ _id: 1, a: [1, 2] }, { $push: { a: { $each: [0], $position: -1 } } }), { _id: 1, a: [1, 0, 2] });
      assert.deepEqual(apply({ _id: 1, a: [3, 1] }, { $push: { a: { $each: [5, 0], $sort: 1, $slice: -3 } } }), { _id: 1, a: [1, 3, 5] });
      assert.deepEqual(apply({ _id: 1, a: [3, 1] }, { $push: { a: { $each: [], $sort: -1, $slice: 1 } } }), { _id: 1, a: [3] });
      const sorted = apply({ _id: 1, a: [{ s: 2 }, { s: 1 }] }, { $push: { a: { $each: [{ s: 3 }], $sort: { s: -1 } } } });
      assert.deepEqual(sorted.a, [{ s: 3 }, { s: 2 }, { s: 1 }]);
    });

    it('When $push modifiers are invalid, then 2 BadValue', () => {
      assertMongoError(() => compileUpdate({ $push: { a: { $each: 1 } } }), 2, /must be an array/);
      assertMongoError(() => compileUpdate({ $push: { a: { $each: [], $slice: 'x' } } }), 2, /\$slice/);
      assertMongoError(() => compileUpdate({ $push: { a: { $each: [], $sort: 2 } } }), 2, /1 or -1/);
      assertMongoError(() => compileUpdate({ $push: { a: { $each: [], $bogus: 1 } } }), 2, /Unrecognized clause in \$push: \$bogus/);
    });

    it('When $addToSet adds values, then existing (numerically equal) values are not duplicated', () => {
      assert.deepEqual(apply({ _id: 1, a: [1, 2] }, { $addToSet: { a: { $each: [2, 3, 3, 1n] } } }), { _id: 1, a: [1, 2, 3] });
      assert.deepEqual(apply({ _id: 1 }, { $addToSet: { a: { x: 1 } } }), { _id: 1, a: [{ x: 1 }] });
      assert.equal(run({ _id: 1, a: [{ x: 1 }] }, { $addToSet: { a: { x: 1 } } }).modified, false);
      assertMongoError(() => apply({ _id: 1, a: 'x' }, { $addToSet: { a: 1 } }), 2, /non-array field/);
    });

    it('When $pull has a value, a scalar condition or a document condition, then matching elements go', () => {
      assert.deepEqual(apply({ _id: 1, a: [1, 2, 1, 3] }, { $pull: { a: 1 } }), { _id: 1, a: [2, 3] });
      assert.deepEqual(apply({ _id: 1, a: [1, 5, 7, 9] }, { $pull: { a: { $gte: 6 } } }), { _id: 1, a: [1, 5] });
      assert.deepEqual(apply({ _id: 1, a: ['x', 'yy', 'z'] }, { $pull: { a: { $in: ['x', 'z'] } } }), { _id: 1, a: ['yy'] });
      assert.deepEqual(apply({ _id: 1, a: ['apple', 'kiwi', 'avocado'] }, { $pull: { a: /^a/ } }), { _id: 1, a: ['kiwi'] });
      assert.deepEqual(apply({ _id: 1, a: [{ b: 1 }, 2] }, { $pull: { a: {} } }), { _id: 1, a: [2] });
      const docs = apply({ _id: 1, a: [{ b: 1, c: 2 }, { b: 2 }, 1] }, { $pull: { a: { b: 1 } } });
      assert.deepEqual(docs, { _id: 1, a: [{ b: 2 }, 1] });
      assert.equal(run({ _id: 1, a: [1] }, { $pull: { a: 2, b: 1 } }).modified, false);
      assertMongoError(() => apply({ _id: 1, a: 1 }, { $pull: { a: 1 } }), 2, 'Cannot apply $pull to a non-array value');
    });

    it('When $pull or $pop meet a value blocking the path, then 28, while $unset ignores it', () => {
      assertMongoError(() => apply({ _id: 1, a: 1 }, { $pull: { 'a.b': 1 } }), 28, 'Cannot use the part (b) of (a.b) to traverse the element ({a: 1})');
      assertMongoError(() => apply({ _id: 1, a: [1] }, { $pop: { 'a.b': 1 } }), 28);
      assert.equal(run({ _id: 1, a: { b: {} } }, { $pull: { 'a.b.c': 1 }, $pop: { 'x.y': 1 } }).modified, false);
      assert.equal(run({ _id: 1, a: 1 }, { $unset: { 'a.b': 1 } }).modified, false);
    });

    it('When $pullAll lists values, then every equal element is removed', () => {
      assert.deepEqual(apply({ _id: 1, a: [1, 2, 3, 2] }, { $pullAll: { a: [2, 3] } }), { _id: 1, a: [1] });
      assertMongoError(() => compileUpdate({ $pullAll: { a: 1 } }), 2, /requires an array argument/);
    });

    it('When $pop removes from either end, then empty and missing arrays are left alone', () => {
      assert.deepEqual(apply({ _id: 1, a: [1, 2, 3], b: [1, 2] }, { $pop: { a: 1, b: -1 } }), { _id: 1, a: [1, 2], b: [2] });
      assert.equal(run({ _id: 1, a: [] }, { $pop: { a: 1, b: 1 } }).modified, false);
      assertMongoError(() => compileUpdate({ $pop: { a: 2 } }), 9, '$pop expects 1 or -1, found: 2');
      assertMongoError(() => compileUpdate({ $pop: { a: 'x' } }), 9, 'Expected a number in: a: "x"');
      assertMongoError(() => compileUpdate({ $pop: { a: 1.5 } }), 9, 'Expected an integer: a: 1.5');
      assertMongoError(() => apply({ _id: 1, a: 1 }, { $pop: { a: 1 } }), 14, /non-array/);
    });

    it('When $bit combines integers, then and/or/xor apply and keep int or long', () => {
      assert.deepEqual(apply({ _id: 1, a: 13, b: 3n }, { $bit: { a: { and: 10 }, b: { or: 4 } } }), { _id: 1, a: 8, b: 7n });
      assertMongoError(() => compileUpdate({ $bit: { a: { and: 1.5 } } }), 2, "The $bit modifier field must be an Integer(32/64 bit); a 'double' is not supported here: {and: 1.5}");
      assertMongoError(() => compileUpdate({ $bit: { a: { nand: 1 } } }), 2, /not 'nand' which is an unknown operator/);
      assertMongoError(() => apply({ _id: 1, a: 'x' }, { $bit: { a: { or: 1 } } }), 2, 'Cannot apply $bit to a value of non-integral type._id: 1 has the field a of non-integer type string');
      assert.deepEqual(apply({ _id: 1 }, { $bit: { a: { or: 5 } } }), { _id: 1, a: 5 });
    });
  });

  describe('positional updates', () => {
    it('When the query matched an element, then $ addresses it', () => {
      const doc = apply({ _id: 1, a: [{ x: 1 }, { x: 5 }] }, { $set: { 'a.$.y': 1 } }, {}, { positionalIndex: 1 });
      assert.deepEqual(doc, { _id: 1, a: [{ x: 1 }, { x: 5, y: 1 }] });
      assert.deepEqual(apply({ _id: 1, a: [1, 2] }, { $inc: { 'a.$': 10 } }, {}, { positionalIndex: 0 }), { _id: 1, a: [11, 2] });
    });

    it('When there is no positional match, then 2 BadValue', () => {
      assertMongoError(() => apply({ _id: 1, a: [1] }, { $set: { 'a.$': 1 } }), 2, 'The positional operator did not find the match needed from the query.');
    });

    it('When $[] is used, then every element is updated', () => {
      assert.deepEqual(apply({ _id: 1, a: [1, 2], b: [] }, { $inc: { 'a.$[]': 1 }, $set: { 'b.$[]': 0 } }), { _id: 1, a: [2, 3], b: [] });
      assert.deepEqual(apply({ _id: 1, a: [{ b: [1, 2] }, { b: [3] }] }, { $mul: { 'a.$[].b.$[]': 2 } }), { _id: 1, a: [{ b: [2, 4] }, { b: [6] }] });
    });

    it('When $[] meets a missing or non-array field, then 2 BadValue, whatever the operator', () => {
      assertMongoError(() => apply({ _id: 1 }, { $set: { 'a.$[]': 1 } }), 2, "The path 'a' must exist in the document in order to apply array updates.");
      assertMongoError(() => apply({ _id: 1, a: {} }, { $unset: { 'a.b.$[].c': 1 } }), 2, "The path 'a.b' must exist in the document in order to apply array updates.");
      assertMongoError(() => apply({ _id: 1, a: 5 }, { $set: { 'a.$[]': 1 } }), 2, 'Cannot apply array updates to non-array element a: 5');
    });

    it('When $[id] is used with arrayFilters, then only matching elements change', () => {
      const options = { arrayFilters: [{ 'e.x': { $gt: 2 } }] };
      const doc = apply({ _id: 1, a: [{ x: 1 }, { x: 5 }, { x: 3 }] }, { $set: { 'a.$[e].big': true } }, options);
      assert.deepEqual(doc.a, [{ x: 1 }, { x: 5, big: true }, { x: 3, big: true }]);
      const scalars = apply({ _id: 1, a: [1, 5, 7] }, { $set: { 'a.$[n]': 0 } }, { arrayFilters: [{ n: { $gte: 5 } }] });
      assert.deepEqual(scalars.a, [1, 0, 0]);
      const nested = apply(
        { _id: 1, g: [{ k: 'a', v: [1, 9] }, { k: 'b', v: [9] }] },
        { $set: { 'g.$[o].v.$[i]': 0 } },
        { arrayFilters: [{ 'o.k': 'a' }, { i: 9 }] },
      );
      assert.deepEqual(nested.g, [{ k: 'a', v: [1, 0] }, { k: 'b', v: [9] }]);
    });

    it('When identifiers and arrayFilters do not correspond, then 2 or 9', () => {
      assertMongoError(() => compileUpdate({ $set: { 'a.$[e]': 1 } }), 2, "No array filter found for identifier 'e' in path 'a.$[e]'");
      assertMongoError(() => compileUpdate({ $set: { a: 1 } }, { arrayFilters: [{ e: 1 }] }), 9, /The array filter for identifier 'e' was not used in the update/);
      assertMongoError(() => compileUpdate({ $set: { 'a.$[e]': 1 } }, { arrayFilters: [{ e: 1 }, { e: 2 }] }), 9, /multiple array filters/);
      assertMongoError(() => compileUpdate({ $set: { 'a.$[e]': 1 } }, { arrayFilters: [{ e: 1, f: 2 }] }), 9, /single top-level field/);
      assertMongoError(() => compileUpdate({ $set: { 'a.$[E]': 1 } }, { arrayFilters: [{ E: 1 }] }), 2, /alphanumeric/);
    });

    it('When two array updates reach the same element, then 40 at apply time', () => {
      const options = { arrayFilters: [{ x: { $gte: 1 } }, { y: { $lte: 1 } }] };
      assertMongoError(() => apply({ _id: 1, a: [0, 1, 2] }, { $set: { 'a.$[x]': 1, 'a.$[y]': 2 } }, options), 40, "Update created a conflict at 'a.1'");
      assert.deepEqual(apply({ _id: 1, a: [0, 2] }, { $set: { 'a.$[x]': 5, 'a.$[y]': 6 } }, options).a, [6, 5]);
      assertMongoError(() => apply({ _id: 1, a: [{ b: 1 }] }, { $set: { 'a.$.b': 2, 'a.0': 3 } }, {}, { positionalIndex: 0 }), 40, "Update created a conflict at 'a.0'");
      assert.deepEqual(apply({ _id: 1, a: [{}] }, { $set: { 'a.$.b': 2, 'a.0.c': 3 } }, {}, { positionalIndex: 0 }).a, [{ b: 2, c: 3 }]);
    });

        it('When a path starts with or repeats a positional part, then 2 BadValue', () => {
      assertMongoError(() => compileUpdate({ $set: { '$.a': 1 } }), 2);
      assertMongoError(() => compileUpdate({ $set: { 'a.$.b.$': 1 } }), 2, /Too many positional/);
    });
  });

  describe('compile-time validation', () => {
    it('When an operator is unknown or mixed with plain fields, then 9 FailedToParse', () => {
      assertMongoError(() => compileUpdate({ $foo: { a: 1 } }), 9, /^Unknown modifier: \$foo/);
      assertMongoError(() => compileUpdate({ $set: { a: 1 }, b: 2 }), 9, /^Unknown modifier: b/);
      assertMongoError(() => compileUpdate({ $set: { a: 1 }, constructor: { b: 1 } }), 9, /^Unknown modifier: constructor/);
    });

    it('When an operator has a non-document argument, then 9 FailedToParse', () => {
      assertMongoError(() => compileUpdate({ $set: 1 }), 9, /Modifiers operate on fields/);
    });

    it('When an operator has an empty argument, then it compiles and changes nothing (MongoDB 5.0+)', () => {
      const doc = { _id: 1, a: 1 };
      for (const update of [{ $set: {} }, { $unset: {} }, { $rename: {} }, { $inc: {} }]) {
        assert.equal(compileUpdate(update).apply(doc, { isInsert: false, now: new Date(0) }).modified, false, JSON.stringify(update));
      }
      assert.deepEqual(compileUpdate({ $set: {}, $inc: { a: 1 } }).apply(doc, { isInsert: false, now: new Date(0) }).doc, { _id: 1, a: 2 });
      assertMongoError(() => compileUpdate({ $nope: {} }), 9, /^Unknown modifier: \$nope/);
    });

    it('When two paths overlap, then 40 ConflictingUpdateOperators', () => {
      assertMongoError(() => compileUpdate({ $set: { a: 1, 'a.b': 2 } }), 40, "Updating the path 'a.b' would create a conflict at 'a'");
      assertMongoError(() => compileUpdate({ $set: { 'a.b': 1 }, $unset: { a: 1 } }), 40, "Updating the path 'a' would create a conflict at 'a'");
      assertMongoError(() => compileUpdate({ $inc: { x: 1 }, $set: { x: 2 } }), 40);
      assertMongoError(() => compileUpdate({ $rename: { a: 'b' }, $set: { b: 1 } }), 40);
      assertMongoError(() => compileUpdate({ $set: { 'a.$[].x': 1, 'a.b': 1 } }), 40, "Updating the path 'a.b' would create a conflict at 'a'");
      assert.doesNotThrow(() => compileUpdate({ $set: { ab: 1, 'a.b': 2 } }));
      assert.doesNotThrow(() => compileUpdate({ $set: { 'a.$[].x': 1, 'a.$[e].y': 1 } }, { arrayFilters: [{ e: 1 }] }));
      assert.doesNotThrow(() => compileUpdate({ $set: { 'a.$.x': 1, 'a.0.x': 1 } }));
    });

    it('When a path has an empty part, then 56 EmptyFieldName', () => {
      assertMongoError(() => compileUpdate({ $set: { 'a..b': 1 } }), 56);
      assertMongoError(() => compileUpdate({ $set: { '': 1 } }), 56);
    });

    it('When the update is neither document nor array, then 9', () => {
      assertMongoError(() => compileUpdate(5), 9);
    });
  });

  describe('immutable _id', () => {
    it('When an operator changes _id, then 66 ImmutableField', () => {
      assertMongoError(() => apply({ _id: 1 }, { $set: { _id: 2 } }), 66, "Performing an update on the path '_id' would modify the immutable field '_id'");
      assertMongoError(() => apply({ _id: { a: 1 } }, { $set: { '_id.a': 2 } }), 66, "Performing an update on the path '_id.a' would modify the immutable field '_id'");
      assertMongoError(() => apply({ _id: 1 }, { $unset: { _id: 1 } }), 66);
      assertMongoError(() => apply({ _id: 1 }, { $rename: { _id: 'x' } }), 66, "Unsetting the path '_id' using $rename would modify the immutable field '_id'");
    });

    it('When an operator changes only the numeric type of _id, then 66 as well', () => {
      assertMongoError(() => apply({ _id: 1 }, { $set: { _id: 1n } }), 66);
    });

    it('When an operator sets _id to an equal value, then it is allowed', () => {
      assert.equal(run({ _id: 1, a: 1 }, { $set: { _id: 1 } }).modified, false);
    });

    it('When an upsert would store an array, regex or undefined _id, then 53 InvalidIdField', () => {
      assertMongoError(() => apply({ a: 1 }, { $set: { _id: [1] } }, {}, { isInsert: true }), 53, "The '_id' value cannot be of type array");
      assertMongoError(() => apply({}, { $set: { _id: /x/ } }, {}, { isInsert: true }), 53, "The '_id' value cannot be of type regex");
    });

        it('When an upsert sets _id on a new document, then it is allowed and put first', () => {
      const doc = apply({ a: 1 }, { $set: { _id: 5 } }, {}, { isInsert: true });
      assert.deepEqual(Object.entries(doc), [['_id', 5], ['a', 1]]);
    });
  });

  describe('replacement documents', () => {
    it('When a replacement has no _id, then the old _id is kept first', () => {
      const id = new ObjectId();
      const result = run({ _id: id, a: 1, b: 2 }, { c: 3 });
      assert.deepEqual(Object.entries(result.doc), [['_id', id], ['c', 3]]);
      assert.equal(result.modified, true);
    });

    it('When a replacement is empty or identical, then it is accepted and an identical one is no modification', () => {
      assert.deepEqual(apply({ _id: 1, a: 1 }, {}), { _id: 1 });
      assert.equal(run({ _id: 1, a: 1 }, { _id: 1, a: 1 }).modified, false);
      assert.equal(compileUpdate({}).kind, 'replacement');
    });

    it('When a replacement holds a top-level Timestamp(0, 0), then it becomes the current time', () => {
      const doc = apply({ _id: 1 }, { ts: new Timestamp({ t: 0, i: 0 }), inner: { ts: new Timestamp({ t: 0, i: 0 }) } });
      assert.ok((doc.ts as Timestamp).t >= Math.floor(NOW.getTime() / 1000));
      assert.equal(((doc.inner as Document).ts as Timestamp).t, 0);
    });

        it('When a replacement comes with arrayFilters, then they are validated but ignored', () => {
      assert.deepEqual(apply({ _id: 1, a: 1 }, { b: 2 }, { arrayFilters: [{ x: 1 }] }), { _id: 1, b: 2 });
      assertMongoError(() => compileUpdate({ b: 2 }, { arrayFilters: [{ X: 1 }] }), 2);
    });

        it('When a replacement changes _id, then 66', () => {
      assertMongoError(() => apply({ _id: 1 }, { _id: 2 }), 66, /the \(immutable\) field '_id' was found to have been altered to _id: 2/);
    });

    it('When a replacement has a $-prefixed top-level field, then 52', () => {
      assertMongoError(() => compileUpdate({ a: 1, $set: { b: 1 } }), 52, /The dollar \(\$\) prefixed field '\$set'/);
    });
  });

  describe('pipeline updates', () => {
    it('When a pipeline sets, unsets and computes fields, then expressions see the stage input', () => {
      const result = run({ _id: 1, a: 1, b: { c: 1, d: 2 } }, [
        { $set: { s: { $add: ['$a', 1] }, 'b.c': '$a', t: { $literal: '$x' } } },
        { $unset: ['a', 'b.d'] },
      ]);
      assert.deepEqual(result.doc, { _id: 1, b: { c: 1 }, s: 2, t: '$x' });
      assert.equal(compileUpdate([{ $set: { a: 1 } }]).kind, 'pipeline');
    });

    it('When $addFields sets a nested spec, then it merges into the embedded document', () => {
      assert.deepEqual(apply({ _id: 1, b: { c: 1 } }, [{ $addFields: { b: { d: 2 } } }]), { _id: 1, b: { c: 1, d: 2 } });
    });

    it('When a pipeline sets a value to itself, then nothing is modified', () => {
      assert.equal(run({ _id: 1, a: 1 }, [{ $set: { a: '$a' } }]).modified, false);
    });

    it('When variables are given, then $$name reads them', () => {
      assert.deepEqual(apply({ _id: 1, a: 2 }, [{ $set: { b: { $multiply: ['$a', '$$factor'] } } }], { variables: { factor: 5 } }), { _id: 1, a: 2, b: 10 });
    });

        it('When $$NOW is used, then it is the apply clock', () => {
      assert.deepEqual(apply({ _id: 1 }, [{ $set: { at: '$$NOW' } }]).at, NOW);
    });

    it('When $project, $replaceWith or $replaceRoot reshape the document, then _id is kept', () => {
      assert.deepEqual(apply({ _id: 1, a: 1, b: 2 }, [{ $project: { a: 1 } }]), { _id: 1, a: 1 });
      assert.deepEqual(apply({ _id: 1, a: 1, b: 2 }, [{ $project: { a: 0 } }]), { _id: 1, b: 2 });
      assert.deepEqual(apply({ _id: 1, a: { x: 5 } }, [{ $replaceWith: '$a' }]), { _id: 1, x: 5 });
      assert.deepEqual(apply({ _id: 1, a: { x: 5 } }, [{ $replaceRoot: { newRoot: { y: '$a.x' } } }]), { _id: 1, y: 5 });
    });

    it('When a pipeline changes _id or replaces with a non-document, then it fails', () => {
      assertMongoError(() => apply({ _id: 1 }, [{ $set: { _id: 2 } }]), 66);
      assertMongoError(() => apply({ _id: 1, a: 1 }, [{ $replaceWith: '$a' }]), 2, /must evaluate to an object/);
    });

    it('When a pipeline reshapes documents, then it gives what the same aggregation stage gives', async () => {
      const doc = { _id: 1, a: [{ x: 1, y: 2 }, 5, [{ x: 3 }]], b: { c: 1, d: 2 }, n: 4 };
      const stages = [
        { $set: { 'a.z': '$n', 'b.e': { $add: ['$n', 1] }, m: '$$REMOVE' } },
        { $addFields: { b: { c: '$$REMOVE', f: 1 } } },
        { $unset: ['a.y', 'b.c'] },
        { $project: { 'a.x': 1, 'b.t': { $literal: true }, n: 1 } },
        { $project: { a: 0, 'b.d': 0 } },
      ];
      const ctx = { db: 'test', now: NOW, readCollection: () => [], writeCollection: async () => undefined };
      for (const stage of stages) {
        const [expected] = await runPipeline([doc], [stage], ctx);
        assert.deepEqual(apply(doc, [stage]), expected, JSON.stringify(stage));
      }
    });

    it('When a pipeline stage is malformed, then it fails with the aggregation stage\'s code', () => {
      assertMongoError(() => compileUpdate([{ $set: {} }]), 40177);
      assertMongoError(() => compileUpdate([{ $set: 1 }]), 40272);
      assertMongoError(() => compileUpdate([{ $unset: [] }]), 31119);
      assertMongoError(() => compileUpdate([{ $project: { a: 1, b: 0 } }]), 31254);
      assertMongoError(() => compileUpdate([{ $set: { a: { $bogus: 1 } } }]), 168);
      assertMongoError(() => compileUpdate([{ $replaceRoot: { root: '$a' } }]), 40230);
      assertMongoError(() => compileUpdate([{ $replaceRoot: {} }]), 40231);
      assertMongoError(() => apply({ _id: 1 }, [{ $replaceWith: '$nope' }]), 2, /Type of resulting value: 'missing'/);
    });

    it('When a pipeline sets a field named __proto__, then it stays a field', () => {
      const result = apply({ _id: 1 }, [{ $set: JSON.parse('{"__proto__": {"$literal": {"x": 1}}}') }]);
      assert.deepEqual(Object.keys(result), ['_id', '__proto__']);
      assert.equal(Object.getPrototypeOf(result), Object.prototype);
    });

    it('When a pipeline uses a stage not allowed in updates, then it fails at compile time', () => {
      assertMongoError(() => compileUpdate([{ $group: { _id: null } }]), 72, '$group is not allowed to be used within an update');
      assertMongoError(() => compileUpdate([{ $bogus: {} }]), 40324);
      assertMongoError(() => compileUpdate([{ $set: { a: 1 } }], { arrayFilters: [{ e: 1 }] }), 9);
    });
  });

  describe('upsertSeed', () => {
    it('When the query has equalities, then they seed the new document in path order with _id first', () => {
      const seed = upsertSeed({ f: { x: { $gt: 1 } }, a: 1, _id: 5, 'b.c': 2, d: { $eq: 4 }, e: { $in: ['only'] } });
      assert.deepEqual(Object.entries(seed), [['_id', 5], ['a', 1], ['b', { c: 2 }], ['d', 4], ['e', 'only'], ['f', { x: { $gt: 1 } }]]);
    });

    it('When conditions are ranges, multi-value $in, $or or regexes, then they are not seeded', () => {
      const seed = upsertSeed({ a: { $gt: 1 }, b: { $in: [1, 2] }, $or: [{ c: 1 }, { c: 2 }], d: /x/, e: { $ne: 1 } });
      assert.deepEqual(seed, {});
    });

    it('When equalities sit inside $and, then they are seeded and dotted paths merge', () => {
      assert.deepEqual(upsertSeed({ $and: [{ 'a.b': 1 }, { 'a.c': 2 }, { d: { $lt: 3 } }] }), { a: { b: 1, c: 2 } });
    });

    it('When a one-clause $or holds equalities, then they are seeded like $and', () => {
      assert.deepEqual(upsertSeed({ $or: [{ a: 1 }] }), { a: 1 });
    });

    it('When $all lists one value, then it seeds like an equality', () => {
      assert.deepEqual(upsertSeed({ a: { $all: ['x'] }, b: { $all: [/x/] } }), { a: 'x' });
      assertMongoError(() => upsertSeed({ a: { $all: [1, 2] } }), 54, /path 'a' is matched twice/);
    });

        it('When a path is pinned twice, then 54 NotSingleValueField', () => {
      assertMongoError(() => upsertSeed({ $and: [{ a: 1 }, { a: 2 }] }), 54, /path 'a' is matched twice/);
      assertMongoError(() => upsertSeed({ a: { b: 1 }, 'a.c': 2 }), 54, "cannot infer query fields to set, both paths 'a.c' and 'a' are matched");
    });

    it('When a seed is updated with isInsert, then $setOnInsert and positional rules apply', () => {
      const seed = upsertSeed({ _id: 3, a: 1 });
      const doc = compileUpdate({ $set: { b: 2 }, $setOnInsert: { c: 3 } }).apply(seed, { isInsert: true, now: NOW }).doc;
      assert.deepEqual(doc, { _id: 3, a: 1, b: 2, c: 3 });
      assertMongoError(() => compileUpdate({ $set: { 'a.$': 1 } }).apply(seed, { isInsert: true, now: NOW }), 2);
      assertMongoError(() => compileUpdate({ $set: { _id: 4 } }).apply(seed, { isInsert: true, now: NOW }), 66);
    });
  });
});
