/**
 * Starts the embedded server the way `startMongoServer` does, but with the knobs the durability tests need:
 * checkpoint thresholds, a clock for sessions (transaction lifetime) and direct access to storage and sessions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ObjectId } from 'bson';
import { newOpCounters, silentLogger, type Logger, type ServerContext } from '../../../src/embedded-mongo/commands/context';
import { CursorRegistry } from '../../../src/embedded-mongo/commands/cursors';
import { SessionRegistry } from '../../../src/embedded-mongo/commands/sessions';
import { listen } from '../../../src/embedded-mongo/server';
import { DurablePersistence, openStorage, type DurableOptions, type EmbeddedStorage } from '../../../src/embedded-mongo/storage';

export interface HarnessServer {
  uri: string;
  storage: EmbeddedStorage;
  /** Undefined in memory. */
  persistence: DurablePersistence | undefined;
  sessions: SessionRegistry;
  close(): Promise<void>;
}

export async function startHarnessServer(options: { dbPath?: string; durable?: DurableOptions; now?: () => number; logger?: Logger }): Promise<HarnessServer> {
  const logger = options.logger ?? silentLogger;
  const persistence = options.dbPath ? new DurablePersistence(options.dbPath, { ...options.durable, logger }) : undefined;
  const storage = await openStorage({ inMemory: true }, logger, { ttlIntervalMs: 0, persistence });
  const cursors = new CursorRegistry();
  const sessions = new SessionRegistry(storage, logger, options.now);
  const ctx: ServerContext = {
    storage,
    cursors,
    sessions,
    logger,
    opcounters: newOpCounters(),
    identity: { host: '127.0.0.1', port: 0, setName: 'embedded', electionId: new ObjectId(), startedAt: new Date(), inMemory: !options.dbPath, dbPath: options.dbPath },
  };
  let listening;
  try {
    listening = await listen('127.0.0.1', 0, ctx);
  } catch (err) {
    await storage.close();
    throw err;
  }
  ctx.identity.port = listening.port;
  const server = listening;
  return {
    uri: `mongodb://127.0.0.1:${listening.port}/?directConnection=true`,
    storage,
    persistence,
    sessions,
    close: async () => {
      await server.close();
      sessions.killAll();
      cursors.killAll();
      await storage.close();
    },
  };
}

export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `embedded-mongo-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A logger that keeps what it was told, for asserting on recovery reports. */
export function recordingLogger(): Logger & { lines: Array<{ level: string; obj: object; msg?: string }> } {
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const keep = (level: string) => (obj: object, msg?: string): void => {
    lines.push({ level, obj, msg });
  };
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}
