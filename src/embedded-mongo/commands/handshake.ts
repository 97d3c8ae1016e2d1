/** Handshake, monitoring and diagnostic commands: what a driver asks about the server itself. */
import os from 'node:os';
import { Timestamp } from 'bson';
import { mongoError } from '../errors';
import type { Document } from '../types';
import { isDocument } from './args';
import type { CommandHandler, ConnectionStats, Invocation } from './context';
import { SESSION_TIMEOUT_MINUTES } from './sessions';

export const SERVER_VERSION = '7.0.0';
const MAX_WIRE_VERSION = 21; // MongoDB 7.0
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;

function hostPort(inv: Invocation): string {
  const host = inv.ctx.identity.host;
  return `${host.includes(':') ? `[${host}]` : host}:${inv.ctx.identity.port}`;
}

/**
 * A single-node replica set primary: the driver only allows sessions, transactions and retryable writes against
 * replica-set members (a standalone gets none of them). No `topologyVersion` (that would switch the driver to
 * streaming monitoring) and no compressors.
 */
function helloReply(inv: Invocation, legacy: boolean): Document {
  rememberAppName(inv);
  const me = hostPort(inv);
  const now = new Date();
  const opTime = { ts: new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 }), t: 1n };
  return {
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    helloOk: true,
    setName: inv.ctx.identity.setName,
    setVersion: 1,
    hosts: [me],
    primary: me,
    me,
    secondary: false,
    electionId: inv.ctx.identity.electionId,
    lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: now,
    logicalSessionTimeoutMinutes: SESSION_TIMEOUT_MINUTES,
    connectionId: inv.conn.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

/** The application name a client gives in its handshake metadata (what failCommand's `appName` matches). */
function rememberAppName(inv: Invocation): void {
  const client = inv.body.client;
  const application = isDocument(client) ? client.application : undefined;
  const name = isDocument(application) ? application.name : undefined;
  if (typeof name === 'string' && inv.conn.appName === undefined) inv.conn.appName = name;
}

function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    gitVersion: 'embedded',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['embedded'],
    javascriptEngine: 'none',
    modules: [],
    openssl: { running: 'disabled' },
    buildEnvironment: {},
    ok: 1,
  };
}

const NOT_LISTENING: ConnectionStats = { current: 0, totalCreated: 0, active: 0, rejected: 0, maxIncoming: 0, bytesIn: 0, bytesOut: 0, requests: 0 };

/** serverStatus's `connections` and `network` sections, as mongod names their fields. */
function connectionSections(stats: ConnectionStats = NOT_LISTENING): Document {
  const { current, totalCreated, active, rejected } = stats;
  const bytesIn = BigInt(stats.bytesIn);
  const bytesOut = BigInt(stats.bytesOut);
  return {
    connections: {
      current,
      available: Math.max(0, stats.maxIncoming - current),
      totalCreated,
      rejected,
      active,
      threaded: current,
      exhaustIsMaster: 0,
      exhaustHello: 0,
      awaitingTopologyChanges: 0,
    },
    // No compression: the physical bytes are the logical ones.
    network: {
      bytesIn,
      bytesOut,
      physicalBytesIn: bytesIn,
      physicalBytesOut: bytesOut,
      numSlowDNSOperations: 0n,
      numSlowSSLOperations: 0n,
      numRequests: BigInt(stats.requests),
    },
  };
}

/** serverStatus's `repl` section of the one-member replica set (what hello says, from the server's side). */
function replicaSetSection(inv: Invocation): Document {
  const me = hostPort(inv);
  return {
    hosts: [me],
    setName: inv.ctx.identity.setName,
    setVersion: 1,
    isWritablePrimary: true,
    secondary: false,
    primary: me,
    me,
    electionId: inv.ctx.identity.electionId,
    rbid: 1,
  };
}

const noAuth: CommandHandler = async (inv) => {
  throw mongoError('AuthenticationFailed', `${inv.name}: authentication is not supported by the embedded server; connect without credentials`);
};

