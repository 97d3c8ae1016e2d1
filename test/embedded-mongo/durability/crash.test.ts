import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { bundleChild, childEnv } from './bundle-child';
import { tempDir } from './harness';

/**
 * A child process runs the server on a temp directory; writers in this process do acknowledged inserts, updates and
 * two-collection transactions and note what was acknowledged; the child is SIGKILLed at a random moment, 20 times.
 * After each restart every acknowledged write must be there with its latest acknowledged value, and no transaction
 * may be half applied.
 */
const ROUNDS = 20;
const WRITERS = 3;
const CHILD = path.join(__dirname, 'crash-child.ts');

interface Child {
  process: ChildProcess;
  uri: string;
  recovery: unknown;
}

function startChild(script: string, dbPath: string): Promise<Child> {
  const child = spawn(process.execPath, [script, dbPath], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\S+) (.*)\n/.exec(out);
      if (match) resolve({ process: child, uri: match[1], recovery: JSON.parse(match[2]) as unknown });
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code, signal) => reject(new Error(`crash child exited (${code ?? signal}) before it was ready: ${err}`)));
  });
}

function kill(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
    child.process.once('exit', () => resolve());
    child.process.kill('SIGKILL');
  });
}

/** What the writers know: acknowledged writes, and the one write per writer whose outcome is unknown. */
interface Model {
  inserted: Set<string>;
  counters: Map<string, { acked: number; inFlight?: number }>;
  transactions: Set<string>;
  nextId: number;
}

async function runWriters(client: MongoClient, model: Model, stop: { stopped: boolean }): Promise<void> {
  const db = client.db('crash');
  const insertWriter = async (w: number): Promise<void> => {
    while (!stop.stopped) {
      const id = `i${w}-${model.nextId++}`;
      await db.collection('items').insertOne({ _id: id as never, w, payload: 'x'.repeat(200 + (model.nextId % 500)) });
      model.inserted.add(id);
    }
  };
  const updateWriter = async (w: number): Promise<void> => {
    const key = `c${w}`;
    while (!stop.stopped) {
      const state = model.counters.get(key) ?? { acked: 0 };
      model.counters.set(key, state);
      const next = state.acked + 1;
      state.inFlight = next;
      await db.collection('counters').updateOne({ _id: key as never }, { $set: { v: next } }, { upsert: true });
      state.acked = next;
      state.inFlight = undefined;
    }
  };
  const transactionWriter = async (w: number): Promise<void> => {
    while (!stop.stopped) {
      const id = `t${w}-${model.nextId++}`;
      const session = client.startSession();
      try {
        session.startTransaction();
        await db.collection('orders').insertOne({ _id: id as never, w }, { session });
        await db.collection('order_lines').insertMany([{ order: id, n: 1 }, { order: id, n: 2 }], { session });
        await db.collection('counters').updateOne({ _id: `tx${w}` as never }, { $inc: { n: 1 } }, { session, upsert: true });
        await session.commitTransaction();
        model.transactions.add(id);
      } finally {
        await session.endSession().catch(() => undefined);
      }
    }
  };
  const writers: Array<Promise<void>> = [];
  for (let w = 0; w < WRITERS; w++) writers.push(insertWriter(w), updateWriter(w), transactionWriter(w));
  // A writer stops at its first error: the server was killed under it.
  await Promise.allSettled(writers);
}

async function verify(client: MongoClient, model: Model): Promise<void> {
  const db = client.db('crash');
  const items = new Set((await db.collection('items').find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
  const missing = [...model.inserted].filter((id) => !items.has(id));
  assert.deepEqual(missing, [], 'every acknowledged insert survives');

  for (const [key, state] of model.counters) {
    const doc = await db.collection('counters').findOne({ _id: key as never });
    const value = typeof doc?.v === 'number' ? doc.v : 0;
    const allowed = state.inFlight === undefined ? [state.acked] : [state.acked, state.inFlight];
    assert.ok(allowed.includes(value), `counter ${key} is ${value}; acknowledged ${state.acked}, in flight ${String(state.inFlight)}`);
    state.acked = value;
    state.inFlight = undefined;
  }

  const orders = await db.collection('orders').find({}).toArray();
  const lines = await db.collection('order_lines').find({}).toArray();
  const linesPerOrder = new Map<string, number>();
  for (const line of lines) linesPerOrder.set(String(line.order), (linesPerOrder.get(String(line.order)) ?? 0) + 1);
  const orderIds = new Set(orders.map((o) => String(o._id)));
  for (const id of orderIds) assert.equal(linesPerOrder.get(id), 2, `transaction ${id} is whole`);
  for (const id of linesPerOrder.keys()) assert.ok(orderIds.has(id), `order lines of ${id} only exist with their order`);
  for (const id of model.transactions) assert.ok(orderIds.has(id), `acknowledged transaction ${id} survives`);
  let txCount = 0;
  for (let w = 0; w < WRITERS; w++) {
    const doc = await db.collection('counters').findOne({ _id: `tx${w}` as never });
    txCount += typeof doc?.n === 'number' ? doc.n : 0;
  }
  assert.equal(txCount, orderIds.size, 'the transaction counters moved with the committed transactions');
}

describe('durability: crash test (SIGKILL at random moments)', function () {
  this.timeout(90_000);
  const data = tempDir('crash');
  const build = tempDir('crash-build');
  let script = '';
  let child: Child | undefined;

  before(() => {
    script = bundleChild(CHILD, build.dir);
  });

  after(async () => {
    if (child) await kill(child);
    data.remove();
    build.remove();
  });

  it(`When the server is killed ${ROUNDS} times during acknowledged writes, then every acknowledged write survives and no transaction is partly applied`, async () => {
    const model: Model = { inserted: new Set(), counters: new Map(), transactions: new Set(), nextId: 0 };
    let checked = 0;
    for (let round = 0; round < ROUNDS; round++) {
      child = await startChild(script, data.dir);
      const client = new MongoClient(child.uri, { retryWrites: false, serverSelectionTimeoutMS: 300, maxPoolSize: 20 });
      await client.connect();
      if (round > 0) {
        await verify(client, model);
        checked++;
      }
      const stop = { stopped: false };
      const writing = runWriters(client, model, stop);
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 400)));
      await kill(child);
      stop.stopped = true;
      await writing;
      await client.close(true).catch(() => undefined);
    }
    child = await startChild(script, data.dir);
    const client = new MongoClient(child.uri, { serverSelectionTimeoutMS: 2000 });
    try {
      await client.connect();
      await verify(client, model);
      checked++;
    } finally {
      await client.close();
    }
    assert.equal(checked, ROUNDS);
    assert.ok(model.inserted.size >= 20, `the writers got writes acknowledged (${model.inserted.size} inserts)`);
    assert.ok(model.transactions.size >= 5, `the writers got transactions acknowledged (${model.transactions.size})`);
  });
});
