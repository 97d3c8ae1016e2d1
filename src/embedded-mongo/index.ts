/**
 * Public face of the embedded MongoDB-compatible server:
 * `startMongoServer({host, port, inMemory, dbPath, logger}) → {uri, port, close()}`.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ObjectId } from 'bson';
import { CursorRegistry } from './commands/cursors';
import { FailPoints } from './commands/fail-points';
import { newOpCounters, silentLogger, type Logger, type ServerContext } from './commands/context';
import { SessionRegistry } from './commands/sessions';
import { listen } from './server';
import { openStorage } from './storage';
import type { StorageEngine } from './types';

export type { Logger } from './commands/context';

export interface MongoServerOptions {
  host?: string;
  /** 0 picks any free port. */
  port?: number;
  /** Keep everything in memory (tests); otherwise `dbPath` is required. */
  inMemory?: boolean;
  dbPath?: string;
  logger?: Logger;
  /** How often expired documents of TTL indexes are removed (MongoDB: 60 s); tests shorten it. */
  ttlIntervalMs?: number;
  /**
   * 'main' (default) runs the server on the caller's event loop; 'worker' runs it in a worker thread so database
   * work uses another core (the logger then receives the worker's records by message).
   */
  thread?: 'main' | 'worker';
  /**
   * Offer mongod's test commands (`configureFailPoint` with `failCommand`, `refreshLogicalSessionCacheNow`), as
   * mongod does when started with `--setParameter enableTestCommands=1`; never on a production server.
   */
  enableTestCommands?: boolean;
  /**
   * How much change history change streams can resume from: at most `maxBytes` (default 256 MB with a data
   * directory, where it is kept in journal files and survives restarts; 32 MB in memory) and commits no older than
   * `maxAgeSeconds` (default 24 hours). A resume point older than what is kept fails with 286 ChangeStreamHistoryLost.
   */
  changeHistory?: ChangeHistoryOptions;
}

export interface ChangeHistoryOptions {
  maxBytes?: number;
  maxAgeSeconds?: number;
}

export interface RunningMongoServer {
  /** Connection string for the official driver / mongoose. */
  uri: string;
  port: number;
  close(): Promise<void>;
}

export const REPLICA_SET_NAME = 'embedded';
const SWEEP_INTERVAL_MS = 5_000;

function validateHistory(history: ChangeHistoryOptions | undefined): ChangeHistoryOptions | undefined {
  if (history === undefined) return undefined;
  for (const [name, value] of Object.entries(history)) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new Error(`changeHistory.${name} must be a number >= 0, got ${String(value)}`);
    }
  }
  return history;
}

function validateOptions(options: MongoServerOptions): { host: string; port: number; inMemory: boolean; dbPath?: string; changeHistory?: ChangeHistoryOptions } {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 27017;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${String(options.port)}`);
  if (typeof host !== 'string' || host.length === 0) throw new Error('host must be a non-empty string');
  const inMemory = options.inMemory === true;
  if (!inMemory && !options.dbPath) throw new Error('either inMemory: true or a dbPath is required');
  return { host, port, inMemory, dbPath: inMemory ? undefined : options.dbPath, changeHistory: validateHistory(options.changeHistory) };
}

/** Periodically kills idle cursors, expires idle sessions and aborts transactions past their lifetime. */
function startSweeper(cursors: CursorRegistry, sessions: SessionRegistry, logger: Logger): NodeJS.Timeout {
  const sweeper = setInterval(() => {
    try {
      const killed = cursors.sweep();
      const { expiredSessions, abortedTransactions } = sessions.sweep();
      cursors.killForSessions(expiredSessions);
      if (killed || expiredSessions.size || abortedTransactions) {
        logger.debug({ killedCursors: killed, expiredSessions: expiredSessions.size, abortedTransactions }, 'sweep');
      }
    } catch (err) {
      logger.error({ err }, 'cursor/session sweep failed');
    }
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  return sweeper;
}

/**
 * directConnection: the server reports itself as the primary of a one-node replica set (so the driver allows
 * sessions, transactions and retryable writes) but the client must not go looking for other members.
 */
function connectionUri(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const uriHost = reachable.includes(':') ? `[${reachable}]` : reachable;
  return `mongodb://${uriHost}:${port}/?directConnection=true`;
}

