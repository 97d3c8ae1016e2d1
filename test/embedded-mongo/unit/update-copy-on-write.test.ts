import { strict as assert } from 'node:assert';
import { deepClone } from '../../../src/embedded-mongo/bson/clone';
import type { Document } from '../../../src/embedded-mongo/types';
import { compileUpdate } from '../../../src/embedded-mongo/update';
import { identical } from '../../../src/embedded-mongo/update/identical';

/** Deterministic pseudo-random numbers (mulberry32). */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Single operations over several fields and depths; an update combines a few on paths that do not conflict. */
const OPERATIONS: Array<[string, string, unknown]> = [
  ['$set', 'a', 1],
  ['$set', 'meta.section', 'intro'],
  ['$set', 'meta.progress.done', 3],
  ['$inc', 'version', 1],
  ['$unset', 'gone', ''],
  ['$set', 'notes.0.text', 'x'],
  ['$push', 'tags', 'new'],
  ['$currentDate', 'updatedAt', true],
  ['$set', 'deep.x.y.z', 'created'],
  ['$rename', 'old', 'renamed'],
  ['$max', 'score', 10],
  ['$set', 'list.$[].flag', true],
];

function randomUpdate(random: () => number): Document {
  const update: Record<string, Record<string, unknown>> = {};
  const used: string[] = [];
  const count = 1 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    const [operator, path, value] = OPERATIONS[Math.floor(random() * OPERATIONS.length)];
    const top = path.split('.')[0];
    const touches = operator === '$rename' ? [top, String(value)] : [top];
    if (touches.some((field) => used.includes(field))) continue;
    used.push(...touches);
    update[operator] = { ...update[operator], [path]: value };
  }
  return update;
}

const START: Document = {
  _id: 7,
  a: 0,
  version: 1,
  score: 4,
  gone: 'soon',
  old: { kept: true },
  meta: { section: '', progress: { done: 0, total: 9 } },
  notes: [{ text: 'a' }, { text: 'b' }],
  tags: ['t'],
  list: [{ n: 1 }, { n: 2 }],
};

describe('update: copy-on-write with several operations', () => {
  it('When random multi-operation updates run, then the input is never changed and each result is its own', () => {
    const random = randomSource(3);
    let doc = deepFreeze(deepClone(START));
    for (let step = 0; step < 1000; step++) {
      const spec = randomUpdate(random);
      const snapshot = deepClone(doc);
      const result = compileUpdate(spec).apply(doc, { isInsert: false, now: new Date(step) });
      assert.ok(identical(doc, snapshot), `step ${step}: ${JSON.stringify(spec)} changed its input`);
      // The same update on an equal, unshared copy gives the same document: nothing depended on shared state.
      const again = compileUpdate(spec).apply(deepClone(snapshot), { isInsert: false, now: new Date(step) });
      assert.ok(identical(result.doc, again.doc), `step ${step}: ${JSON.stringify(spec)}`);
      assert.equal(result.modified, !identical(snapshot, result.doc));
      doc = deepFreeze(step % 50 === 49 ? deepClone(START) : result.doc);
    }
  });

  it('When a later operation writes a top-level $-prefixed field, then it is still refused after an earlier one copied the document', () => {
    const update = compileUpdate({ $set: { '!a': 2, $bad: 1 } });
    assert.throws(() => update.apply({ _id: 1, a: 1 }, { isInsert: false, now: new Date() }), /dollar \(\$\) prefixed field '\$bad'/);
  });

  it('When a later operation would change _id, then 66 ImmutableField still names it', () => {
    const update = compileUpdate({ $set: { a: 2 }, $inc: { _id: 1 } });
    assert.throws(() => update.apply({ _id: 1, a: 1 }, { isInsert: false, now: new Date() }), /would modify the immutable field '_id'/);
  });
});
