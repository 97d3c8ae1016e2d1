/**
 * Robustness: thousands of random, mutated and truncated wire messages (seeded, so failures reproduce).
 * Afterwards the server still answers a normal client and its data is intact.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { Binary, Decimal128, Long, MaxKey, MinKey, ObjectId, serialize, Timestamp, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { startMongoServer, type RunningMongoServer } from '../../src/embedded-mongo';
import { usingRealMongo } from '../helpers/mongo-target';

/** mulberry32: small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMANDS = [
  'find', 'insert', 'update', 'delete', 'aggregate', 'getMore', 'killCursors', 'count', 'distinct', 'findAndModify',
  'create', 'drop', 'listCollections', 'listIndexes', 'createIndexes', 'dropIndexes', 'collMod', 'explain', 'hello',
  'ping', 'renameCollection', 'dbStats', 'collStats', 'endSessions', 'commitTransaction', 'abortTransaction', 'bogus',
];

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 2 ? 12 : 15));
  switch (pick) {
    case 0: return Math.floor(rand() * 200) - 100;
    case 1: return rand() * 1e6;
    case 2: return ['a', '', '$set', '$gt', 'x.y', '$[e]', 'fuzz', '$match', '\u00e9'][Math.floor(rand() * 9)];
    case 3: return rand() < 0.5;
    case 4: return null;
    case 5: return new ObjectId();
    case 6: return new Date(Math.floor(rand() * 2e12));
    case 7: return Long.fromNumber(Math.floor(rand() * 1e9));
    case 8: return Decimal128.fromString(String(Math.floor(rand() * 1000)));
    case 9: return new Binary(Buffer.from([1, 2, 3]), rand() < 0.5 ? 0 : 4);
    case 10: return [new MinKey(), new MaxKey(), new Timestamp({ t: 1, i: 1 })][Math.floor(rand() * 3)];
    case 11: return /ab+c/i;
    case 12:
    case 13: return randomDocument(rand, depth + 1);
    default: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  }
}

function randomDocument(rand: () => number, depth: number): Document {
  const doc: Document = {};
  const keys = ['a', 'b', '_id', 'q', 'u', '$set', '$inc', '$match', '$group', 'x.y', 'limit', 'multi', 'upsert', 'filter', 'key'];
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) doc[keys[Math.floor(rand() * keys.length)]] = randomValue(rand, depth);
  return doc;
}

function randomCommand(rand: () => number, dbName: string): Document {
  const name = COMMANDS[Math.floor(rand() * COMMANDS.length)];
  const body: Document = { [name]: rand() < 0.8 ? 'fuzzed' : randomValue(rand, 1) };
  const fields = ['filter', 'documents', 'updates', 'deletes', 'pipeline', 'query', 'update', 'sort', 'projection', 'indexes', 'cursor', 'key', 'index', 'limit', 'batchSize', 'collection', 'cursors', 'lsid', 'txnNumber', 'autocommit'];
  const n = Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const field = fields[Math.floor(rand() * fields.length)];
    body[field] = ['documents', 'updates', 'deletes', 'pipeline', 'indexes'].includes(field)
      ? Array.from({ length: 1 + Math.floor(rand() * 3) }, () => randomDocument(rand, 1))
      : randomValue(rand, 1);
  }
  body.$db = dbName;
  return body;
}

function opMsg(requestId: number, body: Document, flags = 0): Buffer {
  const payload = Buffer.from(serialize(body));
  const head = Buffer.alloc(21);
  head.writeInt32LE(21 + payload.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(2013, 12);
  head.writeUInt32LE(flags, 16);
  return Buffer.concat([head, payload]);
}

function mutate(message: Buffer, rand: () => number): Buffer {
  const copy = Buffer.from(message);
  if (rand() < 0.4) return copy; // a random but well-formed command, to exercise the command handlers
  switch (Math.floor(rand() * 6)) {
    case 0: // truncated, with the header still claiming the full length
      return copy.subarray(0, Math.floor(rand() * copy.length));
    case 1: { // flipped bytes anywhere past the length
      for (let i = 0; i < 1 + Math.floor(rand() * 4); i++) copy[4 + Math.floor(rand() * (copy.length - 4))] ^= 1 << Math.floor(rand() * 8);
      return copy;
    }
    case 2: // a lying inner BSON length
      if (copy.length > 25) copy.writeInt32LE(Math.floor(rand() * 2 ** 31) - 2 ** 30, 21);
      return copy;
    case 3: // a random opcode
      copy.writeInt32LE(Math.floor(rand() * 5000), 12);
      return copy;
    case 4: // random garbage
      return Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
    default: // random flag bits, including unknown required ones
      copy.writeUInt32LE(Math.floor(rand() * 2 ** 32), 16);
      return copy;
  }
}

async function sendAndClose(port: number, host: string, messages: Buffer[]): Promise<void> {
  await new Promise<void>((resolve) => {
    const socket = net.connect(port, host);
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on('connect', () => {
      socket.write(Buffer.concat(messages));
      socket.end();
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('fuzzing the wire protocol', function () {
  this.timeout(40_000);
  let client: MongoClient;
  let server: RunningMongoServer | undefined;
  let uri: string;
  const dbName = `test_fuzz_${process.pid}`;
  /** Commands that failed with something other than a MongoDB error: bugs, even when the reply was clean. */
  const unexpected: string[] = [];

  before(async function () {
    // Its own server, to watch what it logs while being fuzzed.
    uri = process.env.MONGODB_URI ?? '';
    if (!usingRealMongo()) {
      const record = (obj: object, msg?: string): void => {
        const { err, command } = obj as { err?: unknown; command?: unknown };
        unexpected.push(`${msg ?? ''} ${String(command ?? '')}: ${err instanceof Error ? err.stack?.split('\n').slice(0, 3).join(' ') : String(err)}`);
      };
      server = await startMongoServer({ port: 0, inMemory: true, logger: { debug() {}, info() {}, warn() {}, error: record } });
      uri = server.uri;
    }
    client = await new MongoClient(uri).connect();
    await client.db(dbName).collection('keep').insertMany([{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }] as never[]);
    // Data of many shapes for the fuzzed commands to match, update and aggregate over.
    const seedRand = prng(7);
    await client.db(dbName).collection('fuzzed').insertMany(Array.from({ length: 200 }, (_, i) => ({ ...randomDocument(seedRand, 0), _id: i })) as never[]);
  });

  after(async function () {
    await client.db(dbName).dropDatabase();
    await client.close();
    await server?.close();
  });

  it('survives 3,000 random, mutated and truncated messages and still serves a normal client', async function () {
    const url = new URL(uri);
    const port = Number(url.port || 27017);
    const rand = prng(Number(process.env.FUZZ_SEED ?? 20261126)); // FUZZ_SEED=n explores other inputs
    const started = Date.now();
    const total = 3000;
    const perConnection = 15;
    const parallel = 8;
    let sent = 0;
    const runWorker = async (): Promise<void> => {
      while (sent < total && Date.now() - started < 20_000) {
        const batch: Buffer[] = [];
        for (let i = 0; i < perConnection && sent < total; i++, sent++) {
          batch.push(mutate(opMsg(sent + 1, randomCommand(rand, dbName), rand() < 0.1 ? 2 : 0), rand));
        }
        await sendAndClose(port, url.hostname, batch);
      }
    };
    await Promise.all(Array.from({ length: parallel }, runWorker));
    assert.ok(sent >= 1000, `only ${sent} messages sent before the time limit`);

    assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
    const kept = await client.db(dbName).collection('keep').find({ _id: { $in: [1, 2] } } as never).sort({ _id: 1 }).toArray();
    assert.deepEqual(kept, [{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }]);
    await client.db(dbName).collection('after_fuzz').insertOne({ ok: true });
    assert.equal(await client.db(dbName).collection('after_fuzz').countDocuments(), 1);
    assert.deepEqual(unexpected, [], 'every failure should be a MongoDB error, not an internal one');
  });
});
