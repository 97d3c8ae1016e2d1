/**
 * Starts the embedded server through the same `serveStorage` as `startMongoServer`, but with the knobs the durability tests need:
 * checkpoint thresholds, a clock for sessions (transaction lifetime) and direct access to storage and sessions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveStorage } from '../../../src/embedded-mongo';
import { silentLogger, type Logger } from '../../../src/embedded-mongo/commands/context';
import type { SessionRegistry } from '../../../src/embedded-mongo/commands/sessions';
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
  const served = await serveStorage(storage, {
    host: '127.0.0.1',
    port: 0,
    logger,
    inMemory: !options.dbPath,
    dbPath: options.dbPath,
    now: options.now,
    backgroundSweeps: false,
  });
  return { uri: served.uri, storage, persistence, sessions: served.sessions, close: served.close };
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
