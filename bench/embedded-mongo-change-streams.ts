/**
 * Change-stream delivery latency of the embedded server through the official driver: documents are inserted at
 * 1,000 per second while a stream on their collection reads them; the latency of each is the time from the insert
 * being sent to its event arriving. Target (issue 12): p99 under 20 ms. Measured in memory and on a data
 * directory (each commit fsync'd before its event may be read), and again with 1,000 more streams waiting on other
 * collections (their clients run in this process too). The server runs in a worker thread, as the app runs it.
 * The insert's own round trip (sent to acknowledged) is printed beside it as the baseline.
 * A last section measures CPU (process time, so a busy machine skews it less than latency): per insert with and
 * without a stream reading every event, and per second for 1,000 streams waiting with nothing to report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient, type ChangeStream, type Document } from 'mongodb';
import { startMongoServer } from '../src/embedded-mongo';
import { silentLogger } from '../src/embedded-mongo/commands/context';
import { dispatch } from '../src/embedded-mongo/commands/dispatcher';
import { openStorage } from '../src/embedded-mongo/storage';
import { encodeOpMsgReply } from '../src/embedded-mongo/wire/protocol';
import { inProcessContext } from './lib/embedded-context';

const RATE_PER_SECOND = 1000;
const SECONDS = 5;
const MAX_IN_FLIGHT = 64;
const IDLE_STREAMS = 1000;
const IDLE_CLIENTS = 10;
const TARGET_P99_MS = 20;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function line(label: string, value: string, target: string, ok: boolean | undefined): void {
  const verdict = ok === undefined ? '' : ok ? 'OK  ' : 'MISS';
  process.stdout.write(`${verdict.padEnd(5)}${label.padEnd(52)}${value.padStart(22)}   ${target}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Streams waiting on collections nobody writes to, each with a getMore pending on the server. */
