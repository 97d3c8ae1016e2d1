import { strict as assert } from 'node:assert';
import { Binary, calculateObjectSize, Decimal128, Long, ObjectId, Timestamp } from 'bson';
import { deepClone } from '../../../src/embedded-mongo/bson/clone';
import { MAX_DOCUMENT_BYTES } from '../../../src/embedded-mongo/storage/doc-store';
import { changedFieldsFrom } from '../../../src/embedded-mongo/bson/derived';
import { sizeAfterUpdate } from '../../../src/embedded-mongo/storage/size-delta';
import { identical } from '../../../src/embedded-mongo/update/identical';
import type { Document } from '../../../src/embedded-mongo/types';
import { compileUpdate } from '../../../src/embedded-mongo/update';
import { expectMongoError, freshEngine, insertAll } from './storage-helpers';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed from its seed. */
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

const size = (doc: Document): number => calculateObjectSize(doc, { ignoreUndefined: false });

/** The top-level fields two documents differ in (presence, or not the very same value). */
function differingFields(a: Document, b: Document): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => Object.hasOwn(a, k) !== Object.hasOwn(b, k) || !Object.is(a[k], b[k]));
}

/** Values of every BSON kind whose size depends on its value: int32 vs double boundaries, -0, multi-byte text. */
function randomScalar(random: () => number): unknown {
  const pick = Math.floor(random() * 17);
  switch (pick) {
    case 0: return Math.floor(random() * 1000);
    case 1: return random() < 0.5 ? 2147483647 : 2147483648;
    case 2: return random() < 0.5 ? -0 : 0;
    case 3: return random() * 1e6;
    case 4: return 'x'.repeat(Math.floor(random() * 40));
    case 5: return 'åäö€😀'.slice(0, Math.floor(random() * 6));
    case 6: return random() < 0.5;
    case 7: return null;
    case 8: return undefined;
    case 9: return new Date(Math.floor(random() * 1e12));
    case 10: return new ObjectId();
    case 11: return Long.fromNumber(Math.floor(random() * 1e9));
    case 12: return Decimal128.fromString(String(random()));
    case 13: return new Binary(Buffer.alloc(Math.floor(random() * 20)));
    case 14: return new Timestamp({ t: 1, i: 2 });
    case 15: return /a+b/gi;
    default: return BigInt(Math.floor(random() * 1e6));
  }
}

function randomValue(random: () => number, depth: number): unknown {
  const roll = random();
  if (depth < 3 && roll < 0.15) return randomDocument(random, depth + 1, 4);
  if (depth < 3 && roll < 0.25) return Array.from({ length: Math.floor(random() * 5) }, () => randomValue(random, depth + 1));
  return randomScalar(random);
}

function randomDocument(random: () => number, depth: number, width: number): Document {
  let doc: Document = {};
  const fields = Math.floor(random() * width) + (depth === 0 ? 1 : 0);
  // A computed key defines an own field, so "__proto__" is a field here as in a decoded document.
  for (let i = 0; i < fields; i++) doc = { ...doc, [randomKey(random)]: randomValue(random, depth) };
  return doc;
}

function randomKey(random: () => number): string {
  const keys = ['a', 'b', 'c', 'name', 'ü', 'long_field_name', '0', '12', '__proto__', 'toBSON', 'x.y'.replace('.', '_')];
  return keys[Math.floor(random() * keys.length)];
}

/** A copy-on-write change at a random place, as the update engine makes: the containers on the path are copied, the rest shared. */
function randomChange(random: () => number, value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    const copy = [...value];
    const roll = random();
    if (roll < 0.3 || copy.length === 0) copy.push(randomValue(random, depth + 1));
    else if (roll < 0.5) copy.pop();
    else {
      const i = Math.floor(random() * copy.length);
      copy[i] = randomChange(random, copy[i], depth + 1);
    }
    return copy;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const doc = value as Document;
    const keys = Object.keys(doc);
    const roll = random();
    if (roll < 0.2 || keys.length === 0) return { ...doc, [randomKey(random)]: randomValue(random, depth + 1) };
    const key = keys[Math.floor(random() * keys.length)];
    if (roll < 0.35) {
      const { [key]: _removed, ...rest } = doc;
      return rest;
    }
    if (roll < 0.45) return { ...doc, [key]: deepClone(doc[key]) }; // equal content, no longer shared
    return { ...doc, [key]: randomChange(random, doc[key], depth + 1) };
  }
  return randomValue(random, depth);
}

