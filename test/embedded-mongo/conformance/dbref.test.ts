/**
 * DBRef-style fields through the official driver: `$ref`, `$id` and `$db` are field names in queries (paths,
 * `$elemMatch`, `$pull` conditions), never operators, and DBRef values read back as DBRefs.
 */
import assert from 'node:assert/strict';
import { DBRef, ObjectId, type Collection, type Db, type Document, type MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode } from './server-errors';

interface Team extends Document {
  _id: number;
}

describe('conformance: DBRef fields', () => {
  let client: MongoClient | undefined;
  let db: Db | undefined;
  let teams: Collection<Team>;
  const ada = new ObjectId();
  const bo = new ObjectId();
  const cy = new ObjectId();

  before(async () => {
    const target = await connectTestClient('dbref');
    client = target.client;
    db = client.db(target.dbName);
  });

  beforeEach(async () => {
    if (!db) throw new Error('no database: the connection in before() failed');
    teams = db.collection<Team>(`teams_${Math.random().toString(36).slice(2, 10)}`);
    await teams.insertMany([
      { _id: 1, members: [new DBRef('users', ada), new DBRef('users', bo, 'archive')], owner: new DBRef('people', ada) },
      { _id: 2, members: [new DBRef('users', cy)], owner: new DBRef('people', cy) },
    ]);
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  const ids = async (filter: Document): Promise<number[]> => (await teams.find(filter, { sort: { _id: 1 } }).toArray()).map((t) => t._id);

  it('When $elemMatch names $id, $ref or $db, then they are the element fields, not operators', async () => {
    assert.deepEqual(await ids({ members: { $elemMatch: { $id: ada } } }), [1]);
    assert.deepEqual(await ids({ members: { $elemMatch: { $ref: 'users', $id: cy } } }), [2]);
    assert.deepEqual(await ids({ members: { $elemMatch: { $db: 'archive' } } }), [1]);
  });

  it('When a dotted path ends in $id, $ref or $db, then it reaches into the stored DBRefs', async () => {
    assert.deepEqual(await ids({ 'members.$id': cy }), [2]);
    assert.deepEqual(await ids({ 'members.$ref': 'users' }), [1, 2]);
    assert.deepEqual(await ids({ 'members.$db': 'archive' }), [1]);
    assert.deepEqual(await ids({ 'owner.$id': { $in: [ada, bo] } }), [1]);
    assert.equal((await teams.aggregate([{ $match: { 'owner.$ref': 'people' } }]).toArray()).length, 2);
  });

  it('When a whole DBRef is the query value, then it is compared as a document', async () => {
    assert.deepEqual(await ids({ owner: new DBRef('people', cy) }), [2]);
    assert.deepEqual(await ids({ members: new DBRef('users', bo, 'archive') }), [1]);
  });

  it('When the documents are read back, then DBRefs come back as DBRefs with their database', async () => {
    const team = await teams.findOne({ _id: 1 });
    const members = team?.members as DBRef[];
    assert.ok(members[1] instanceof DBRef);
    assert.equal(members[1].collection, 'users');
    assert.equal(members[1].db, 'archive');
    assert.ok(members[1].oid instanceof ObjectId && members[1].oid.equals(bo));
  });

  it('When $pull names $id, then the matching DBRef is removed', async () => {
    await teams.updateOne({ _id: 1 }, { $pull: { members: { $id: bo } } } as Document);
    const team = await teams.findOne({ _id: 1 });
    assert.deepEqual((team?.members as DBRef[]).map((m) => m.oid.toHexString()), [ada.toHexString()]);
  });

  it('When $id stands alone as a condition on a field, then it is an unknown operator (2), as in mongod', async () => {
    await rejectsWithCode(teams.find({ owner: { $id: ada } } as Document).toArray(), 2, /unknown operator: \$id/);
  });
});
