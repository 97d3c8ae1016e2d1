/**
 * The change history of the embedded server: kept in journal files across restarts, bounded by size and age, and
 * in memory bounded by size. Through the driver, with servers of this file's own.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { MongoClient, type ChangeStream, type Collection, type Document } from 'mongodb';
import { serveStorage } from '../../../src/embedded-mongo';
import { parseArgs } from '../../../src/embedded-mongo/cli';
import { silentLogger } from '../../../src/embedded-mongo/commands/context';
import { openStorage } from '../../../src/embedded-mongo/storage';
import { startHarnessServer, tempDir, type HarnessServer } from './harness';

type Stream = ChangeStream<Document, Document>;

function watch(coll: Collection, options: Document = {}): Stream {
  return coll.watch([], { maxAwaitTimeMS: 50, ...options }) as unknown as Stream;
}

async function nextEvents(stream: Stream, count: number): Promise<Document[]> {
  const events: Document[] = [];
  while (events.length < count) events.push(await stream.next());
  return events;
}

async function insertOneByOne(coll: Collection, from: number, to: number, padding = 0): Promise<void> {
  for (let i = from; i < to; i++) await coll.insertOne({ _id: i as never, text: 'x'.repeat(padding) });
}

/** Inserts one by one, reading each event as it comes (a stream that lags behind the history bound is lost itself). */
async function insertAndRead(coll: Collection, stream: Stream, count: number, padding: number): Promise<Document[]> {
  const events: Document[] = [];
  for (let i = 0; i < count; i++) {
    await coll.insertOne({ _id: i as never, text: 'x'.repeat(padding) });
    events.push(await stream.next());
  }
  return events;
}

function journalBytes(dir: string): number {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.wal'))
    .reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
}