/** Operator updates of every kind that changes a document, for the randomised runs. */
const OPERATOR_UPDATES: Document[] = [
  { $set: { 'meta.section': 'intro', updatedAt: new Date() }, $inc: { version: 1 } },
  { $set: { 'meta.progress.done': 7 } },
  { $inc: { version: 2147483647 } },
  { $unset: { name: '' } },
  { $push: { notes: { text: 'ok', at: new Date() } } },
  { $pop: { notes: 1 } },
  { $set: { 'notes.0.text': 'é' } },
  { $rename: { name: 'title' } },
  { $rename: { title: 'name' } },
  { $set: { name: 'a much longer name than before' } },
  { $mul: { score: 1.5 } },
  { $currentDate: { touched: true } },
  { $addToSet: { tags: 'x' } },
  { $pull: { tags: 'x' } },
];

const START: Document = { _id: 1, name: 'n', version: 0, score: 3, meta: { section: '', progress: { done: 0 } }, notes: [], tags: [] };

describe('storage: BSON size of a replaced document from the old size', () => {
  it('When documents change at random places, then the size from the old size equals calculateObjectSize every time', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = randomSource(seed);
      let doc = randomDocument(random, 0, 12);
      let docSize = size(doc);
      for (let step = 0; step < 30; step++) {
        const next = randomChange(random, doc) as Document;
        const exact = sizeAfterUpdate(doc, docSize, next, differingFields(doc, next));
        assert.equal(exact, size(next), `seed ${seed}, step ${step}`);
        const everyField = [...new Set([...Object.keys(doc), ...Object.keys(next)])];
        const measured = sizeAfterUpdate(doc, docSize, next, everyField);
        assert.equal(measured, size(next), `seed ${seed}, step ${step}, every field listed`);
        doc = next;
        docSize = measured;
      }
    }
  });

  it('When the update engine applies random operator updates, then the size from the old size equals calculateObjectSize', () => {
    const random = randomSource(42);
    const updates: Document[] = [
      ...OPERATOR_UPDATES,
      { $set: { name: 'n' } },
      { $set: { 'meta.section': 'intro' } },
      { $unset: { missing: '' } },
      { $max: { score: 0 } },
      { $set: { version: -0 } },
      { $set: { version: 0 } },
    ];
    let doc: Document = START;
    let docSize = size(doc);
    for (let step = 0; step < 2000; step++) {
      const spec = updates[Math.floor(random() * updates.length)];
      const result = compileUpdate(spec).apply(doc, { isInsert: false, now: new Date() });
      assert.equal(result.modified, !identical(doc, result.doc), `step ${step}: modified of ${JSON.stringify(spec)}`);
      if (!result.modified) continue;
      const fields = changedFieldsFrom(result.doc, doc);
      assert.ok(fields, `step ${step}: the update noted its fields`);
      const measured = sizeAfterUpdate(doc, docSize, result.doc, fields);
      assert.equal(measured, size(result.doc), `step ${step}: ${JSON.stringify(spec)}`);
      doc = result.doc;
      docSize = measured;
    }
  });

  it('When the changed fields are unknown or a document is not a plain object, then the size is measured in full', () => {
    const prev = { a: 'xyz', b: 1 };
    const next = { a: 'xyzw', b: 2.5 };
    assert.equal(sizeAfterUpdate(prev, 999, next, undefined), size(next));
    const map = new Map([['a', 1]]) as unknown as Document;
    assert.equal(sizeAfterUpdate(prev, size(prev), map, ['a']), size(map));
  });

  it('When a document was not built from the stored one, then its noted fields are not used', () => {
    const doc = { _id: 1, a: 1, b: 'x' };
    const result = compileUpdate({ $set: { a: 2 } }).apply(doc, { isInsert: false, now: new Date() });
    assert.deepEqual(changedFieldsFrom(result.doc, doc), ['a']);
    assert.equal(changedFieldsFrom(result.doc, { ...doc }), undefined);
    const upserted = compileUpdate({ $set: { a: 2 } }).apply({ _id: 1 }, { isInsert: true, now: new Date() });
    assert.equal(changedFieldsFrom(upserted.doc, { _id: 1 }), undefined);
  });
});

