import assert from 'node:assert/strict';
import { compileProjection } from '../../../src/embedded-mongo/query/projection';
import { compileFilter } from '../../../src/embedded-mongo/query/matcher';
import { MongoServerError } from '../../../src/embedded-mongo/errors';
import { assertThrowsMongoError } from './assert-mongo-error';
import type { Document } from '../../../src/embedded-mongo/types';

const doc: Document = {
  _id: 7,
  name: 'Acme',
  address: { city: 'Lund', zip: '22100', geo: { lat: 55 } },
  contacts: [
    { name: 'Ann', role: 'buyer', phone: '1' },
    { name: 'Bo', role: 'auditor', phone: '2' },
    'loose note',
  ],
  scores: [3, 8, 5, 1, 9],
};

function project(spec: Document, filter?: Document): Document {
  return compileProjection(spec, { matcher: filter ? compileFilter(filter) : undefined })(doc);
}

function assertRejects(spec: Document, code: number, message: string | RegExp): void {
  assertThrowsMongoError(() => compileProjection(spec), code, message);
}

describe('embedded-mongo query/projection', () => {
  it('returns the document unchanged for an empty projection', () => {
    assert.deepEqual(project({}), doc);
  });

  it('includes the listed fields plus _id, in document order', () => {
    const out = project({ scores: 1, name: true });
    assert.deepEqual(out, { _id: 7, name: 'Acme', scores: doc.scores });
    assert.deepEqual(Object.keys(out), ['_id', 'name', 'scores']);
  });

  it('drops _id from an inclusion when asked', () => {
    assert.deepEqual(project({ _id: 0, name: 1 }), { name: 'Acme' });
  });

  it('projects only _id for {_id: 1} and everything but _id for {_id: 0}', () => {
    assert.deepEqual(project({ _id: 1 }), { _id: 7 });
    const out = project({ _id: 0 });
    assert.equal(out._id, undefined);
    assert.equal(out.name, 'Acme');
  });

  it('excludes the listed fields and keeps the rest', () => {
    assert.deepEqual(Object.keys(project({ contacts: 0, scores: false })), ['_id', 'name', 'address']);
  });

  it('includes nested paths given dotted or as nested objects', () => {
    assert.deepEqual(project({ 'address.city': 1 }), { _id: 7, address: { city: 'Lund' } });
    assert.deepEqual(project({ address: { city: 1, geo: { lat: 1 } } }), { _id: 7, address: { city: 'Lund', geo: { lat: 55 } } });
  });

  it('excludes nested paths', () => {
    assert.deepEqual(project({ 'address.geo': 0, contacts: 0, scores: 0 }), { _id: 7, name: 'Acme', address: { city: 'Lund', zip: '22100' } });
  });

  it('goes through arrays of subdocuments, dropping scalars on inclusion and keeping them on exclusion', () => {
    assert.deepEqual(project({ _id: 0, 'contacts.name': 1 }), { contacts: [{ name: 'Ann' }, { name: 'Bo' }] });
    assert.deepEqual(project({ _id: 0, name: 0, address: 0, scores: 0, 'contacts.phone': 0 }), {
      contacts: [{ name: 'Ann', role: 'buyer' }, { name: 'Bo', role: 'auditor' }, 'loose note'],
    });
  });

  it('omits a nested inclusion whose parent is a scalar', () => {
    assert.deepEqual(project({ 'name.first': 1 }), { _id: 7 });
  });

  it('$slice takes the first n, the last n, or [skip, limit]', () => {
    assert.deepEqual(project({ _id: 0, scores: { $slice: 2 } }).scores, [3, 8]);
    assert.deepEqual(project({ _id: 0, scores: { $slice: -2 } }).scores, [1, 9]);
    assert.deepEqual(project({ _id: 0, scores: { $slice: [1, 2] } }).scores, [8, 5]);
    assert.deepEqual(project({ _id: 0, scores: { $slice: [-2, 5] } }).scores, [1, 9]);
    assert.deepEqual(project({ _id: 0, scores: { $slice: [10, 2] } }).scores, []);
  });

  it('$slice alone keeps every other field; with inclusions it is an inclusion', () => {
    assert.equal(project({ scores: { $slice: 1 } }).name, 'Acme');
    assert.deepEqual(project({ scores: { $slice: 1 }, name: 1 }), { _id: 7, name: 'Acme', scores: [3] });
  });

  it('$slice rejects malformed arguments', () => {
    assertRejects({ scores: { $slice: 'x' } }, 2, '$slice only supports numbers and [skip, limit] arrays');
    assertRejects({ scores: { $slice: [1, 0] } }, 2, '$slice limit must be positive');
  });

  it('$elemMatch keeps the first matching element only', () => {
    assert.deepEqual(project({ contacts: { $elemMatch: { role: 'auditor' } } }), { _id: 7, contacts: [(doc.contacts as unknown[])[1]] });
    assert.deepEqual(project({ contacts: { $elemMatch: { role: 'nobody' } } }), { _id: 7 });
  });

  it('positional a.$ keeps the element the query matched', () => {
    assert.deepEqual(project({ 'scores.$': 1 }, { scores: { $gt: 8 } }), { _id: 7, scores: [9] });
    assert.deepEqual(project({ 'contacts.$': 1 }, { 'contacts.role': 'auditor' }), { _id: 7, contacts: [(doc.contacts as unknown[])[1]] });
  });

  it('positional projection without a matching array condition fails', () => {
    assert.throws(
      () => project({ 'scores.$': 1 }, { name: 'Acme' }),
      (err: unknown) => err instanceof MongoServerError && err.code === 51246 && /couldn't find a matching element/.test(err.message),
    );
    assertRejects({ 'scores.$': 0 }, 31395, 'positional projection cannot be used with exclusion');
  });

  it('computes fields from literals and expressions', () => {
    assert.deepEqual(project({ _id: 0, label: 'supplier', city: '$address.city', n: { $size: '$scores' } }), {
      label: 'supplier',
      city: 'Lund',
      n: 5,
    });
  });

  it('When a computed field reads $$NOW, then it is the clock the command passed', () => {
    const now = new Date('2026-03-01T00:00:00Z');
    assert.deepEqual(compileProjection({ _id: 0, at: '$$NOW' }, { now })(doc), { at: now });
  });

  it('rejects mixing inclusion and exclusion with MongoDB codes', () => {
    assertRejects({ name: 1, scores: 0 }, 31254, 'Cannot do exclusion on field scores in inclusion projection');
    assertRejects({ scores: 0, name: 1 }, 31253, 'Cannot do inclusion on field name in exclusion projection');
    assertRejects({ scores: 0, label: 'x' }, 31253, 'Cannot do inclusion on field label in exclusion projection');
  });

  it('rejects colliding paths, a text score without a text search, unknown $meta names and empty sub-projections', () => {
    assertRejects({ address: 1, 'address.city': 1 }, 31250, 'Path collision at address.city remaining portion city');
    assertRejects({ score: { $meta: 'textScore' } }, 40218, 'query requires text score metadata, but it is not available');
    assertThrowsMongoError(() => compileProjection({ s: { $meta: 'bogus' } }, { textScore: () => 1 }), 17308, 'Unsupported argument to $meta: bogus');
    assertRejects({ address: {} }, 51270, /empty sub-projection/);
    assertRejects({ 'scores.$': 1, 'contacts.$': 1 }, 31276, 'Cannot specify more than one positional projection per query.');
  });

  it('When $meta textScore is projected alone, then the whole document comes back with the score added', () => {
    const withScore = compileProjection({ score: { $meta: 'textScore' } }, { textScore: () => 1.5 })(doc);
    assert.deepEqual(withScore, { ...doc, score: 1.5 });
  });

  it('When $meta textScore sits beside inclusions or exclusions, then it joins that projection', () => {
    const textScore = (): number => 0.75;
    assert.deepEqual(compileProjection({ name: 1, score: { $meta: 'textScore' } }, { textScore })(doc), { _id: 7, name: 'Acme', score: 0.75 });
    assert.deepEqual(compileProjection({ _id: 1, score: { $meta: 'textScore' } }, { textScore })(doc), { _id: 7, score: 0.75 });
    const excluded = compileProjection({ contacts: 0, scores: 0, score: { $meta: 'textScore' } }, { textScore })(doc);
    assert.deepEqual(excluded, { _id: 7, name: 'Acme', address: doc.address, score: 0.75 });
  });

  it('never modifies the input document', () => {
    const before = JSON.stringify(doc);
    project({ 'contacts.name': 1, scores: { $slice: 1 } });
    project({ 'address.geo': 0 });
    project({ 'scores.$': 1 }, { scores: 9 });
    assert.equal(JSON.stringify(doc), before);
  });
});
