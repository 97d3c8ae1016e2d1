import assert from 'node:assert/strict';
import { Binary, BSONRegExp, Code, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, serialize, Timestamp } from 'bson';
import { bsonType } from '../../../src/embedded-mongo/bson/compare';
import { decodeDocument } from '../../../src/embedded-mongo/bson/decode';

describe('bson decode', () => {
  it('When a document holds every kind of element, then numbers keep their BSON types and everything else decodes as bson does', () => {
    const id = new ObjectId();
    const bytes = serialize({
      s: 'text',
      d: new Double(3),
      f: 0.5,
      i: new Int32(3),
      l: Long.fromNumber(3),
      m: Decimal128.fromString('3.0'),
      b: true,
      n: null,
      o: id,
      t: new Timestamp({ t: 1, i: 2 }),
      r: new BSONRegExp('a.c', 'i'),
      bin: new Binary(Buffer.from([1, 2])),
      code: new Code('x', { y: new Double(1) }),
      min: new MinKey(),
      max: new MaxKey(),
      date: new Date(5),
      after: new Double(-4),
    });
    const doc = decodeDocument(bytes);
    assert.deepEqual(
      Object.entries(doc).map(([key, value]) => `${key}:${bsonType(value)}`),
      ['s:string', 'd:double', 'f:double', 'i:int', 'l:long', 'm:decimal', 'b:bool', 'n:null', 'o:objectId',
        't:timestamp', 'r:regex', 'bin:binData', 'code:javascript', 'min:minKey', 'max:maxKey', 'date:date', 'after:double'],
    );
    assert.equal(doc.i, 3);
    assert.equal(doc.l, 3n);
    assert.ok(doc.after instanceof Double && doc.after.value === -4, 'elements after the skipped ones are still found');
  });

  it('When integral doubles sit in arrays and embedded documents, then each becomes a Double in its place', () => {
    const doc = decodeDocument(serialize({ a: [1, new Double(2), [new Double(3)], { b: new Double(4), c: 5 }], e: { f: { g: new Double(0) } } }));
    const a = doc.a as unknown[];
    assert.equal(a[0], 1);
    assert.ok(a[1] instanceof Double);
    assert.ok((a[2] as unknown[])[0] instanceof Double);
    assert.ok((a[3] as { b: unknown }).b instanceof Double);
    assert.equal((a[3] as { c: unknown }).c, 5);
    assert.ok(((doc.e as { f: { g: unknown } }).f.g as Double).value === 0);
  });

  it('When a document has DBRef fields, then it stays a plain document with its fields in stored order, a dotted $ref whole', () => {
    const target = new ObjectId();
    const doc = decodeDocument(serialize({ members: [{ $id: target, $ref: 'people.archive', extra: new Double(1) }], owner: { $ref: 'users', $id: 7, $db: 'other' } }));
    const member = (doc.members as Record<string, unknown>[])[0];
    assert.equal(Object.getPrototypeOf(member), Object.prototype);
    assert.deepEqual(Object.keys(member), ['$id', '$ref', 'extra']);
    assert.equal(member.$ref, 'people.archive');
    assert.ok((member.$id as ObjectId).equals(target));
    assert.ok(member.extra instanceof Double);
    assert.deepEqual(doc.owner, { $ref: 'users', $id: 7, $db: 'other' });
  });

  it('When the top-level document itself looks like a DBRef, then it is decoded as a plain document', () => {
    const doc = decodeDocument(serialize({ _id: 1, $ref: 'x', $id: new Double(2) }));
    assert.equal(Object.getPrototypeOf(doc), Object.prototype);
    assert.deepEqual(Object.keys(doc), ['_id', '$ref', '$id']);
    assert.ok(doc.$id instanceof Double);
  });

  it('When a field is named __proto__, then its double is restored as an own field, not as the prototype', () => {
    const source = JSON.parse('{"__proto__": 0}') as Record<string, unknown>;
    source['__proto__'] = new Double(1);
    const doc = decodeDocument(serialize(source));
    assert.equal(Object.getPrototypeOf(doc), Object.prototype);
    assert.ok(Object.getOwnPropertyDescriptor(doc, '__proto__')?.value instanceof Double);
  });

  it('When the bytes are not valid BSON, then decoding throws', () => {
    const bytes = Buffer.from(serialize({ a: 'text' }));
    bytes.writeInt32LE(bytes.length + 10, 0);
    assert.throws(() => decodeDocument(bytes));
  });
});
