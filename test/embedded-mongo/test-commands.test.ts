/**
 * The embedded server's test-commands switch (`enableTestCommands`, `--setParameter enableTestCommands=1`): without
 * it the fail point commands do not exist, as in mongod; with it they do, also with the server in a worker thread.
 */
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { startMongoServer, type MongoServerOptions, type RunningMongoServer } from '../../src/embedded-mongo';
import { rejectsWithCode } from './conformance/server-errors';

describe('embedded server: test commands', function () {
  this.timeout(20_000);
  const running: Array<{ server: RunningMongoServer; client: MongoClient }> = [];

  async function start(options: MongoServerOptions): Promise<MongoClient> {
    const server = await startMongoServer({ port: 0, inMemory: true, ...options });
    const client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
    running.push({ server, client });
    return client;
  }

  afterEach(async () => {
    for (const { server, client } of running.splice(0)) {
      await client.close();
      await server.close();
    }
  });

  it('When the server was started without test commands, then configureFailPoint does not exist (59) and getParameter says so', async () => {
    const admin = (await start({})).db('admin');
    await rejectsWithCode(admin.command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: ['find'], errorCode: 2 } }), 59, /no such command: 'configureFailPoint'/);
    await rejectsWithCode(admin.command({ refreshLogicalSessionCacheNow: 1 }), 59);
    assert.equal((await admin.command({ getParameter: 1, enableTestCommands: 1 })).enableTestCommands, false);
    assert.equal(Object.hasOwn((await admin.command({ listCommands: 1 })).commands, 'configureFailPoint'), false);
  });

  it('When the server was started with test commands, then they are listed and an unknown fail point is refused (157)', async () => {
    const admin = (await start({ enableTestCommands: true })).db('admin');
    assert.ok(Object.hasOwn((await admin.command({ listCommands: 1 })).commands, 'configureFailPoint'));
    assert.equal((await admin.command({ getParameter: 1, enableTestCommands: 1 })).enableTestCommands, true);
    await rejectsWithCode(admin.command({ configureFailPoint: 'hangBeforeNothing', mode: 'alwaysOn' }), 157, /hangBeforeNothing not found/);
  });

  it('When the server runs in a worker thread with test commands, then a fail point works there too', async () => {
    const client = await start({ enableTestCommands: true, thread: 'worker' });
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['ping'], errorCode: 2 } });
    await rejectsWithCode(client.db('admin').command({ ping: 1 }), 2);
    assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
  });
});
