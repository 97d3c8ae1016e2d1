/**
 * What change streams cost the embedded server: idle streams hold a cursor and, while a getMore waits, one
 * subscription and one timer; a commit wakes only the streams watching what it touched; closing a stream or its
 * connection frees all of it. Embedded-only (it looks at the server's own counters).
 */
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { serveStorage } from '../../src/embedded-mongo';
import { ChangeStreamCursor } from '../../src/embedded-mongo/change-streams/cursor';
import { AFTER_COMMIT } from '../../src/embedded-mongo/change-streams/resume-token';
import { parseChangeStream } from '../../src/embedded-mongo/change-streams/spec';
import { silentLogger } from '../../src/embedded-mongo/commands/context';
import { openStorage, type EmbeddedStorage } from '../../src/embedded-mongo/storage';
import { timestampKey } from '../../src/embedded-mongo/storage/cluster-clock';

function streamOn(storage: EmbeddedStorage, coll: string): ChangeStreamCursor {
  const spec = parseChangeStream('app', coll, [{ $changeStream: {} }]);
  return new ChangeStreamCursor({ storage, spec, position: { ts: timestampKey(storage.clusterTime()), slot: AFTER_COMMIT }, db: 'app' });
}

describe('change streams: what they cost the embedded server', function () {
  this.timeout(30_000);

  it('When thousands of streams wait, then a commit wakes only the one watching its collection, and closing frees every wait', async () => {
    const storage = await openStorage({ inMemory: true }, silentLogger, { ttlIntervalMs: 0 });
    try {
      const streams = Array.from({ length: 3000 }, (_, i) => streamOn(storage, `suppliers_${i}`));
      const settled = new Set<number>();
      const waits = streams.map(async (stream, i) => {
        try {
          return await stream.next(100, 60_000);
        } catch {
          return undefined;
        } finally {
          settled.add(i);
        }
      });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(storage.history.waitingCount, 3000);

      await storage.write(undefined, (batch) => batch.insert('app', 'suppliers_42', { _id: 1 }));
      const woken = await waits[42];
      assert.equal(woken?.docs.length, 1, 'the watching stream got the insert');
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual([...settled], [42], 'no other stream woke up');
      assert.equal(storage.history.waitingCount, 2999);

      for (const stream of streams) stream.close();
      await Promise.all(waits);
      assert.equal(storage.history.waitingCount, 0, 'closed streams hold no subscription');
    } finally {
      await storage.close();
    }
  });

  it('When a client closes its stream or its connection while a getMore waits, then the server frees the cursor and the wait', async () => {
    const storage = await openStorage({ inMemory: true }, silentLogger, { ttlIntervalMs: 0 });
    const server = await serveStorage(storage, { host: '127.0.0.1', port: 0, logger: silentLogger, inMemory: true, backgroundSweeps: false });
    const observer = await new MongoClient(server.uri).connect();
    const openCursors = async (): Promise<number> => {
      const status = await observer.db('admin').command({ serverStatus: 1 });
      return status.metrics.cursor.open.total as number;
    };
    try {
      const watcher = await new MongoClient(server.uri).connect();
      const closed = watcher.db('app').collection('suppliers').watch([], { maxAwaitTimeMS: 30_000 });
      const first = closed.tryNext().catch(() => null);
      while (storage.history.waitingCount === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(await openCursors(), 1, 'the stream has its cursor while its getMore waits');
      await closed.close();
      await first;
      assert.equal(await openCursors(), 0, 'closing the stream killed its cursor');

      const dropped = watcher.db('app').collection('suppliers').watch([], { maxAwaitTimeMS: 30_000 });
      const pending = dropped.tryNext().catch(() => null);
      while (storage.history.waitingCount === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await watcher.close(true);
      await pending;
      while ((await openCursors()) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(storage.history.waitingCount, 0, 'the connection closing ended the wait');
    } finally {
      await observer.close();
      await server.close();
    }
  });
});
