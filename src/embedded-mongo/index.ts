/**
 * Public face of the embedded MongoDB-compatible server:
 * `startMongoServer({host, port, inMemory, dbPath, logger}) → {uri, port, close()}`.
 */
import { ObjectId } from 'bson';
import { CursorRegistry } from './commands/cursors';
import { silentLogger, type Logger, type ServerContext } from './commands/context';
import { SessionRegistry } from './commands/sessions';
import { listen } from './server';
import { openStorage } from './storage';

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
}

export interface RunningMongoServer {
  /** Connection string for the official driver / mongoose. */
  uri: string;
  port: number;
  close(): Promise<void>;
}

export const REPLICA_SET_NAME = 'embedded';
const SWEEP_INTERVAL_MS = 5_000;

function validateOptions(options: MongoServerOptions): { host: string; port: number; inMemory: boolean; dbPath?: string } {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 27017;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${String(options.port)}`);
  if (typeof host !== 'string' || host.length === 0) throw new Error('host must be a non-empty string');
  const inMemory = options.inMemory === true;
  if (!inMemory && !options.dbPath) throw new Error('either inMemory: true or a dbPath is required');
  return { host, port, inMemory, dbPath: inMemory ? undefined : options.dbPath };
}

export async function startMongoServer(options: MongoServerOptions = {}): Promise<RunningMongoServer> {
  const { host, port, inMemory, dbPath } = validateOptions(options);
  const logger = options.logger ?? silentLogger;
  const location = inMemory ? { inMemory: true as const } : { dbPath: dbPath as string };
  const storage = await openStorage(location, logger, { ttlIntervalMs: options.ttlIntervalMs });
  const cursors = new CursorRegistry();
  const sessions = new SessionRegistry(storage, logger);
  const ctx: ServerContext = {
    storage,
    cursors,
    sessions,
    logger,
    identity: { host, port, setName: REPLICA_SET_NAME, electionId: new ObjectId(), startedAt: new Date(), inMemory, dbPath },
  };
  let listening;
  try {
    listening = await listen(host, port, ctx, logger);
  } catch (err) {
    await storage.close();
    throw err;
  }
  ctx.identity.port = listening.port;
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
  const uriHost = host.includes(':') ? `[${host}]` : host;
  const uri = `mongodb://${uriHost === '0.0.0.0' ? '127.0.0.1' : uriHost}:${listening.port}/?directConnection=true`;
  logger.info({ uri, inMemory, dbPath }, 'embedded MongoDB server listening');
  let closing: Promise<void> | undefined;
  return {
    uri,
    port: listening.port,
    close: () => {
      closing ??= (async () => {
        clearInterval(sweeper);
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
