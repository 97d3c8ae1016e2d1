/** What every command handler receives, and the services it can use. */
import type { ObjectId } from 'bson';
import type { Document, StorageEngine, TransactionHandle } from '../types';
import type { CursorRegistry } from './cursors';
import type { FailPoints } from './fail-points';
import type { LogicalSession, SessionRegistry } from './sessions';

/** The subset of pino's logger the server uses (a pino logger fits as is). */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Facts about the listening server that hello, buildInfo and friends report. */
export interface ServerIdentity {
  host: string;
  port: number;
  setName: string;
  electionId: ObjectId;
  startedAt: Date;
  inMemory: boolean;
  dbPath?: string;
}

export interface ConnectionInfo {
  readonly id: number;
  /** "ip:port" of the peer. */
  readonly remote: string;
  /** Aborted when the connection closes (a waiting getMore stops waiting). */
  readonly closedSignal?: AbortSignal;
  /** `client.application.name` of the connection's handshake, when the client sent one. */
  appName?: string;
}

/** What serverStatus reports about client connections and the bytes they moved. */
export interface ConnectionStats {
  /** Open client connections. */
  current: number;
  /** Connections accepted since the server started. */
  totalCreated: number;
  /** Connections with a command in progress right now. */
  active: number;
  /** Connections refused because `maxIncomingConnections` were open. */
  rejected: number;
  maxIncoming: number;
  bytesIn: number;
  bytesOut: number;
  requests: number;
}

export interface ServerContext {
  storage: StorageEngine;
  cursors: CursorRegistry;
  sessions: SessionRegistry;
  logger: Logger;
  identity: ServerIdentity;
  /** The listener's connection statistics (set once it listens). */
  connectionStats?: ConnectionStats;
  /** Commands served, by MongoDB's serverStatus categories. */
  opcounters: OpCounters;
  /** Present when the server was started with test commands (configureFailPoint and friends). */
  failPoints?: FailPoints;
}

export interface OpCounters {
  insert: number;
  query: number;
  update: number;
  delete: number;
  getmore: number;
  command: number;
}

export function newOpCounters(): OpCounters {
  return { insert: 0, query: 0, update: 0, delete: 0, getmore: 0, command: 0 };
}

export interface Invocation {
  /** The command name exactly as sent (first key of the body). */
  name: string;
  body: Document;
  /** `$db` of the request. */
  db: string;
  conn: ConnectionInfo;
  ctx: ServerContext;
  session: LogicalSession | undefined;
  /** The open multi-document transaction this command runs in, if any. */
  txn: TransactionHandle | undefined;
  /** False for fire-and-forget (w: 0) writes, which need not wait for the journal. */
  durable: boolean;
}

export type CommandHandler = (inv: Invocation) => Promise<Document>;
