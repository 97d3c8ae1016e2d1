/**
 * Collations through the official driver: on find, on sort, as a collection default, and invalid specs.
 */
import assert from 'node:assert/strict';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

describe('conformance: collation', () => {
  let client: MongoClient;
  let db: Db;
  let names: Collection;

  before(async () => {
    const target = await connectTestClient('collation');
    client = target.client;
    db = client.db(target.dbName);
    names = db.collection('names');
    await names.insertMany(['Zeta', 'ärlig', 'Åsa', 'alfa', 'Örn', 'zebra', 'ALFA', 'item10', 'item9'].map((name, i) => ({ _id: i, name })) as never[]);
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  async function sortedNames(collation?: Record<string, unknown>, filter: Record<string, unknown> = {}): Promise<string[]> {
    const docs = await names.find(filter, { sort: { name: 1, _id: 1 }, collation: collation as never }).toArray();
    return docs.map((d) => d.name as string);
  }

  it('without a collation sorts by binary code point', async () => {
    assert.deepEqual(await sortedNames(undefined, { name: { $not: /^item/ } }), ['ALFA', 'Zeta', 'alfa', 'zebra', 'Åsa', 'Örn', 'ärlig']);
  });

  it('Swedish puts å, ä, ö after z', async () => {
    assert.deepEqual(await sortedNames({ locale: 'sv' }, { name: { $not: /^item/ } }), ['alfa', 'ALFA', 'zebra', 'Zeta', 'Åsa', 'ärlig', 'Örn']);
  });

  it('strength 2 makes equality case-insensitive', async () => {
    const docs = await names.find({ name: 'alfa' }, { collation: { locale: 'en', strength: 2 }, sort: { _id: 1 } }).toArray();
    assert.deepEqual(docs.map((d) => d.name), ['alfa', 'ALFA']);
  });

  it('strength 1 also ignores accents', async () => {
    const docs = await names.find({ name: 'orn' }, { collation: { locale: 'sv', strength: 1 } }).toArray();
    assert.deepEqual(docs.map((d) => d.name), []);
    const en = await names.find({ name: 'orn' }, { collation: { locale: 'en', strength: 1 } }).toArray();
    assert.deepEqual(en.map((d) => d.name), ['Örn']);
  });

  it('numericOrdering sorts digit runs as numbers', async () => {
    assert.deepEqual(await sortedNames({ locale: 'en', numericOrdering: true }, { name: /^item/ }), ['item9', 'item10']);
    assert.deepEqual(await sortedNames({ locale: 'en' }, { name: /^item/ }), ['item10', 'item9']);
  });

  it('a collection default collation applies when the find gives none', async () => {
    await db.createCollection('people', { collation: { locale: 'en', strength: 2 } });
    const people = db.collection('people');
    await people.insertMany([{ name: 'Eva' }, { name: 'EVA' }, { name: 'Bo' }]);
    assert.equal((await people.find({ name: 'eva' }).toArray()).length, 2);
  });

  it('rejects an unknown locale', async () => {
    await rejectsWithCode(names.find({}, { collation: { locale: 'xx_nowhere' } }).toArray(), 2);
  });

  it('rejects an invalid strength', async () => {
    await rejectsWithCode(names.find({}, { collation: { locale: 'en', strength: 9 } }).toArray(), 2);
  });
});