export async function startMongoServer(options: MongoServerOptions = {}): Promise<RunningMongoServer> {
  const validated = validateOptions(options);
  if (options.thread === 'worker') {
    return startInWorker({ ...validated, ttlIntervalMs: options.ttlIntervalMs, enableTestCommands: options.enableTestCommands }, options.logger ?? silentLogger);
  }
  const { host, port, inMemory, dbPath, changeHistory } = validated;
  const logger = options.logger ?? silentLogger;
  const location = inMemory ? { inMemory: true as const } : { dbPath: dbPath as string };
  const limits = {
    maxBytes: changeHistory?.maxBytes,
    maxAgeMs: changeHistory?.maxAgeSeconds === undefined ? undefined : changeHistory.maxAgeSeconds * 1000,
  };
  const storage = await openStorage(location, logger, { ttlIntervalMs: options.ttlIntervalMs, changeHistory: limits, durable: { changeHistory: limits } });
  const served = await serveStorage(storage, { host, port, logger, inMemory, dbPath, enableTestCommands: options.enableTestCommands });
  return { uri: served.uri, port: served.port, close: served.close };
}

export interface ServeOptions {
  host: string;
  port: number;
  logger: Logger;
  inMemory: boolean;
  dbPath?: string;
  /** The sessions' clock (transaction lifetime, session expiry); tests move it. */
  now?: () => number;
  /** Kill idle cursors and expire sessions in the background (default true). */
  backgroundSweeps?: boolean;
  /** See `MongoServerOptions.enableTestCommands`. */
  enableTestCommands?: boolean;
}

/**
 * Serves an opened storage engine on a TCP port: the one place that wires cursors, sessions and the listener
 * together. Closing it closes the storage too (also when listening fails).
 */
export async function serveStorage(
  storage: StorageEngine,
  options: ServeOptions,
): Promise<RunningMongoServer & { sessions: SessionRegistry }> {
  const { host, port, logger, inMemory, dbPath } = options;
  const cursors = new CursorRegistry();
  const sessions = new SessionRegistry(storage, logger, options.now);
  const ctx: ServerContext = {
    storage,
    cursors,
    sessions,
    logger,
    opcounters: newOpCounters(),
    failPoints: options.enableTestCommands ? new FailPoints() : undefined,
    identity: { host, port, setName: REPLICA_SET_NAME, electionId: new ObjectId(), startedAt: new Date(), inMemory, dbPath },
  };
  let listening;
  try {
    listening = await listen(host, port, ctx);
  } catch (err) {
    await storage.close();
    throw err;
  }
  ctx.identity.port = listening.port;
  const sweeper = options.backgroundSweeps === false ? undefined : startSweeper(cursors, sessions, logger);
  const uri = connectionUri(host, listening.port);
  logger.info({ uri, inMemory, dbPath }, 'embedded MongoDB server listening');
  if (options.enableTestCommands) logger.warn({ uri }, 'test commands are enabled (configureFailPoint); never on a production server');
  let closing: Promise<void> | undefined;
  return {
    uri,
    port: listening.port,
    sessions,
    close: () => {
      closing ??= (async () => {
        if (sweeper) clearInterval(sweeper);
        await listening.close();
        sessions.killAll();
        cursors.killAll();
        await storage.close();
        logger.info({ uri }, 'embedded MongoDB server closed');
      })();
      return closing;
    },
  };
}

/** Runs the server in a worker thread (see worker.ts) and proxies start-up, logging and close. */
async function startInWorker(options: MongoServerOptions, logger: Logger): Promise<RunningMongoServer> {
  const extension = path.extname(__filename);
  const entry = JSON.stringify(path.join(__dirname, `worker${extension}`));
  // Under tsx (tests, `npm run dev`) the worker must load TypeScript too; compiled builds run plain .js.
  const bootstrap = extension === '.ts' ? `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${entry});` : `require(${entry});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: options });
  type WorkerEvent = import('./worker').WorkerEvent;
  const waitFor = <T extends WorkerEvent['type']>(types: T[]): Promise<Extract<WorkerEvent, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (event: WorkerEvent): void => {
        if (event.type === 'failed') {
          cleanup();
          reject(new Error(event.message));
        } else if ((types as string[]).includes(event.type)) {
          cleanup();
          resolve(event as Extract<WorkerEvent, { type: T }>);
        }
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`embedded MongoDB worker exited with code ${code}`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  worker.on('message', (event: WorkerEvent) => {
    if (event.type === 'log') logger[event.level](event.obj, event.msg);
  });
  worker.on('error', (err) => logger.error({ err }, 'embedded MongoDB worker failed'));
  let ready: Extract<WorkerEvent, { type: 'ready' }>;
  try {
    ready = await waitFor(['ready']);
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    uri: ready.uri,
    port: ready.port,
    close: () => {
      closing ??= (async () => {
        const closed = waitFor(['closed']);
        worker.postMessage({ type: 'close' });
        try {
          await closed;
        } finally {
          await worker.terminate();
        }
      })();
      return closing;
    },
  };
}
