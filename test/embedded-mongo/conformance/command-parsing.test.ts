/**
 * Strict command parsing as a MongoDB 7.0 server does it: commands mongod parses with its IDL refuse unknown fields
 * (top level and inside update/delete statements) with 40415 and the field's path, accept every generic argument,
 * and accept any BSON value as `comment`.
 */
import assert from 'node:assert/strict';
import type { Collection, Db, Document, MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

interface Item extends Document {
  _id: number;
}

const UNKNOWN = 40415;

describe('conformance: strict command parsing', () => {
  let client: MongoClient | undefined;
  let db: Db;
  let coll: Collection<Item>;
  let serverMajor = 0;

  before(async () => {
    const target = await connectTestClient('command_parsing');
    client = target.client;
    db = client.db(target.dbName);
    const info = await db.admin().command({ buildInfo: 1 });
    serverMajor = Number((info.versionArray as number[])[0]);
  });

  beforeEach(async () => {
    coll = db.collection<Item>(`c_${Math.random().toString(36).slice(2, 10)}`);
    await coll.insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 2 }]);
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  const unknownField = (path: string): RegExp => new RegExp(`^BSON field '${path.replace(/\$/g, '\\$')}' is an unknown field\\.$`);

  it('When a command carries a field it does not know, then 40415 names the command and the field', async () => {
    const name = coll.collectionName;
    const commands: Array<[Document, string]> = [
      [{ find: name, filter: {}, nope: 1 }, 'find.nope'],
      [{ insert: name, documents: [{ _id: 3 }], nope: 1 }, 'insert.nope'],
      [{ update: name, updates: [{ q: {}, u: { $set: { b: 1 } } }], nope: 1 }, 'update.nope'],
      [{ delete: name, deletes: [{ q: {}, limit: 1 }], nope: 1 }, 'delete.nope'],
      [{ aggregate: name, pipeline: [], cursor: {}, nope: 1 }, 'aggregate.nope'],
      [{ count: name, nope: 1 }, 'count.nope'],
      [{ distinct: name, key: 'a', nope: 1 }, 'distinct.nope'],
      [{ findAndModify: name, query: {}, update: { $set: { b: 1 } }, nope: 1 }, 'findAndModify.nope'],
      [{ createIndexes: name, indexes: [{ key: { a: 1 }, name: 'a_1' }], nope: 1 }, 'createIndexes.nope'],
      [{ listIndexes: name, nope: 1 }, 'listIndexes.nope'],
      [{ listCollections: 1, nope: 1 }, 'listCollections.nope'],
      [{ create: `${name}_new`, nope: 1 }, 'create.nope'],
      [{ drop: name, nope: 1 }, 'drop.nope'],
    ];
    for (const [command, path] of commands) {
      await rejectsWithCode(db.command(command), UNKNOWN, unknownField(path));
    }
    assert.equal(await coll.countDocuments(), 2, 'nothing was written');
    assert.deepEqual((await coll.listIndexes().toArray()).map((ix) => ix.name), ['_id_']);
  });

  it('When an update or delete statement carries a field it does not know, then the whole command fails before writing', async () => {
    const name = coll.collectionName;
    await rejectsWithCode(
      db.command({ update: name, updates: [{ q: { _id: 1 }, u: { $set: { b: 1 } } }, { q: { _id: 2 }, u: { $set: { b: 2 } }, nope: true }] }),
      UNKNOWN,
      unknownField('update.updates.nope'),
    );
    await rejectsWithCode(db.command({ delete: name, deletes: [{ q: {}, limit: 0, nope: true }] }), UNKNOWN, unknownField('delete.deletes.nope'));
    assert.deepEqual(await coll.find({}, { sort: { _id: 1 } }).toArray(), [{ _id: 1, a: 1 }, { _id: 2, a: 2 }]);
  });

  it('When an update statement has a sort, then a 7.0 server refuses it and an 8.0 server applies it', async () => {
    const statement = { q: {}, u: { $set: { picked: true } }, sort: { _id: -1 } };
    if (serverMajor < 8) {
      await rejectsWithCode(db.command({ update: coll.collectionName, updates: [statement] }), UNKNOWN, unknownField('update.updates.sort'));
      assert.equal(await coll.countDocuments({ picked: true }), 0);
    } else {
      await db.command({ update: coll.collectionName, updates: [statement] });
      assert.deepEqual(await coll.distinct('_id', { picked: true }), [2]);
    }
  });

  it('When aggregate\'s cursor option carries a field it does not know, then 40415 names it', async () => {
    await rejectsWithCode(db.command({ aggregate: coll.collectionName, pipeline: [], cursor: { batchSize: 1, nope: 1 } }), UNKNOWN, unknownField('aggregate.cursor.nope'));
  });

  it('When commands carry the generic arguments, then they are accepted', async () => {
    const generic = { comment: 'tagged', maxTimeMS: 5000, readConcern: { level: 'local' } };
    const found = await db.command({ find: coll.collectionName, filter: {}, ...generic });
    assert.equal((found.cursor as { firstBatch: unknown[] }).firstBatch.length, 2);
    await db.command({ count: coll.collectionName, ...generic });
    await db.command({ insert: coll.collectionName, documents: [{ _id: 3 }], comment: 'x', writeConcern: { w: 1 } });
    await db.command({ aggregate: coll.collectionName, pipeline: [], cursor: {}, ...generic });
  });

  it('When find has a comment that is not a string, then it is accepted like any BSON value', async () => {
    assert.equal((await coll.find({}, { comment: { request: 'r-1', attempt: 2 } }).toArray()).length, 2);
    assert.equal((await coll.find({}, { comment: 42 as never }).toArray()).length, 2);
    assert.equal((await coll.find({}, { comment: ['a', 'b'] as never }).toArray()).length, 2);
  });

  it('When $out runs under read concern linearizable, then it is refused and nothing is written', async () => {
    const target = `${coll.collectionName}_out`;
    await rejectsWithCode(
      db.command({ aggregate: coll.collectionName, pipeline: [{ $out: target }], cursor: {}, readConcern: { level: 'linearizable' } }),
      72,
      /\$out cannot be used with a 'linearizable' read concern level/,
    );
    assert.deepEqual(await db.listCollections({ name: target }).toArray(), []);
  });
});
