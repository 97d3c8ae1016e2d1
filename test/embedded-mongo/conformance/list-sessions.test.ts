/**
 * `$listLocalSessions` and `$listSessions` through the official driver: the server's logical sessions (a session the
 * driver used shows up with its id), and mongod's validation of the stage specs and namespaces.
 */
import assert from 'node:assert/strict';
import type { Binary, ClientSession, Db, Document, MongoClient } from 'mongodb';
import { connectTestClient } from '../../helpers/mongo-target';
import { rejectsWithCode, serverError } from './server-errors';

interface SessionRecord extends Document {
  _id: { id: Binary; uid: Binary };
  lastUse: Date;
}

const hex = (id: Binary): string => Buffer.from(id.buffer).toString('hex');

describe('conformance: $listLocalSessions and $listSessions', () => {
  let client: MongoClient | undefined;
  let db: Db;
  let session: ClientSession;
  let sessionId: string;

  before(async () => {
    const target = await connectTestClient('list_sessions');
    client = target.client;
    db = client.db(target.dbName);
    session = client.startSession();
    await db.collection('touched').insertOne({ at: 1 }, { session });
    sessionId = hex((session.id as { id: Binary }).id);
  });

  after(async () => {
    await session?.endSession();
    await db?.dropDatabase();
    await client?.close();
  });

  const local = (spec: unknown): Promise<SessionRecord[]> =>
    (client as MongoClient).db('admin').aggregate<SessionRecord>([{ $listLocalSessions: spec }]).toArray();

  it('When a session has been used, then $listLocalSessions lists it with its id, user digest and last use', async () => {
    for (const spec of [{}, { allUsers: true }, { users: [{ user: '', db: '' }] }]) {
      const mine = (await local(spec)).find((record) => hex(record._id.id) === sessionId);
      assert.ok(mine, `the session is listed for ${JSON.stringify(spec)}`);
      assert.ok(mine.lastUse instanceof Date);
      assert.equal(mine._id.uid.buffer.length, 32, 'the user digest is a SHA-256');
    }
  });

  it('When $listLocalSessions asks for another user, then the unauthenticated sessions are not listed', async () => {
    const records = await local({ users: [{ user: 'auditor', db: 'admin' }] });
    assert.equal(records.find((record) => hex(record._id.id) === sessionId), undefined);
  });

  it('When later stages follow, then they run over the session records', async () => {
    const rows = await (client as MongoClient)
      .db('admin')
      .aggregate([{ $listLocalSessions: { allUsers: true } }, { $project: { _id: 0, hasId: { $eq: [{ $type: '$_id.id' }, 'binData'] } } }, { $limit: 1 }])
      .toArray();
    assert.deepEqual(rows, [{ hasId: true }]);
  });

  it('When a stage spec or its place is invalid, then mongod\'s errors come back', async () => {
    const admin = (client as MongoClient).db('admin');
    await rejectsWithCode(local(5), 14, /\$listLocalSessions options must be specified in an object/);
    await rejectsWithCode(local({ allUsers: 1 }), 14, /BSON field '\$listLocalSessions.allUsers' is the wrong type/);
    await rejectsWithCode(local({ everyone: true }), 40415, /BSON field '\$listLocalSessions.everyone' is an unknown field/);
    await rejectsWithCode(local({ users: [{ user: 'x' }] }), 40414, /BSON field '\$listLocalSessions.users.db' is missing but a required field/);
    await rejectsWithCode(local({ allUsers: true, users: [{ user: 'x', db: 'admin' }] }), 12, /may not specify \{allUsers:true\} and \{users:\[\.\.\.\]\} at the same time/);
    await rejectsWithCode(db.collection('touched').aggregate([{ $listLocalSessions: {} }]).toArray(), 73, /must be run against the database with \{aggregate: 1\}/);
    await rejectsWithCode(admin.aggregate([{ $match: {} }, { $listLocalSessions: {} }]).toArray(), 40602, /only valid as the first stage/);
    await rejectsWithCode(db.collection('touched').aggregate([{ $listSessions: {} }]).toArray(), 73, /must be run against the 'system.sessions' collection in the 'config' database/);
  });

  it('When the session cache has been refreshed, then $listSessions on config.system.sessions lists the session', async function () {
    const admin = (client as MongoClient).db('admin');
    try {
      await admin.command({ refreshLogicalSessionCacheNow: 1 });
    } catch (err) {
      // A real mongod has this test command only when started with --setParameter enableTestCommands=1.
      if ((await serverError(Promise.reject(err))).code === 59) this.skip();
      throw err;
    }
    const records = await (client as MongoClient).db('config').collection('system.sessions').aggregate<SessionRecord>([{ $listSessions: { allUsers: true } }]).toArray();
    assert.ok(records.some((record) => hex(record._id.id) === sessionId));
    const own = await (client as MongoClient).db('config').collection('system.sessions').aggregate<SessionRecord>([{ $listSessions: {} }]).toArray();
    assert.ok(own.some((record) => hex(record._id.id) === sessionId), 'without options it lists the sessions of the user running it');
  });
});
