/** The view catalog over a storage engine, and the pure parts of $merge, without the wire. */
import assert from 'node:assert/strict';
import { parseMergeSpec } from '../../../src/embedded-mongo/aggregate/stages/merge';
import { involvedNamespaces, listViews, lookupView, resolveView, validateViewGraph } from '../../../src/embedded-mongo/commands/views';
import type { EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { assertThrowsMongoError } from './assert-mongo-error';
import { freshEngine, insertAll } from './storage-helpers';

describe('unit: view catalog', () => {
  let engine: EmbeddedStorage;

  beforeEach(async () => {
    engine = await freshEngine();
    await insertAll(engine, 'app', 'suppliers', [{ _id: 1, risk: 90 }]);
  });

  afterEach(() => engine.close());

  it('When system.views holds definitions, then views resolve to their collection with the pipelines innermost first', async () => {
    await insertAll(engine, 'app', 'system.views', [
      { _id: 'app.risky', viewOn: 'suppliers', pipeline: [{ $match: { risk: { $gt: 50 } } }] },
      { _id: 'app.riskyIds', viewOn: 'risky', pipeline: [{ $project: { _id: 1 } }] },
    ]);
    assert.deepEqual(resolveView(engine, 'app', 'riskyIds'), {
      db: 'app',
      name: 'riskyIds',
      coll: 'suppliers',
      pipeline: [{ $match: { risk: { $gt: 50 } } }, { $project: { _id: 1 } }],
      collation: undefined,
    });
    assert.equal(resolveView(engine, 'app', 'suppliers'), undefined);
    assert.deepEqual(listViews(engine, 'app').map((view) => view.name), ['risky', 'riskyIds']);
  });

  it('When system.views changes, then the next lookup sees the change', async () => {
    await insertAll(engine, 'app', 'system.views', [{ _id: 'app.v', viewOn: 'suppliers', pipeline: [] }]);
    assert.equal(lookupView(engine, 'app', 'v')?.viewOn, 'suppliers');
    await engine.write(undefined, (batch) => batch.replace('app', 'system.views', { _id: 'app.v', viewOn: 'other', pipeline: [] }));
    assert.equal(lookupView(engine, 'app', 'v')?.viewOn, 'other');
    await engine.write(undefined, (batch) => batch.remove('app', 'system.views', 'app.v'));
    assert.equal(lookupView(engine, 'app', 'v'), undefined);
  });

  it('When a hand-written definition is invalid, then lookups of names that are not collections fail with 182 until it is removed', async () => {
    await insertAll(engine, 'app', 'system.views', [{ _id: 'app.broken', viewOn: 5, pipeline: [] }]);
    assertThrowsMongoError(() => lookupView(engine, 'app', 'anything'), 182, /Invalid view definition detected in the view catalog/);
    assertThrowsMongoError(() => listViews(engine, 'app'), 182);
    assert.equal(lookupView(engine, 'app', 'suppliers'), undefined, 'a collection is still a collection');
    assert.equal(lookupView(engine, 'app', 'system.views'), undefined, 'system.views can still be repaired');
    await engine.write(undefined, (batch) => batch.remove('app', 'system.views', 'app.broken'));
    assert.equal(lookupView(engine, 'app', 'anything'), undefined);
  });

  it('When hand-written definitions form a cycle, then resolving one, or a new view on one, stops after 20 views with 165', async () => {
    await insertAll(engine, 'app', 'system.views', [
      { _id: 'app.a', viewOn: 'b', pipeline: [] },
      { _id: 'app.b', viewOn: 'a', pipeline: [] },
    ]);
    assertThrowsMongoError(() => resolveView(engine, 'app', 'a'), 165, 'View depth too deep or view cycle detected; maximum depth is 20');
    assertThrowsMongoError(() => validateViewGraph(engine, { db: 'app', name: 'c', viewOn: 'a', pipeline: [] }), 165, 'View depth limit exceeded; maximum depth is 20');
  });

  it('When views are chained, then 19 resolve and 20 fail with 165, as mongod looks up at most 20 names', async () => {
    const chain = (length: number, prefix: string) =>
      Array.from({ length }, (_, i) => ({ _id: `app.${prefix}${i}`, viewOn: i === length - 1 ? 'suppliers' : `${prefix}${i + 1}`, pipeline: [] }));
    await insertAll(engine, 'app', 'system.views', [...chain(19, 'short'), ...chain(20, 'long')]);
    assert.equal(resolveView(engine, 'app', 'short0')?.coll, 'suppliers');
    assertThrowsMongoError(() => resolveView(engine, 'app', 'long0'), 165);
    assert.equal(resolveView(engine, 'app', 'long1')?.coll, 'suppliers');
  });

  it('When a pipeline reads other collections, then every namespace it reads is found, nested ones too', () => {
    const pipeline = [
      { $lookup: { from: 'audits', as: 'a', pipeline: [{ $unionWith: { coll: 'sites', pipeline: [{ $lookup: { from: { db: 'other', coll: 'x' }, as: 'y', pipeline: [] } }] } }] } },
      { $graphLookup: { from: 'suppliers', startWith: '$p', connectFromField: 'p', connectToField: '_id', as: 'g' } },
      { $facet: { f: [{ $unionWith: 'contacts' }] } },
    ];
    assert.deepEqual(involvedNamespaces(pipeline, 'app'), ['app.audits', 'app.sites', 'other.x', 'app.suppliers', 'app.contacts']);
  });
});

describe('unit: $merge specification', () => {
  it('When only a collection is named, then mongod’s defaults apply: on _id, merge, insert', () => {
    assert.deepEqual(parseMergeSpec('target', 'app'), { db: 'app', coll: 'target', on: ['_id'], onGiven: false, whenMatched: 'merge', pipeline: undefined, whenNotMatched: 'insert', let: undefined });
  });

  it('When whenMatched is a pipeline, then let defaults to new: $$ROOT, and a let without new gains it only for inserts', () => {
    assert.deepEqual(parseMergeSpec({ into: 'target', whenMatched: [{ $set: { a: 1 } }] }, 'app').let, { new: '$$ROOT' });
    assert.deepEqual(parseMergeSpec({ into: 'target', whenMatched: [], let: { x: '$a' } }, 'app').let, { x: '$a', new: '$$ROOT' });
    assert.deepEqual(parseMergeSpec({ into: 'target', whenMatched: [], whenNotMatched: 'discard', let: { x: '$a' } }, 'app').let, { x: '$a' });
  });

  it('When into names a database, then it is used; an empty one means the aggregation’s', () => {
    assert.equal(parseMergeSpec({ into: { db: 'reports', coll: 't' } }, 'app').db, 'reports');
    assert.equal(parseMergeSpec({ into: { db: '', coll: 't' } }, 'app').db, 'app');
    assertThrowsMongoError(() => parseMergeSpec({ into: { db: 'bad.name', coll: 't' } }, 'app'), 73, "Invalid $merge target namespace: 'bad.name.t'");
    assertThrowsMongoError(() => parseMergeSpec({ into: { coll: 't', extra: 1 } }, 'app'), 40415);
  });

  it('When an on field is not a valid path, then it fails as a field path does', () => {
    assertThrowsMongoError(() => parseMergeSpec({ into: 't', on: '' }, 'app'), 40352);
    assertThrowsMongoError(() => parseMergeSpec({ into: 't', on: '$a' }, 'app'), 16410);
    assertThrowsMongoError(() => parseMergeSpec({ into: 't', on: 'a..b' }, 'app'), 15998);
  });
});