export const handshakeCommands: Record<string, CommandHandler> = {
  hello: async (inv) => helloReply(inv, false),
  isMaster: async (inv) => helloReply(inv, true),
  ismaster: async (inv) => helloReply(inv, true),
  ping: async () => ({ ok: 1 }),
  buildInfo: async () => buildInfo(),
  buildinfo: async () => buildInfo(),
  hostInfo: async () => ({
    system: {
      currentTime: new Date(),
      hostname: os.hostname(),
      cpuAddrSize: 64,
      memSizeMB: Math.round(os.totalmem() / 1024 / 1024),
      numCores: os.cpus().length,
      cpuArch: os.arch(),
    },
    os: { type: os.type(), name: os.platform(), version: os.release() },
    extra: {},
    ok: 1,
  }),
  getParameter: async (inv) => getParameter(inv.body, { ...PARAMETERS, enableTestCommands: inv.ctx.failPoints !== undefined }),
  serverStatus: async (inv) => {
    const memory = process.memoryUsage();
    const uptimeMs = Date.now() - inv.ctx.identity.startedAt.getTime();
    return {
      host: hostPort(inv),
      version: SERVER_VERSION,
      process: 'embedded-mongo',
      pid: BigInt(process.pid),
      uptime: Math.floor(uptimeMs / 1000),
      uptimeMillis: BigInt(uptimeMs),
      uptimeEstimate: BigInt(Math.floor(uptimeMs / 1000)),
      localTime: new Date(),
      ...connectionSections(inv.ctx.connectionStats),
      repl: replicaSetSection(inv),
      mem: { bits: 64, resident: Math.round(memory.rss / 1024 / 1024), virtual: 0 },
      opcounters: { ...inv.ctx.opcounters },
      metrics: { cursor: { open: { total: inv.ctx.cursors.size } } },
      logicalSessionRecordCache: { activeSessionsCount: inv.ctx.sessions.size },
      storageEngine: { name: 'embedded', persistent: !inv.ctx.identity.inMemory },
      ok: 1,
    };
  },
  connectionStatus: async () => ({
    authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
    ok: 1,
  }),
  whatsmyuri: async (inv) => ({ you: inv.conn.remote, ok: 1 }),
  getLog: async (inv) => {
    const which = inv.body.getLog;
    if (which === '*') return { names: ['global', 'startupWarnings'], ok: 1 };
    if (which === 'global' || which === 'startupWarnings') return { totalLinesWritten: 0, log: [], ok: 1 };
    throw mongoError('BadValue', `no RamLog named: ${String(which)}`);
  },
  getCmdLineOpts: async (inv) => ({
    argv: process.argv.slice(1),
    parsed: {
      net: { bindIp: inv.ctx.identity.host, port: inv.ctx.identity.port },
      storage: inv.ctx.identity.inMemory ? { engine: 'inMemory' } : { dbPath: inv.ctx.identity.dbPath },
    },
    ok: 1,
  }),
  saslStart: noAuth,
  saslContinue: noAuth,
  authenticate: noAuth,
  logout: noAuth,
  getnonce: noAuth,
  createUser: noAuth,
};

const PARAMETERS: Document = {
  featureCompatibilityVersion: { version: '7.0' },
  transactionLifetimeLimitSeconds: 60,
  cursorTimeoutMillis: BigInt(10 * 60 * 1000),
  localLogicalSessionTimeoutMinutes: SESSION_TIMEOUT_MINUTES,
  maxBSONDepth: 100,
  authenticationMechanisms: [],
  requireApiVersion: false,
};

function getParameter(body: Document, parameters: Document): Document {
  const selector = body.getParameter;
  if (selector === '*' || (isDocument(selector) && selector.allParameters === true)) return { ...parameters, ok: 1 };
  const reply: Document = {};
  for (const key of Object.keys(body)) {
    if (key === 'getParameter' || key.startsWith('$') || key === 'lsid' || key === 'comment') continue;
    if (!Object.hasOwn(parameters, key)) throw mongoError('InvalidOptions', `no option found to get: ${key}`);
    reply[key] = parameters[key];
  }
  if (Object.keys(reply).length === 0) throw mongoError('InvalidOptions', 'no option found to get');
  return { ...reply, ok: 1 };
}
