import assert from 'node:assert/strict';
import { Binary, BSONRegExp, Code, Decimal128, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';
import { bsonType, compareValues, compareWithBottom, isNumeric, typeOrder, valuesEqual } from '../../../src/embedded-mongo/bson/compare';
import { deepClone } from '../../../src/embedded-mongo/bson/clone';
import { createCollator } from '../../../src/embedded-mongo/query/collation';

describe('embedded-mongo bson/compare', () => {
  describe('bsonType', () => {
    it('names every value kind the server stores', () => {
      const cases: [unknown, string][] = [
        [1, 'int'],
        [2147483648, 'double'],
        [1.5, 'double'],
        [-0, 'double'],
        [5n, 'long'],
        [Decimal128.fromString('1.1'), 'decimal'],
        ['s', 'string'],
        [{}, 'object'],
        [[], 'array'],
        [new Binary(Buffer.from([1])), 'binData'],
        [undefined, 'undefined'],
        [new ObjectId(), 'objectId'],
        [true, 'bool'],
        [new Date(0), 'date'],
        [null, 'null'],
        [new BSONRegExp('a', 'i'), 'regex'],
        [/a/, 'regex'],
        [new Code('x'), 'javascript'],
        [new Timestamp({ t: 1, i: 1 }), 'timestamp'],
        [new MinKey(), 'minKey'],
        [new MaxKey(), 'maxKey'],
      ];
      for (const [value, name] of cases) assert.equal(bsonType(value), name, `bsonType(${String(value)})`);
    });

    it('reports numbers of every representation as numeric', () => {
      assert.ok(isNumeric(1) && isNumeric(1.5) && isNumeric(3n) && isNumeric(Decimal128.fromString('2')));
      assert.ok(!isNumeric('1') && !isNumeric(null) && !isNumeric(new Date()));
    });
  });

  describe('cross-type order', () => {
    it('orders types MinKey < null < numbers < strings < objects < arrays < binData < ObjectId < bool < date < timestamp < regex < MaxKey', () => {
      const ascending = [
        new MinKey(),
        null,
        -5,
        'a',
        { a: 1 },
        [1],
        new Binary(Buffer.from([1])),
        new ObjectId('000000000000000000000000'),
        false,
        new Date(0),
        new Timestamp({ t: 0, i: 1 }),
        new BSONRegExp('a', ''),
        new MaxKey(),
      ];
      for (let i = 0; i + 1 < ascending.length; i++) {
        assert.equal(compareValues(ascending[i], ascending[i + 1]), -1, `${bsonType(ascending[i])} < ${bsonType(ascending[i + 1])}`);
        assert.equal(compareValues(ascending[i + 1], ascending[i]), 1);
        assert.ok(typeOrder(ascending[i]) < typeOrder(ascending[i + 1]));
      }
    });

    it('treats undefined like null', () => {
      assert.equal(compareValues(undefined, null), 0);
      assert.equal(compareValues(undefined, 0), -1);
    });
  });

  describe('compareWithBottom', () => {
    it('When one side is the bottom value, then it sorts above MinKey and below null and everything else', () => {
      const bottom = Symbol('bottom');
      assert.equal(compareWithBottom(bottom, null, bottom), -1);
      assert.equal(compareWithBottom(null, bottom, bottom), 1);
      assert.equal(compareWithBottom(bottom, new MinKey(), bottom), 1);
      assert.equal(compareWithBottom(new MinKey(), bottom, bottom), -1);
      assert.equal(compareWithBottom(bottom, bottom, bottom), 0);
      assert.equal(compareWithBottom(undefined, null, undefined), -1);
      assert.equal(compareWithBottom('a', 'B', undefined, createCollator({ locale: 'en', strength: 2 })), -1);
    });
  });

  describe('numbers', () => {
    it('compares int, double, int64 and Decimal128 by exact value', () => {
      assert.equal(compareValues(1, 1n), 0);
      assert.equal(compareValues(1, Decimal128.fromString('1.00')), 0);
      assert.equal(compareValues(2n, Decimal128.fromString('1.5')), 1);
      assert.equal(compareValues(Decimal128.fromString('-1E+3'), -999), -1);
      assert.ok(valuesEqual(1.5, Decimal128.fromString('1.5')));
    });

    it('keeps int64 precision beyond 2^53 where a double cannot', () => {
      assert.equal(compareValues(9007199254740993n, 9007199254740992), 1);
      assert.equal(compareValues(9007199254740993n, 9007199254740992n), 1);
    });

    it('compares Decimal128 exactly instead of through a double', () => {
      assert.equal(compareValues(Decimal128.fromString('0.1'), 0.1), -1, '0.1 as a double is slightly above 1/10');
      assert.equal(compareValues(Decimal128.fromString('0.30000000000000000001'), Decimal128.fromString('0.3')), 1);
    });

    it('puts NaN below every other number and equal to itself', () => {
      assert.equal(compareValues(NaN, -Infinity), -1);
      assert.equal(compareValues(NaN, NaN), 0);
      assert.equal(compareValues(Decimal128.fromString('NaN'), NaN), 0);
      assert.equal(compareValues(-Infinity, -1e308), -1);
      assert.equal(compareValues(Decimal128.fromString('Infinity'), Infinity), 0);
    });

    it('treats -0 and 0 as equal', () => {
      assert.equal(compareValues(-0, 0), 0);
      assert.equal(compareValues(Decimal128.fromString('-0'), 0), 0);
    });
  });

  describe('strings', () => {
    it('compares by code point, like the UTF-8 bytes MongoDB compares', () => {
      assert.equal(compareValues('B', 'a'), -1);
      assert.equal(compareValues('a', 'ab'), -1);
      // U+1F600 (surrogate pair in UTF-16) is above U+FF5E in code point order.
      assert.equal(compareValues('\u{1F600}', '\uFF5E'), 1);
    });

    it('uses the collator when given one, also inside documents and arrays', () => {
      const collator = createCollator({ locale: 'en', strength: 2 });
      assert.equal(compareValues('ABC', 'abc', collator), 0);
      assert.equal(compareValues({ a: ['ABC'] }, { a: ['abc'] }, collator), 0);
      assert.equal(compareValues('ABC', 'abc'), -1);
    });
  });

  describe('documents and arrays', () => {
    it('compares documents field by field, where field order matters', () => {
      assert.equal(compareValues({ a: 1, b: 2 }, { a: 1, b: 2 }), 0);
      assert.notEqual(compareValues({ a: 1, b: 2 }, { b: 2, a: 1 }), 0);
      assert.equal(compareValues({ a: 1 }, { a: 1, b: 0 }), -1);
      assert.equal(compareValues({ a: 2 }, { b: 1 }), -1, 'field name decides before value');
      assert.equal(compareValues({ a: 'x' }, { a: 5 }), 1, 'type of the value decides before its name');
    });

    it('compares arrays element by element, then by length', () => {
      assert.equal(compareValues([1, 2], [1, 3]), -1);
      assert.equal(compareValues([1, 2], [1, 2, 0]), -1);
      assert.equal(compareValues([2], [1, 9]), 1);
    });
  });

  describe('other types', () => {
    it('orders binData by length, then subtype, then bytes', () => {
      assert.equal(compareValues(new Binary(Buffer.from([9])), new Binary(Buffer.from([0, 0]))), -1);
      assert.equal(compareValues(new Binary(Buffer.from([9]), 0), new Binary(Buffer.from([1]), 4)), -1);
      assert.equal(compareValues(new Binary(Buffer.from([1, 2])), new Binary(Buffer.from([1, 3]))), -1);
    });

    it('orders ObjectIds by their bytes (so by creation time first)', () => {
      assert.equal(compareValues(new ObjectId('000000010000000000000000'), new ObjectId('0000000f0000000000000000')), -1);
      assert.ok(valuesEqual(new ObjectId('0123456789abcdef01234567'), new ObjectId('0123456789abcdef01234567')));
    });

    it('orders booleans, dates, timestamps and regexes within their type', () => {
      assert.equal(compareValues(false, true), -1);
      assert.equal(compareValues(new Date(1), new Date(2)), -1);
      assert.equal(compareValues(new Timestamp({ t: 1, i: 5 }), new Timestamp({ t: 2, i: 0 })), -1);
      assert.equal(compareValues(new Timestamp({ t: 1, i: 1 }), new Timestamp({ t: 1, i: 2 })), -1);
      assert.equal(compareValues(new BSONRegExp('a', 'i'), /a/i), 0);
      assert.equal(compareValues(new BSONRegExp('a', ''), new BSONRegExp('b', '')), -1);
    });
  });
});

describe('embedded-mongo bson/clone', () => {
  it('copies documents and arrays deeply, so changing the copy leaves the original alone', () => {
    const original = { a: { b: [1, { c: 2 }] }, d: new Date(5) };
    const copy = deepClone(original);
    assert.deepEqual(copy, original);
    (copy.a.b[1] as { c: number }).c = 3;
    copy.d.setTime(6);
    assert.equal((original.a.b[1] as { c: number }).c, 2);
    assert.equal(original.d.getTime(), 5);
  });

  it('keeps BSON class instances with their class', () => {
    const id = new ObjectId();
    const copy = deepClone({ id, n: Decimal128.fromString('1.5'), t: new Timestamp({ t: 1, i: 2 }), b: new Binary(Buffer.from([1, 2])) });
    assert.ok(copy.id instanceof ObjectId && copy.id.equals(id));
    assert.equal(bsonType(copy.n), 'decimal');
    assert.equal(bsonType(copy.t), 'timestamp');
    assert.ok(copy.b instanceof Binary);
    assert.equal(compareValues(copy.b, new Binary(Buffer.from([1, 2]))), 0);
  });

  it('copies binary payloads, so changing the copy leaves the original bytes alone', () => {
    const original = { b: new Binary(Buffer.from([1, 2])) };
    const copy = deepClone(original);
    copy.b.buffer[0] = 9;
    assert.equal(original.b.buffer[0], 1);
  });

  it('keeps a field named __proto__ as a field', () => {
    const original = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    const copy = deepClone(original);
    assert.ok(Object.prototype.hasOwnProperty.call(copy, '__proto__'));
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  });
});
