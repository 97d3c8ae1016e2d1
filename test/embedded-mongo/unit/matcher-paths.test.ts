import assert from 'node:assert/strict';
import { Decimal128 } from 'bson';
import { arrayIndexOf, getPathValue, getPathValues, isPlainDocument, pathExists, walkPath } from '../../../src/embedded-mongo/query/paths';
import { compileRegex, regexSourceOf } from '../../../src/embedded-mongo/query/regex';
import { MongoServerError } from '../../../src/embedded-mongo/errors';

describe('embedded-mongo query/paths', () => {
  it('getPathValues lists every value a path reaches, leaf arrays replaced by their elements', () => {
    const doc = { a: [{ b: 1 }, { b: [2, 3] }, { c: 4 }, 5], d: { e: 'x' } };
    assert.deepEqual(getPathValues(doc, 'a.b'), [1, 2, 3]);
    assert.deepEqual(getPathValues(doc, 'd.e'), ['x']);
    assert.deepEqual(getPathValues(doc, 'nope'), []);
    assert.deepEqual(getPathValues({ t: [] }, 't'), []);
  });

  it('getPathValues follows numeric components as array indexes', () => {
    assert.deepEqual(getPathValues({ a: [{ b: 1 }, { b: 2 }] }, 'a.1.b'), [2]);
    assert.deepEqual(getPathValues({ a: [[1, 2], [3]] }, 'a.0'), [1, 2]);
  });

  it('walkPath marks missing branches and the array position each value came from', () => {
    const candidates = walkPath({ a: [{ b: 1 }, { c: 2 }] }, 'a.b');
    assert.deepEqual(
      candidates.map((c) => [c.value, c.missing, c.arrayIndex]),
      [
        [1, false, 0],
        [undefined, true, 1],
      ],
    );
  });

  it('walkPath yields a leaf array itself after its elements', () => {
    const candidates = walkPath({ a: [7, 8] }, 'a');
    assert.deepEqual(
      candidates.map((c) => [c.value, c.expanded]),
      [
        [7, true],
        [8, true],
        [[7, 8], false],
      ],
    );
  });

  it('getPathValue follows aggregation rules: arrays map over their documents, numbers are field names', () => {
    const doc = { a: [{ b: 1 }, { b: 2 }, { c: 3 }, 4], n: { x: { y: 5 } } };
    assert.deepEqual(getPathValue(doc, 'a.b'), [1, 2]);
    assert.equal(getPathValue(doc, 'n.x.y'), 5);
    assert.equal(getPathValue(doc, 'n.z'), undefined);
    assert.deepEqual(getPathValue({ a: [10, 20] }, 'a.0'), []);
  });

  it('pathExists and arrayIndexOf', () => {
    assert.ok(pathExists({ a: [{ b: null }] }, 'a.b'));
    assert.ok(!pathExists({ a: [{ c: 1 }] }, 'a.b'));
    assert.equal(arrayIndexOf('12'), 12);
    assert.equal(arrayIndexOf('012'), undefined);
    assert.equal(arrayIndexOf('-1'), undefined);
  });

  it('isPlainDocument excludes arrays, dates and BSON values', () => {
    assert.ok(isPlainDocument({ a: 1 }));
    assert.ok(!isPlainDocument([1]));
    assert.ok(!isPlainDocument(new Date()));
    assert.ok(!isPlainDocument(Decimal128.fromString('1')));
    assert.ok(!isPlainDocument(null));
  });
});

describe('embedded-mongo query/regex', () => {
  it('turns a leading inline flag group into a flag', () => {
    assert.ok(compileRegex('(?i)abc').test('ABC'));
  });

  it('applies x by dropping whitespace and comments outside character classes', () => {
    const regex = compileRegex('a [ ] b # trailing comment', 'x');
    assert.ok(regex.test('a b'));
    assert.ok(!regex.test('ab'));
  });

  it('keeps the patterns JavaScript accepts only without the u flag', () => {
    assert.ok(compileRegex('\\-x').test('-x'));
  });

  it('reads pattern and options from RegExp and BSONRegExp values', () => {
    assert.deepEqual(regexSourceOf(/a+/gi), { pattern: 'a+', options: 'i' });
    assert.equal(regexSourceOf('a+'), undefined);
  });

  it('rejects unknown options with code 51108', () => {
    assert.throws(() => compileRegex('a', 'z'), (err: unknown) => err instanceof MongoServerError && err.code === 51108);
  });
});
