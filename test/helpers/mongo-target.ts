/**
 * The MongoDB the tests talk to: `MONGODB_URI` when set (a real MongoDB, to check the suite itself), otherwise one
 * embedded server for the whole test run, closed after it: in memory, or with `TEST_EMBEDDED_STORAGE=durable` on a
 * temporary data directory (journal, checkpoints), removed afterwards.
 *
 * The embedded server runs with test commands on, so tests can inject database faults with mongod's
 * `configureFailPoint` (`failCommand`). A real MongoDB has them only when started with
 * `--setParameter enableTestCommands=1`: a test that injects faults asks `testCommandsEnabled(client)` first and
 * skips when it is false, and turns its fail point off again in `afterEach`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type ClientSession } from 'mongodb';

let embedded: { uri: string; close(): Promise<void> } | undefined;
let durableDir: string | undefined;
let starting: Promise<string> | undefined;

export function usingRealMongo(): boolean {
  return Boolean(process.env.MONGODB_URI);
}

export async function mongoUri(): Promise<string> {
  if (process.env.MONGODB_URI) return process.env.MONGODB_URI;
  if (!starting) {
    starting = (async () => {
      // require, not import(): under tsx a dynamic import() is native ESM, which cannot load a directory's index.ts.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startMongoServer } = require('../../src/embedded-mongo') as typeof import('../../src/embedded-mongo');
      const server = await startMongoServer({ host: '127.0.0.1', port: 0, enableTestCommands: true, ...embeddedStorage() });
      embedded = server;
      return server.uri;
    })();
  }
  return starting;
}

function embeddedStorage(): { inMemory: true } | { dbPath: string } {
  const mode = process.env.TEST_EMBEDDED_STORAGE ?? 'memory';
  if (mode === 'memory') return { inMemory: true };
  if (mode !== 'durable') throw new Error(`TEST_EMBEDDED_STORAGE must be 'memory' or 'durable', not '${mode}'`);
  durableDir = mkdtempSync(join(tmpdir(), 'embedded-mongo-test-'));
  return { dbPath: durableDir };
}

/** A connected client plus a database name unique to the calling test file; drop it in `after`. */
export async function connectTestClient(label: string): Promise<{ client: MongoClient; dbName: string }> {
  const client = new MongoClient(await mongoUri(), { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const dbName = `test_${label.replace(/[^a-zA-Z0-9_]/g, '_')}_${process.pid}_${Date.now().toString(36)}`;
  return { client, dbName };
}

/** Whether the server offers test commands (configureFailPoint): the embedded one does, a real one if so started. */
export async function testCommandsEnabled(client: MongoClient): Promise<boolean> {
  try {
    const reply = await client.db('admin').command({ getParameter: 1, enableTestCommands: 1 });
    return reply.enableTestCommands === true || reply.enableTestCommands === 1;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` with a session of a fresh client, so hand-written txnNumbers cannot collide with numbers the
 * driver's pooled sessions already used (the driver puts the session's lsid on every command it sends).
 */
export async function withOwnSession(fn: (session: ClientSession, client: MongoClient) => Promise<void>): Promise<void> {
  const own = await new MongoClient(await mongoUri()).connect();
  const session = own.startSession();
  try {
    await fn(session, own);
  } finally {
    await session.endSession();
    await own.close();
  }
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (embedded) await embedded.close();
    if (durableDir) rmSync(durableDir, { recursive: true, force: true });
  },
};
