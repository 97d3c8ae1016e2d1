/**
 * serverStatus as monitoring tools read it: `connections` (current, available, totalCreated, active, …), `network`,
 * `opcounters`, `mem`, `repl` and `storageEngine`.
 */
import assert from 'node:assert/strict';
import { MongoClient, type Db, type Document } from 'mongodb';
import { connectTestClient, mongoUri } from '../../helpers/mongo-target';

interface Connections {
  current: number;
  available: number;
  totalCreated: number;
  active: number;
}

describe('conformance: serverStatus', () => {
  let client: MongoClient | undefined;
  let admin: Db;
  const extra: MongoClient[] = [];

  before(async () => {
    const target = await connectTestClient('server_status');
    client = target.client;
    admin = client.db('admin');
  });

  after(async () => {
    await Promise.all(extra.map((c) => c.close()));
    await client?.close();
  });

  const status = (): Promise<Document> => admin.command({ serverStatus: 1 });
  const connections = async (): Promise<Connections> => (await status()).connections as Connections;

  it('When serverStatus is asked, then connections has current, available, totalCreated and active as numbers', async () => {
    const now = await connections();
    for (const field of ['current', 'available', 'totalCreated', 'active'] as const) {
      assert.equal(typeof now[field], 'number', field);
    }
    assert.ok(now.current >= 1);
    assert.ok(now.active >= 1, 'the connection running serverStatus is active');
    assert.ok(now.available > 0);
    assert.ok(now.totalCreated >= now.current);
  });

  it('When more clients connect, then current and totalCreated grow with them', async () => {
    const before = await connections();
    for (let i = 0; i < 3; i++) {
      const other = await new MongoClient(await mongoUri(), { maxPoolSize: 1 }).connect();
      extra.push(other);
      await other.db('admin').command({ ping: 1 });
    }
    const after = await connections();
    assert.ok(after.current >= before.current + 3, `current ${before.current} → ${after.current}`);
    assert.ok(after.totalCreated >= before.totalCreated + 3);
  });

  it('When commands run, then network counts their bytes and the other sections tools read are there', async () => {
    const first = await status();
    await admin.command({ ping: 1 });
    const second = await status();
    const network = (doc: Document): Document => doc.network as Document;
    assert.ok(BigInt(network(second).bytesIn) > BigInt(network(first).bytesIn));
    assert.ok(BigInt(network(second).bytesOut) > BigInt(network(first).bytesOut));
    assert.ok(BigInt(network(second).numRequests) > BigInt(network(first).numRequests));
    assert.equal(typeof second.host, 'string');
    assert.equal(typeof second.version, 'string');
    assert.ok(second.localTime instanceof Date);
    assert.equal(typeof second.uptime, 'number');
    for (const counter of ['insert', 'query', 'update', 'delete', 'getmore', 'command']) assert.ok(counter in (second.opcounters as Document), counter);
    assert.equal(typeof (second.mem as Document).resident, 'number');
    assert.equal(typeof (second.repl as Document).setName, 'string');
    assert.equal(typeof (second.storageEngine as Document).name, 'string');
  });
});