describe('durability: the change history', function () {
  this.timeout(60_000);
  const dirs: Array<{ remove(): void }> = [];
  const running: Array<{ client: MongoClient; server: { close(): Promise<void> } }> = [];

  async function start(dir: string, durable: Parameters<typeof startHarnessServer>[0]['durable'] = {}): Promise<{ server: HarnessServer; client: MongoClient; coll: Collection }> {
    const server = await startHarnessServer({ dbPath: dir, durable: { checkpointIntervalMs: 0, ...durable } });
    const client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5000 }).connect();
    running.push({ client, server });
    return { server, client, coll: client.db('app').collection('suppliers') };
  }

  async function stop(): Promise<void> {
    for (const { client, server } of running.splice(0)) {
      await client.close();
      await server.close();
    }
  }

  function fresh(label: string): string {
    const made = tempDir(label);
    dirs.push(made);
    return made.dir;
  }

  afterEach(stop);
  after(() => dirs.forEach((d) => d.remove()));

  it('When the server restarts, then a token from before resumes from the journal files, in order, and new times are later', async () => {
    const dir = fresh('history-restart');
    let { coll } = await start(dir);
    const stream = watch(coll);
    assert.equal(await stream.tryNext(), null);
    await insertOneByOne(coll, 0, 40);
    const before = await nextEvents(stream, 40);
    await stream.close();
    await stop();

    ({ coll } = await start(dir));
    const resumed = watch(coll, { resumeAfter: before[0]._id });
    const replayed = await nextEvents(resumed, 39);
    assert.deepEqual(replayed.map((e) => e.documentKey._id), Array.from({ length: 39 }, (_, i) => i + 1));
    assert.deepEqual(replayed.map((e) => e._id), before.slice(1).map((e) => e._id), 'the same tokens as before the restart');
    await coll.insertOne({ _id: 'after restart' as never });
    const next = await resumed.next();
    assert.equal(next.documentKey._id, 'after restart');
    assert.ok(next.clusterTime.greaterThan(before[39].clusterTime), 'the cluster time went on from where it was');
    await resumed.close();
  });

  it('When a batch is read back from the journal after a restart, then each of its events names the collection UUID', async () => {
    const dir = fresh('history-uuids');
    let { coll, client } = await start(dir);
    const stream = watch(coll, { showExpandedEvents: true });
    assert.equal(await stream.tryNext(), null);
    await coll.insertMany([{ _id: 1 as never }, { _id: 2 as never }, { _id: 3 as never }]);
    const [create, ...inserts] = await nextEvents(stream, 4);
    await stream.close();
    const [info] = await client.db('app').listCollections({ name: 'suppliers' }).toArray();
    await stop();

    ({ coll } = await start(dir));
    const resumed = watch(coll, { resumeAfter: create._id, showExpandedEvents: true });
    const replayed = await nextEvents(resumed, 3);
    assert.deepEqual(replayed.map((e) => e._id), inserts.map((e) => e._id));
    for (const event of replayed) assert.equal(String(event.collectionUUID), String((info as { info: { uuid: unknown } }).info.uuid));
    await resumed.close();
  });

  it('When more than the history bound was written, then a token older than what is kept fails with 286, a recent one resumes', async () => {
    const dir = fresh('history-bound');
    const { coll, server } = await start(dir, { checkpointBytes: 8_000, changeHistory: { maxBytes: 40_000 } });
    const stream = watch(coll);
    assert.equal(await stream.tryNext(), null);
    const events = await insertAndRead(coll, stream, 300, 500);
    await stream.close();
    await server.persistence?.checkpoint();

    assert.ok(journalBytes(dir) < 40_000 + 3 * 8_000, `${journalBytes(dir)} journal bytes kept`);
    const lost = watch(coll, { resumeAfter: events[0]._id });
    await assert.rejects(lost.next(), (err: { code?: number }) => err.code === 286);
    await lost.close();

    const recent = watch(coll, { resumeAfter: events[290]._id });
    assert.deepEqual((await nextEvents(recent, 9)).map((e) => e.documentKey._id), [291, 292, 293, 294, 295, 296, 297, 298, 299]);
    await recent.close();
  });

  it('When journals get older than the age bound, then they are dropped and their tokens fail with 286', async () => {
    const dir = fresh('history-age');
    let clock = Date.now();
    const { coll, server } = await start(dir, { changeHistory: { maxAgeMs: 60 * 60 * 1000 }, now: () => clock });
    const stream = watch(coll);
    assert.equal(await stream.tryNext(), null);
    await insertOneByOne(coll, 0, 5);
    const [first] = await nextEvents(stream, 5);
    await stream.close();
    await server.persistence?.checkpoint();
    const kept = watch(coll, { resumeAfter: first._id });
    assert.equal((await kept.next()).documentKey._id, 1, 'within the hour the journal is kept');
    await kept.close();

    clock += 2 * 60 * 60 * 1000;
    await insertOneByOne(coll, 5, 6);
    await server.persistence?.checkpoint();
    const old = watch(coll, { resumeAfter: first._id });
    await assert.rejects(old.next(), (err: { code?: number }) => err.code === 286);
    await old.close();
  });

  it('When an in-memory server holds more history than its bound, then the oldest is dropped and resuming there fails with 286', async () => {
    const storage = await openStorage({ inMemory: true }, silentLogger, { ttlIntervalMs: 0, changeHistory: { maxBytes: 20_000 } });
    const server = await serveStorage(storage, { host: '127.0.0.1', port: 0, logger: silentLogger, inMemory: true, backgroundSweeps: false });
    const client = await new MongoClient(server.uri).connect();
    running.push({ client, server });
    const coll = client.db('app').collection('suppliers');
    const stream = watch(coll);
    assert.equal(await stream.tryNext(), null);
    const events = await insertAndRead(coll, stream, 100, 500);
    await stream.close();
    const lost = watch(coll, { resumeAfter: events[0]._id });
    await assert.rejects(lost.next(), (err: { code?: number }) => err.code === 286);
    await lost.close();
    const recent = watch(coll, { resumeAfter: events[97]._id });
    assert.deepEqual((await nextEvents(recent, 2)).map((e) => e.documentKey._id), [98, 99]);
    await recent.close();
  });

  it('When big documents are written, then a stream reads them back from the journal and memory does not keep them', async () => {
    const dir = fresh('history-big');
    const { coll } = await start(dir);
    const stream = watch(coll);
    assert.equal(await stream.tryNext(), null);
    for (let i = 0; i < 8; i++) await coll.insertOne({ _id: i as never, data: Buffer.alloc(200_000, i) });
    const events = await nextEvents(stream, 8);
    assert.deepEqual(events.map((e) => e.fullDocument.data.buffer[0]), [0, 1, 2, 3, 4, 5, 6, 7]);
    await stream.close();
  });

  it('When the CLI is given change history bounds, then it passes them on and refuses bad ones', () => {
    assert.deepEqual(parseArgs(['--in-memory', '--change-history-mb', '64', '--change-history-hours', '1.5']), {
      host: '127.0.0.1',
      port: 27017,
      inMemory: true,
      enableTestCommands: false,
      changeHistory: { maxBytes: 64 * 1024 * 1024, maxAgeSeconds: 5400 },
    });
    assert.throws(() => parseArgs(['--change-history-mb', '-1']), /--change-history-mb must be a number >= 0/);
    assert.throws(() => parseArgs(['--change-history-hours', 'soon']), /--change-history-hours must be a number >= 0/);
  });
});
