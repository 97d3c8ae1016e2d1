/**
 * The wire protocol seen from a raw socket: OP_QUERY handshake, OP_MSG sections and flags, framing errors,
 * pipelining. (The higher-level tests go through the driver; these pin what the driver relies on.)
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { deserialize, serialize, type Document } from 'bson';
import { crc32c } from '../../../src/embedded-mongo/wire/crc32c';
import { connectTestClient, mongoUri } from '../../helpers/mongo-target';
import type { MongoClient } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

function header(length: number, requestId: number, opCode: number): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(requestId, 4);
  buf.writeInt32LE(0, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

function opMsg(requestId: number, body: Document, options: { flags?: number; sequences?: Record<string, Document[]>; checksum?: 'good' | 'bad' } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), Buffer.from(serialize(body))];
  for (const [identifier, docs] of Object.entries(options.sequences ?? {})) {
    const payload = Buffer.concat([Buffer.from(identifier + '\0'), ...docs.map((d) => Buffer.from(serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4);
    parts.push(Buffer.from([1]), size, payload);
  }
  let flags = options.flags ?? 0;
  if (options.checksum) flags |= 1;
  const flagBuf = Buffer.alloc(4);
  flagBuf.writeUInt32LE(flags >>> 0);
  const bodyLength = 16 + 4 + parts.reduce((n, p) => n + p.length, 0) + (options.checksum ? 4 : 0);
  const message = Buffer.concat([header(bodyLength, requestId, OP_MSG), flagBuf, ...parts, Buffer.alloc(options.checksum ? 4 : 0)]);
  if (options.checksum) {
    const crc = crc32c(message, 0, message.length - 4);
    message.writeUInt32LE(options.checksum === 'good' ? crc : (crc ^ 1) >>> 0, message.length - 4);
  }
  return message;
}

function opQuery(requestId: number, collection: string, query: Document): Buffer {
  const name = Buffer.from(collection + '\0');
  const fields = Buffer.alloc(4);
  const skipReturn = Buffer.alloc(8);
  skipReturn.writeInt32LE(-1, 4);
  const doc = Buffer.from(serialize(query));
  const length = 16 + 4 + name.length + 8 + doc.length;
  return Buffer.concat([header(length, requestId, OP_QUERY), fields, name, skipReturn, doc]);
}

interface Reply {
  requestId: number;
  responseTo: number;
  opCode: number;
  body: Document;
}

/** A raw connection collecting parsed replies and noticing when the server closes it. */
class RawClient {
  readonly replies: Reply[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4 && this.buffer.length >= this.buffer.readInt32LE(0)) {
        const length = this.buffer.readInt32LE(0);
        this.replies.push(parseReply(this.buffer.subarray(0, length)));
        this.buffer = this.buffer.subarray(length);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(): Promise<RawClient> {
    const url = new URL(await mongoUri());
    const socket = net.connect(Number(url.port || 27017), url.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  send(message: Buffer): void {
    this.socket.write(message);
  }

  async waitFor(condition: () => boolean, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

function parseReply(message: Buffer): Reply {
  const opCode = message.readInt32LE(12);
  const base = { requestId: message.readInt32LE(4), responseTo: message.readInt32LE(8), opCode };
  if (opCode === OP_REPLY) return { ...base, body: deserialize(message.subarray(36)) };
  assert.equal(opCode, OP_MSG);
  assert.equal(message[20], 0, 'reply section is kind 0');
  return { ...base, body: deserialize(message.subarray(21), { useBigInt64: true }) };
}

describe('wire protocol', function () {
  let client: MongoClient;
  let dbName: string;
  const raw: RawClient[] = [];

  async function rawClient(): Promise<RawClient> {
    const c = await RawClient.connect();
    raw.push(c);
    return c;
  }

  before(async function () {
    ({ client, dbName } = await connectTestClient('wire'));
  });

  after(async function () {
    for (const c of raw) c.close();
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  it('answers the legacy OP_QUERY handshake with an OP_REPLY describing a writable primary', async function () {
    const c = await rawClient();
    c.send(opQuery(7, 'admin.$cmd', { ismaster: 1, helloOk: true, client: { driver: { name: 'raw', version: '0' } } }));
    await c.waitFor(() => c.replies.length === 1);
    const [reply] = c.replies;
    assert.equal(reply.opCode, OP_REPLY);
    assert.equal(reply.responseTo, 7);
    assert.equal(reply.body.ok, 1);
    assert.equal(reply.body.ismaster, true);
    assert.equal(reply.body.helloOk, true);
    assert.equal(typeof reply.body.logicalSessionTimeoutMinutes, 'number');
    assert.ok(reply.body.maxWireVersion >= 9);
    assert.equal(reply.body.topologyVersion, undefined);
  });

  it('accepts a legacy handshake wrapped in $query, and closes on an OP_QUERY that is not a command', async function () {
    const wrapped = await rawClient();
    wrapped.send(opQuery(8, 'admin.$cmd', { $query: { isMaster: 1 }, $readPreference: { mode: 'primaryPreferred' } }));
    await wrapped.waitFor(() => wrapped.replies.length === 1);
    assert.equal(wrapped.replies[0].body.ismaster, true);

    const legacyFind = await rawClient();
    legacyFind.send(opQuery(9, `${dbName}.seq`, { a: 1 }));
    // The embedded server closes the connection; a real MongoDB 7 may answer with an error first.
    await legacyFind.waitFor(() => legacyFind.closed || legacyFind.replies.length > 0);
    assert.ok(legacyFind.replies.every((r) => r.body.ok !== 1));
  });

  it('answers hello over OP_MSG with responseTo set to the request id', async function () {
    const c = await rawClient();
    c.send(opMsg(11, { hello: 1, $db: 'admin' }));
    await c.waitFor(() => c.replies.length === 1);
    assert.equal(c.replies[0].opCode, OP_MSG);
    assert.equal(c.replies[0].responseTo, 11);
    assert.equal(c.replies[0].body.isWritablePrimary, true);
    assert.equal(c.replies[0].body.maxBsonObjectSize, 16 * 1024 * 1024);
  });

  it('merges kind-1 document sequences into the body under their identifier', async function () {
    const c = await rawClient();
    c.send(opMsg(12, { insert: 'seq', $db: dbName }, { sequences: { documents: [{ _id: 1 }, { _id: 2 }, { _id: 3 }] } }));
    await c.waitFor(() => c.replies.length === 1);
    assert.equal(c.replies[0].body.ok, 1);
    assert.equal(c.replies[0].body.n, 3);
    assert.equal(await client.db(dbName).collection('seq').countDocuments(), 3);
  });

  it('When a document sequence is named like an Object.prototype member, then it is an ordinary field', async function () {
    const c = await rawClient();
    c.send(opMsg(13, { ping: 1, $db: dbName }, { sequences: { constructor: [{ _id: 1 }] } }));
    await c.waitFor(() => c.replies.length === 1 || c.closed);
    assert.equal(c.replies[0]?.body.ok, 1);
  });

  it('When a document sequence is named __proto__, then it is a field of the body (unknown to find), not its prototype', async function () {
    const c = await rawClient();
    // Were the sequence the body's prototype, find would not see the field and would inherit Array.prototype.sort.
    c.send(opMsg(14, { find: 'seq', filter: {}, $db: dbName }, { sequences: { ['__proto__']: [{ _id: 1 }] } }));
    await c.waitFor(() => c.replies.length === 1 || c.closed);
    assert.equal(c.replies[0]?.body.code, 40415, String(c.replies[0]?.body.errmsg));
    assert.equal(c.replies[0]?.body.errmsg, "BSON field 'find.__proto__' is an unknown field.");
  });

  it('verifies a CRC-32C checksum and closes the connection when it does not match', async function () {
    const good = await rawClient();
    good.send(opMsg(13, { ping: 1, $db: 'admin' }, { checksum: 'good' }));
    await good.waitFor(() => good.replies.length === 1);
    assert.equal(good.replies[0].body.ok, 1);

    const bad = await rawClient();
    bad.send(opMsg(14, { ping: 1, $db: 'admin' }, { checksum: 'bad' }));
    await bad.waitFor(() => bad.closed);
    assert.equal(bad.replies.length, 0);
  });

  it('sends no reply when moreToCome is set, but still applies the write', async function () {
    const c = await rawClient();
    c.send(opMsg(15, { insert: 'quiet', documents: [{ _id: 'q' }], writeConcern: { w: 0 }, $db: dbName }, { flags: 2 }));
    c.send(opMsg(16, { ping: 1, $db: 'admin' }));
    await c.waitFor(() => c.replies.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(c.replies.length, 1);
    assert.equal(c.replies[0].responseTo, 16);
    assert.equal(await client.db(dbName).collection('quiet').countDocuments({ _id: 'q' as never }), 1);
  });

  it('answers pipelined requests on one connection in order', async function () {
    const c = await rawClient();
    const messages = Array.from({ length: 50 }, (_, i) =>
      i % 2 ? opMsg(100 + i, { ping: 1, $db: 'admin' }) : opMsg(100 + i, { insert: 'pipe', documents: [{ i }], $db: dbName }),
    );
    c.send(Buffer.concat(messages));
    await c.waitFor(() => c.replies.length === 50);
    assert.deepEqual(c.replies.map((r) => r.responseTo), messages.map((_, i) => 100 + i));
    assert.ok(c.replies.every((r) => r.body.ok === 1));
  });

  it('a client that stops reading still gets every reply, in order, once it reads again', async function () {
    await client.db(dbName).collection('wide').insertMany(Array.from({ length: 4 }, (_, i) => ({ _id: i, pad: 'p'.repeat(256 * 1024) })) as never[]);
    const c = await rawClient();
    c.pause();
    const count = 60; // about 60 MB of replies, far beyond the socket buffers
    c.send(Buffer.concat(Array.from({ length: count }, (_, i) => opMsg(500 + i, { find: 'wide', filter: {}, $db: dbName }))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    c.resume();
    await c.waitFor(() => c.replies.length === count, 15_000);
    assert.deepEqual(c.replies.map((r) => r.responseTo), Array.from({ length: count }, (_, i) => 500 + i));
    assert.ok(c.replies.every((r) => r.body.cursor.firstBatch.length === 4));
  });

  it('closes the connection on an unknown opcode', async function () {
    const c = await rawClient();
    const message = Buffer.concat([header(21, 20, 9999), Buffer.alloc(5)]);
    c.send(message);
    await c.waitFor(() => c.closed);
    assert.equal(c.replies.length, 0);
  });

  it('closes the connection when the declared length is below 16 or above 48 MB', async function () {
    const small = await rawClient();
    small.send(header(8, 21, OP_MSG));
    await small.waitFor(() => small.closed);

    const huge = await rawClient();
    huge.send(header(49_000_000, 22, OP_MSG));
    await huge.waitFor(() => huge.closed);
  });

  it('closes the connection on malformed BSON, and keeps serving everyone else', async function () {
    const c = await rawClient();
    const message = opMsg(23, { ping: 1, $db: 'admin' });
    message.writeInt32LE(1000, 21); // the body's BSON length now runs past the message
    c.send(message);
    await c.waitFor(() => c.closed);
    assert.deepEqual((await client.db('admin').command({ ping: 1 })).ok, 1);
  });

  it('answers an OP_MSG with neither body nor known section kind by closing', async function () {
    const c = await rawClient();
    const flagBuf = Buffer.alloc(4);
    const message = Buffer.concat([header(16 + 4 + 1, 24, OP_MSG), flagBuf, Buffer.from([7])]);
    c.send(message);
    await c.waitFor(() => c.closed);
  });
});
