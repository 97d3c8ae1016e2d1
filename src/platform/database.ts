/**
 * The one place that knows about the embedded MongoDB-compatible server: with MONGODB_URI unset it is started with
 * its data in DATA_DIR/db and the app connects to it like to any MongoDB.
 */
import path from 'node:path';
import mongoose from 'mongoose';
import type pino from 'pino';
import type { Config } from '../config';
import { startMongoServer } from '../embedded-mongo';

export const EMBEDDED_DB_NAME = 'supplier_assessment';

export interface DatabaseHandle {
  connection: mongoose.Connection;
  /** Where the app is connected, without credentials (for the start-up banner). */
  describe: string;
  close(): Promise<void>;
}

interface EmbeddedServer {
  uri: string;
  close(): Promise<void>;
}

/**
 * Where the embedded server runs. In a worker thread its query work and socket handling use the second core instead of
 * competing with the app on the main event loop: measured with bench/form-render.ts (and a bare two-findOne route), a
 * page doing two round trips served 0.37 of the bare render rate with the server in a worker against 0.18 on the main
 * thread.
 */
export type EmbeddedThread = 'main' | 'worker';

async function startEmbedded(dataDir: string, logger: pino.Logger, thread: EmbeddedThread): Promise<EmbeddedServer> {
  const dbPath = path.join(dataDir, 'db');
  const server = await startMongoServer({ host: '127.0.0.1', port: 0, dbPath, thread });
  logger.info({ dbPath, uri: server.uri, thread }, 'embedded MongoDB-compatible server started');
  return server;
}

function withoutCredentials(uri: string): string {
  return uri.replace(/\/\/[^@/]+@/, '//');
}

export async function connectDatabase(
  config: Pick<Config, 'mongodbUri' | 'dataDir'>,
  logger: pino.Logger,
  options: { embeddedThread?: EmbeddedThread } = {},
): Promise<DatabaseHandle> {
  const embedded = config.mongodbUri ? undefined : await startEmbedded(config.dataDir, logger, options.embeddedThread ?? 'worker');
  const uri = config.mongodbUri ?? embedded?.uri;
  if (!uri) throw new Error('no database URI');
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: 10_000,
    ...(embedded ? { dbName: EMBEDDED_DB_NAME } : {}),
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await embedded?.close();
    throw new Error(`Could not connect to MongoDB at ${withoutCredentials(uri)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  logger.info({ db: connection.name }, 'database connected');
  return {
    connection,
    describe: embedded ? `embedded (${path.join(config.dataDir, 'db')})` : withoutCredentials(uri),
    async close() {
      await connection.close();
      await embedded?.close();
    },
  };
}
