import assert from 'node:assert/strict';
import { compileUpdate } from '../../../src/embedded-mongo/update';
import { describeUpdate } from '../../../src/embedded-mongo/update/change-description';
import { compileFilter } from '../../../src/embedded-mongo/query/matcher';
import type { Document, UpdateChange } from '../../../src/embedded-mongo/types';

/** Applies `update` to `before` as an update statement would (positional `$` from `filter`) and describes it. */
function describe_(before: Document, update: Document | Document[], filter: Document = {}, arrayFilters?: Document[]): UpdateChange | undefined {
  const compiled = compileUpdate(update, { arrayFilters });
  const positionalIndex = compileFilter(filter).positionalIndex(before);
  const { doc } = compiled.apply(before, { isInsert: false, positionalIndex, now: new Date(0) });
  return describeUpdate(compiled.kind, update, before, doc);
}

const none = { updated: [], removed: [], truncated: [] };

describe('change description of an update (updateDescription as mongod logs it)', () => {
  it('When $set writes existing, new and nested fields, then each written path is reported where it was created', () => {
    const change = describe_({ _id: 1, a: 1, b: { c: 1 } }, { $set: { a: 2, 'b.d': 3, 'x.y.z': 4 } });
    assert.deepEqual(change, { ...none, updated: [['a'], ['b', 'd'], ['x']] });
  });

  it('When $set writes a whole sub-document, then the whole field is reported, not its inner fields', () => {
    assert.deepEqual(describe_({ _id: 1, a: { x: 1 } }, { $set: { a: { x: 1, y: 2 } } }), { ...none, updated: [['a']] });
  });

  it('When a field is set to the value it has, then nothing is reported for it', () => {
    assert.deepEqual(describe_({ _id: 1, a: 1, b: 2 }, { $set: { a: 1, b: 3 } }), { ...none, updated: [['b']] });
  });

  it('When $unset and $rename remove fields, then they are removed paths (the rename target is set)', () => {
    assert.deepEqual(describe_({ _id: 1, a: 1, b: 2, c: 3 }, { $unset: { a: '' }, $rename: { b: 'd' } }), { updated: [['d']], removed: [['a'], ['b']], truncated: [] });
  });

  it('When $push only appends, then each new element is reported by index; with $position the whole array', () => {
    assert.deepEqual(describe_({ _id: 1, tags: ['a'] }, { $push: { tags: { $each: ['b', 'c'] } } }), { ...none, updated: [['tags', 1], ['tags', 2]] });
    assert.deepEqual(describe_({ _id: 1, tags: ['a'] }, { $push: { tags: { $each: ['z'], $position: 0 } } }), { ...none, updated: [['tags']] });
    assert.deepEqual(describe_({ _id: 1 }, { $push: { tags: 'first' } }), { ...none, updated: [['tags']] });
  });

  it('When $pull, $pop or $addToSet change an array, then the whole array is reported', () => {
    assert.deepEqual(describe_({ _id: 1, n: [1, 2, 3] }, { $pull: { n: 2 } }), { ...none, updated: [['n']] });
    assert.deepEqual(describe_({ _id: 1, n: [1, 2, 3] }, { $pop: { n: 1 } }), { ...none, updated: [['n']] });
    assert.deepEqual(describe_({ _id: 1, n: [1] }, { $addToSet: { n: 2 } }), { ...none, updated: [['n']] });
  });

  it('When positional paths update array elements, then the concrete element paths are reported', () => {
    const sites = { _id: 1, sites: [{ city: 'Hanoi', n: 1 }, { city: 'Dhaka', n: 1 }] };
    assert.deepEqual(describe_(sites, { $inc: { 'sites.$.n': 1 } }, { 'sites.city': 'Dhaka' }), { ...none, updated: [['sites', 1, 'n']] });
    assert.deepEqual(describe_(sites, { $inc: { 'sites.$[].n': 1 } }), { ...none, updated: [['sites', 0, 'n'], ['sites', 1, 'n']] });
    assert.deepEqual(describe_(sites, { $set: { 'sites.$[s].audited': true } }, {}, [{ 's.city': 'Hanoi' }]), { ...none, updated: [['sites', 0, 'audited']] });
  });

  it('When a pipeline update shortens an array or changes a field, then it is diffed as mongod diffs it', () => {
    const before = { _id: 1, scores: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], name: 'Acme', notes: 'n'.repeat(100) };
    assert.deepEqual(describe_(before, [{ $set: { scores: { $slice: ['$scores', 5] } } }]), { ...none, truncated: [{ path: ['scores'], newSize: 5 }] });
    assert.deepEqual(describe_(before, [{ $set: { name: 'Acme AB' } }, { $unset: 'notes' }]), { ...none, updated: [['name']], removed: [['notes']] });
  });

  it('When a sub-document diff would be bigger than the new value, then the new value is reported whole', () => {
    const before = { _id: 1, a: { x: 1 }, notes: 'n'.repeat(100) };
    assert.deepEqual(describe_(before, [{ $set: { 'a.x': 2 } }]), { ...none, updated: [['a']] });
  });

  it('When a pipeline update changes most of a small document, then it counts as a replacement', () => {
    assert.equal(describe_({ _id: 1, a: 1 }, [{ $set: { a: 2, b: 3, c: 4 } }]), undefined);
  });

  it('When a replacement document is given, then it is a replacement', () => {
    assert.equal(describe_({ _id: 1, a: 1 }, { a: 2 }), undefined);
  });
});