async function idleStreams(uri: string): Promise<{ close(): Promise<void> }> {
  const clients = await Promise.all(Array.from({ length: IDLE_CLIENTS }, () => new MongoClient(uri, { maxPoolSize: IDLE_STREAMS / IDLE_CLIENTS + 5 }).connect()));
  const streams: ChangeStream[] = [];
  for (let i = 0; i < IDLE_STREAMS; i++) {
    const stream = clients[i % IDLE_CLIENTS].db('bench').collection(`idle_${i}`).watch([], { maxAwaitTimeMS: 1000 });
    stream.on('error', () => {});
    stream.on('change', () => {});
    streams.push(stream);
  }
  await sleep(1500);
  return {
    async close() {
      await Promise.all(streams.map((s) => s.close()));
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

async function measure(label: string, options: { dbPath?: string; idle: boolean }): Promise<void> {
  const server = await startMongoServer({ port: 0, thread: 'worker', ...(options.dbPath ? { dbPath: options.dbPath } : { inMemory: true }) });
  const writer = await new MongoClient(server.uri, { maxPoolSize: MAX_IN_FLIGHT + 4 }).connect();
  const reader = await new MongoClient(server.uri).connect();
  const idle = options.idle ? await idleStreams(server.uri) : undefined;
  try {
    const coll = writer.db('bench').collection<Document>('answers');
    await coll.insertOne({ warm: true });
    const { operationTime } = await writer.db('admin').command({ ping: 1 });
    const stream = reader.db('bench').collection('answers').watch([{ $match: { operationType: 'insert', 'fullDocument.sentAt': { $exists: true } } }], { startAtOperationTime: operationTime, maxAwaitTimeMS: 1000 });
    const total = RATE_PER_SECOND * SECONDS;
    const delivery: number[] = [];
    const roundTrip: number[] = [];
    let done: () => void = () => {};
    const allDelivered = new Promise<void>((resolve) => (done = resolve));
    stream.on('change', (event: Document) => {
      const sentAt = (event.fullDocument as { sentAt: number }).sentAt;
      delivery.push(nowMs() - sentAt);
      if (delivery.length === total) done();
    });

    // Paced by the clock: every millisecond, the inserts due by now are sent (at most MAX_IN_FLIGHT unanswered).
    const started = nowMs();
    let inFlight = 0;
    let sent = 0;
    const pending: Promise<unknown>[] = [];
    while (sent < total) {
      const due = Math.min(total, Math.floor(((nowMs() - started) * RATE_PER_SECOND) / 1000) + 1);
      while (sent < due && inFlight < MAX_IN_FLIGHT) {
        inFlight++;
        const sentAt = nowMs();
        pending.push(
          coll.insertOne({ i: sent++, sentAt, answer: 'yes', note: 'x'.repeat(200) }).then(() => {
            roundTrip.push(nowMs() - sentAt);
            inFlight--;
          }),
        );
      }
      await sleep(1);
    }
    await Promise.all(pending);
    const sentRate = total / ((nowMs() - started) / 1000);
    await Promise.race([allDelivered, sleep(30_000)]);
    await stream.close();

    const sorted = delivery.slice().sort((a, b) => a - b);
    const trips = roundTrip.slice().sort((a, b) => a - b);
    process.stdout.write(`\n${label}: ${total} inserts at ${sentRate.toFixed(0)}/s, ${delivery.length} events delivered\n`);
    line('insert round trip (baseline) p50 / p99', `${percentile(trips, 50).toFixed(2)} / ${percentile(trips, 99).toFixed(2)} ms`, '', undefined);
    line('insert → event p50', `${percentile(sorted, 50).toFixed(2)} ms`, '', undefined);
    const p99 = percentile(sorted, 99);
    line('insert → event p99', `${p99.toFixed(2)} ms`, `target < ${TARGET_P99_MS} ms`, p99 < TARGET_P99_MS && delivery.length === total);
    line('insert → event max', `${sorted[sorted.length - 1].toFixed(2)} ms`, '', undefined);
  } finally {
    await idle?.close();
    await reader.close();
    await writer.close();
    await server.close();
  }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU of this process (clients and server) per sequential insert, with or without a stream reading each event. */
async function cpuPerInsert(uri: string, withStream: boolean, inserts: number): Promise<number> {
  const client = await new MongoClient(uri).connect();
  try {
    const coll = client.db('bench').collection<Document>(withStream ? 'cpu_watched' : 'cpu_plain');
    await coll.insertOne({ warm: true });
    const stream = withStream ? coll.watch([], { maxAwaitTimeMS: 1000 }) : undefined;
    let seen = 0;
    let caughtUp: () => void = () => {};
    const allSeen = new Promise<void>((resolve) => (caughtUp = resolve));
    stream?.on('change', () => {
      if (++seen === inserts) caughtUp();
    });
    if (stream) await sleep(300);
    const before = cpuMs();
    for (let i = 0; i < inserts; i++) await coll.insertOne({ i, answer: 'yes', note: 'x'.repeat(200) });
    if (stream) await Promise.race([allSeen, sleep(30_000)]);
    const used = cpuMs() - before;
    await stream?.close();
    return used / inserts;
  } finally {
    await client.close();
  }
}

async function cpuCosts(): Promise<void> {
  const server = await startMongoServer({ port: 0, thread: 'worker', inMemory: true });
  try {
    process.stdout.write('\nCPU (clients and server, in memory)\n');
    await cpuPerInsert(server.uri, true, 2000); // warm-up of both paths
    const plain = await cpuPerInsert(server.uri, false, 5000);
    const watched = await cpuPerInsert(server.uri, true, 5000);
    line('CPU per insert, no stream (baseline)', `${(plain * 1000).toFixed(0)} µs`, '', undefined);
    line('CPU per insert, a stream reading every event', `${(watched * 1000).toFixed(0)} µs`, `${(watched / plain).toFixed(2)}× baseline`, undefined);
    const idle = await idleStreams(server.uri);
    const before = cpuMs();
    await sleep(5000);
    const perSecond = (cpuMs() - before) / 5;
    await idle.close();
    line(`CPU of ${IDLE_STREAMS} idle streams (clients and server)`, `${(perSecond / 10).toFixed(1)} % of a core`, '', undefined);
  } finally {
    await server.close();
  }
  await serverIdleCost();
}

/**
 * The server's own share of idle streams: their aggregates and awaiting getMores dispatched in-process (command
 * handling and reply encoding, no sockets and no driver), each getMore waiting its second.
 */
async function serverIdleCost(): Promise<void> {
  const storage = await openStorage({ inMemory: true }, silentLogger, { ttlIntervalMs: 0 });
  const ctx = inProcessContext(storage);
  const conn = { id: 1, remote: 'bench' };
  let running = true;
  try {
    const loops = Array.from({ length: IDLE_STREAMS }, async (_, i) => {
      const opened = await dispatch({ aggregate: `idle_${i}`, pipeline: [{ $changeStream: {} }], cursor: {}, $db: 'bench' }, conn, ctx);
      const id = (opened.cursor as { id: bigint }).id;
      while (running) encodeOpMsgReply(0, await dispatch({ getMore: id, collection: `idle_${i}`, maxTimeMS: 1000, $db: 'bench' }, conn, ctx));
    });
    await sleep(1500);
    const before = cpuMs();
    await sleep(5000);
    const perSecond = (cpuMs() - before) / 5;
    line(`server CPU of ${IDLE_STREAMS} idle streams (in-process)`, `${(perSecond / 10).toFixed(1)} % of a core`, '', undefined);
    running = false;
    ctx.cursors.killAll();
    await Promise.all(loops);
  } finally {
    await storage.close();
  }
}

async function main(): Promise<void> {
  await cpuCosts();
  await measure('in memory', { idle: false });
  await measure(`in memory, ${IDLE_STREAMS} idle streams on other collections`, { idle: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-change-streams-'));
  try {
    await measure('data directory (fsync per group commit)', { dbPath: path.join(dir, 'a'), idle: false });
    await measure(`data directory, ${IDLE_STREAMS} idle streams on other collections`, { dbPath: path.join(dir, 'b'), idle: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
