import assert from 'node:assert/strict';
import { Decimal128, Double, Int32, Long, type Document } from 'mongodb';
import { startMongoServer } from '../../../src/embedded-mongo';
import { DurablePersistence, openStorage, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';
import { bsonType } from '../../../src/embedded-mongo/bson/compare';
import { tempDir } from './harness';
import { restartable } from './restartable';

const QUIET = { checkpointIntervalMs: 0, checkpointBytes: 1 << 30 };

async function open(dir: string): Promise<{ engine: EmbeddedStorage; persistence: DurablePersistence }> {
  const persistence = new DurablePersistence(dir, QUIET);
  const engine = await openStorage({ inMemory: true }, undefined, { ttlIntervalMs: 0, persistence });
  return { engine, persistence };
}

/** A document holding every numeric type, an integral double also inside an array and an embedded document. */
function numbers(): Document {
  return { _id: 1, double: new Double(42), fraction: 2.5, int: 7, long: 5n, decimal: Decimal128.fromString('1.10'), nested: { list: [new Double(1), 2] } };
}

function typesOf(doc: Document | undefined): string[] {
  const nested = doc?.nested as { list: unknown[] } | undefined;
  return [doc?.double, doc?.fraction, doc?.int, doc?.long, doc?.decimal, nested?.list[0], nested?.list[1]].map((v) => bsonType(v));
}

const EXPECTED = ['double', 'double', 'int', 'long', 'decimal', 'double', 'int'];

/**
 * Writes the numbers document, stops the engine the way `stop` says (a crash leaves only the journal, a checkpoint
 * holds everything), starts again on the directory and gives back the document found there.
 */
async function restartedNumbers(stop: 'crash' | 'checkpoint'): Promise<{ doc: Document | undefined; fromCheckpoint: boolean }> {
  const data = tempDir(`numbers-${stop}`);
  try {
    const first = await open(data.dir);
    await first.engine.write(undefined, (batch) => batch.insert('app', 'numbers', numbers()));
    if (stop === 'crash') await first.persistence.abandon();
    else await first.persistence.checkpoint();
    await first.engine.close();
    const second = await open(data.dir);
    const [doc] = second.engine.find(undefined, 'app', 'numbers', { filter: {} }).docs;
    await second.engine.close();
    return { doc, fromCheckpoint: (second.persistence.lastRecovery?.checkpointBytes ?? 0) > 0 };
  } finally {
    data.remove();
  }
}

describe('durability: numeric types survive a restart', function () {
  this.timeout(30_000);

  it('When the journal alone holds the documents (a crash), then replay gives back every numeric type', async () => {
    const { doc } = await restartedNumbers('crash');
    assert.deepEqual(typesOf(doc), EXPECTED);
  });

  it('When a checkpoint holds the documents, then loading it gives back every numeric type', async () => {
    const { doc, fromCheckpoint } = await restartedNumbers('checkpoint');
    assert.ok(fromCheckpoint, 'the documents came from the checkpoint');
    assert.deepEqual(typesOf(doc), EXPECTED);
  });

  it('When a driver writes and updates numbers and the server restarts, then the driver reads back the same types', async () => {
    const data = tempDir('numbers-wire');
    const running = restartable(() => startMongoServer({ host: '127.0.0.1', port: 0, dbPath: data.dir }));
    try {
      const coll = (await running.start()).db('app').collection<{ _id: number }>('numbers');
      await coll.insertOne({ _id: 1, d: new Double(1), i: new Int32(1), l: Long.fromNumber(1) } as { _id: number });
      await coll.updateOne({ _id: 1 }, { $inc: { d: 1, i: 1, l: 1 } });
      await running.stop();

      const again = (await running.start()).db('app').collection('numbers');
      const [doc] = await again.find({}, { promoteValues: false, promoteLongs: false }).toArray();
      assert.ok(doc.d instanceof Double && doc.d.value === 2);
      assert.ok(doc.i instanceof Int32 && doc.i.value === 2);
      assert.ok(doc.l instanceof Long && doc.l.toNumber() === 2);
    } finally {
      await running.stop();
      data.remove();
    }
  });
});
