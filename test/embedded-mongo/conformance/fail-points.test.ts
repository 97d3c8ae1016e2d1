/**
 * `configureFailPoint` with `failCommand` through the official driver, as mongod offers it with test commands
 * enabled (the embedded test server has them; a real MongoDB needs `--setParameter enableTestCommands=1`, and these
 * tests skip without it).
 */
import assert from 'node:assert/strict';
import { MongoClient, MongoNetworkError, MongoServerError, MongoWriteConcernError, type Collection, type Db, type Document } from 'mongodb';
import { connectTestClient, mongoUri, testCommandsEnabled } from '../../helpers/mongo-target';
import { rejectsWithCode, serverError } from './server-errors';

interface Item extends Document {
  _id: number;
}

describe('conformance: failCommand fail point', function () {
  let client: MongoClient | undefined;
  let db: Db;
  let coll: Collection<Item>;
  let enabled = false;
  const extraClients: MongoClient[] = [];

  const configure = (mode: unknown, data?: Document): Promise<Document> =>
    (client as MongoClient).db('admin').command({ configureFailPoint: 'failCommand', mode, ...(data ? { data } : {}) });

  const otherClient = async (options: Record<string, unknown>): Promise<MongoClient> => {
    const other = await new MongoClient(await mongoUri(), { serverSelectionTimeoutMS: 5000, ...options }).connect();
    extraClients.push(other);
    return other;
  };

  before(async () => {
    const target = await connectTestClient('fail_points');
    client = target.client;
    db = client.db(target.dbName);
    enabled = await testCommandsEnabled(client);
  });

  beforeEach(async function () {
    if (!enabled) this.skip();
    coll = db.collection<Item>(`c_${Math.random().toString(36).slice(2, 10)}`);
    await coll.insertOne({ _id: 1 });
  });

  afterEach(async () => {
    if (enabled) await configure('off');
    await Promise.all(extraClients.splice(0).map((c) => c.close()));
  });

  after(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('When a command is failed with an error code and labels, then the driver sees exactly them, and {times: 1} fires once', async () => {
    const before = (await configure({ times: 1 }, { failCommands: ['insert'], errorCode: 2, errorLabels: ['SupplierTestLabel'] })).count as number;
    const err = await serverError(coll.insertOne({ _id: 2 }));
    assert.equal(err.code, 2);
    assert.equal(err.message, "Failing command via 'failCommand' failpoint");
    assert.ok(err.hasErrorLabel('SupplierTestLabel'));
    await coll.insertOne({ _id: 3 });
    assert.deepEqual(await coll.distinct('_id'), [1, 3], 'the failed insert wrote nothing, the next one ran');
    const after = (await configure('off')).count as number;
    assert.equal(after - before, 1, 'configureFailPoint reports how often the fail point has fired');
  });

  it('When the mode is {skip: n}, then the first n matching commands pass and the rest fail', async () => {
    await configure({ skip: 1 }, { failCommands: ['count'], errorCode: 14 });
    assert.equal(await coll.estimatedDocumentCount(), 1);
    await rejectsWithCode(coll.estimatedDocumentCount(), 14);
    await rejectsWithCode(coll.estimatedDocumentCount(), 14);
    await configure('off');
    assert.equal(await coll.estimatedDocumentCount(), 1);
  });

  it('When the fail point names an appName or a namespace, then only those commands fail', async () => {
    await configure('alwaysOn', { failCommands: ['find'], errorCode: 2, appName: 'failing-app' });
    const failing = await otherClient({ appName: 'failing-app', retryReads: false });
    await rejectsWithCode(failing.db(db.databaseName).collection(coll.collectionName).findOne({}), 2);
    assert.ok(await coll.findOne({}), 'another application is not affected');
    await configure('alwaysOn', { failCommands: ['find'], errorCode: 2, namespace: `${db.databaseName}.elsewhere` });
    assert.ok(await coll.findOne({}));
    await rejectsWithCode(db.collection('elsewhere').findOne({}), 2);
  });

  it('When the fail point closes the connection, then a non-retrying read fails with a network error and a retrying one succeeds', async () => {
    const noRetry = await otherClient({ retryReads: false });
    await configure({ times: 1 }, { failCommands: ['find'], closeConnection: true });
    await assert.rejects(noRetry.db(db.databaseName).collection(coll.collectionName).findOne({}), MongoNetworkError);
    await configure({ times: 1 }, { failCommands: ['find'], closeConnection: true });
    assert.deepEqual(await coll.findOne({}), { _id: 1 }, 'the driver retried the read on a new connection');
  });

  it('When the fail point blocks the connection, then the command completes no sooner than blockTimeMS', async () => {
    await configure({ times: 1 }, { failCommands: ['find'], blockConnection: true, blockTimeMS: 150 });
    const started = performance.now();
    assert.deepEqual(await coll.findOne({}), { _id: 1 });
    assert.ok(performance.now() - started >= 140, 'the reply was held back');
  });

  it('When the fail point adds a write concern error, then the write happened and the driver reports the write concern error', async () => {
    await configure({ times: 1 }, { failCommands: ['insert'], writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } } });
    const err = await coll.insertOne({ _id: 2 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof MongoWriteConcernError, `expected a write concern error, got ${String(err)}`);
    assert.equal(err.code, 64);
    assert.equal(await coll.countDocuments({ _id: 2 }), 1);
  });

  it('When a write conflict is injected into a transaction, then it is labelled transient and withTransaction retries it', async () => {
    await configure({ times: 1 }, { failCommands: ['insert'], errorCode: 112 });
    const session = (client as MongoClient).startSession();
    try {
      let attempts = 0;
      await session.withTransaction(async () => {
        attempts++;
        await coll.insertOne({ _id: 2 }, { session });
      });
      assert.equal(attempts, 2);
    } finally {
      await session.endSession();
    }
    assert.equal(await coll.countDocuments({ _id: 2 }), 1);
  });

  it('When the mode is invalid or the command is not run on admin, then configureFailPoint refuses it', async () => {
    await rejectsWithCode(db.command({ configureFailPoint: 'failCommand', mode: 'off' }), 13, /admin database/);
    const err = await serverError(configure('sometimes', { failCommands: ['find'] }));
    assert.ok(err instanceof MongoServerError);
    assert.ok(await coll.findOne({}), 'nothing was switched on');
  });

  it('When blockConnection comes without blockTimeMS, then the commands the fail point fires on fail with 72', async () => {
    await configure({ times: 1 }, { failCommands: ['find'], blockConnection: true });
    await rejectsWithCode(coll.findOne({}), 72, /blockTimeMS/);
    assert.ok(await coll.findOne({}));
  });
});