describe('storage: document size limit on replace and dataSize', () => {
  /** A document of exactly `bytes` BSON bytes: `{_id: 1, pad: "x…"}`. */
  function docOfSize(bytes: number, extra: Document = {}): Document {
    const base = { _id: 1, ...extra, pad: '' };
    return { ...base, pad: 'x'.repeat(bytes - size(base)) };
  }

  it('When an update makes a document exactly 16 MB, then it is stored; one byte more fails with 10334 and nothing changes', async () => {
    const engine = await freshEngine();
    try {
      const original = docOfSize(1000);
      await insertAll(engine, 'db', 'c', [original]);
      const atLimit = docOfSize(MAX_DOCUMENT_BYTES);
      assert.equal(size(atLimit), MAX_DOCUMENT_BYTES);
      await engine.write(undefined, (b) => b.replace('db', 'c', atLimit));
      assert.equal(engine.collectionStats('db', 'c').dataSize, MAX_DOCUMENT_BYTES);
      const overLimit = { ...atLimit, flag: true }; // shares the big string, adds one element
      assert.equal(size(overLimit), MAX_DOCUMENT_BYTES + 7);
      const error = await expectMongoError(() => engine.write(undefined, (b) => b.replace('db', 'c', overLimit)), 10334);
      assert.match(error.message, new RegExp(`BSONObj size: ${MAX_DOCUMENT_BYTES + 7} `));
      assert.equal(engine.collectionStats('db', 'c').dataSize, MAX_DOCUMENT_BYTES);
      assert.equal(engine.find(undefined, 'db', 'c', { filter: {} }).docs[0].flag, undefined);
    } finally {
      await engine.close();
    }
  });

  it('When stored documents get many operator updates, then dataSize stays the sum of their BSON sizes', async () => {
    const engine = await freshEngine();
    try {
      const random = randomSource(11);
      await insertAll(engine, 'db', 'c', Array.from({ length: 10 }, (_, i) => ({ ...START, _id: i })));
      for (let step = 0; step < 500; step++) {
        const id = Math.floor(random() * 10);
        const spec = OPERATOR_UPDATES[Math.floor(random() * OPERATOR_UPDATES.length)];
        await engine.write(undefined, (b) => {
          const stored = b.find('db', 'c', { filter: { _id: id } }).docs[0];
          const result = compileUpdate(spec).apply(stored, { isInsert: false, now: new Date() });
          if (result.modified) b.replace('db', 'c', result.doc);
        });
      }
      const docs = engine.find(undefined, 'db', 'c', { filter: {} }).docs;
      assert.equal(engine.collectionStats('db', 'c').dataSize, docs.reduce((sum, d) => sum + size(d), 0));
    } finally {
      await engine.close();
    }
  });

  it('When documents are replaced many times, then dataSize stays the sum of their BSON sizes', async () => {
    const engine = await freshEngine();
    try {
      const random = randomSource(7);
      const docs = Array.from({ length: 20 }, (_, i) => ({ ...randomDocument(random, 0, 10), _id: i }));
      await insertAll(engine, 'db', 'c', docs);
      const current = new Map<number, Document>(docs.map((d) => [d._id, d]));
      for (let step = 0; step < 500; step++) {
        const id = Math.floor(random() * docs.length);
        const stored = engine.find(undefined, 'db', 'c', { filter: { _id: id } }).docs[0];
        const next = { ...(randomChange(random, stored) as Document), _id: id };
        await engine.write(undefined, (b) => b.replace('db', 'c', next));
        current.set(id, next);
      }
      const expected = [...current.values()].reduce((sum, d) => sum + size(d), 0);
      assert.equal(engine.collectionStats('db', 'c').dataSize, expected);
    } finally {
      await engine.close();
    }
  });
});
