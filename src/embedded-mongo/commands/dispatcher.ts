/**
 * Routes a command body to its handler and wraps session/transaction bookkeeping around it.
 * Every failure becomes an error reply; nothing thrown here reaches the connection.
 */
import { Binary } from 'bson';
import { ErrorCodes, errorReply, mongoError, MongoServerError } from '../errors';
import type { Document } from '../types';
import { isDocument, validateDatabaseName } from './args';
import type { CommandHandler, ConnectionInfo, Invocation, OpCounters, ServerContext } from './context';
import { aggregateCommands } from './aggregate';
import { catalogCommands } from './catalog';
import { checkCommandFields } from './command-fields';
import { explainCommands } from './explain';
import { CloseConnectionRequest, FailPointError, testCommands, type FailCommandAction } from './fail-points';
import { findAndModifyCommands } from './find-and-modify';
import { handshakeCommands } from './handshake';
import { indexCommands } from './indexes';
import { readCommands } from './reads';
import { sessionCommands } from './session-commands';
import type { SessionPlan } from './sessions';
import { writeCommands } from './writes';

const HANDLERS: ReadonlyMap<string, CommandHandler> = new Map(
  Object.entries({
    ...handshakeCommands,
    ...catalogCommands,
    ...indexCommands,
    ...writeCommands,
    ...readCommands,
    ...findAndModifyCommands,
    ...aggregateCommands,
    ...explainCommands,
    ...sessionCommands,
    listCommands: async (inv) => ({ commands: listCommands(inv.ctx), ok: 1 }),
  }),
);

/** Commands that exist only on a server started with test commands, as in mongod. */
const TEST_HANDLERS: ReadonlyMap<string, CommandHandler> = new Map(Object.entries(testCommands));

function handlerFor(name: string, ctx: ServerContext): CommandHandler | undefined {
  return HANDLERS.get(name) ?? (ctx.failPoints ? TEST_HANDLERS.get(name) : undefined);
}

function listCommands(ctx: ServerContext): Document {
  const commands: Document = {};
  const names = [...HANDLERS.keys(), ...(ctx.failPoints ? TEST_HANDLERS.keys() : [])];
  for (const name of names.sort()) commands[name] = { help: '', requiresAuth: false, adminOnly: false };
  return commands;
}

export function isKnownCommand(name: string): boolean {
  return HANDLERS.has(name);
}

export interface DispatchOptions {
  /** Database to use when the body has no `$db` (legacy OP_QUERY names it in the collection name). */
  defaultDb?: string;
  /** The reply will not be sent (moreToCome / w: 0). */
  unacknowledged?: boolean;
}

export async function dispatch(body: Document, conn: ConnectionInfo, ctx: ServerContext, options: DispatchOptions = {}): Promise<Document> {
  return withClusterTime(await answer(body, conn, ctx, options), ctx);
}

/**
 * Every reply of a replica-set member carries the cluster time (the driver gossips it back and uses operationTime
 * for causal consistency and to resume change streams). Without authentication the signature is all zeros.
 */
function withClusterTime(reply: Document, ctx: ServerContext): Document {
  const clusterTime = ctx.storage.clusterTime();
  if (reply.operationTime === undefined) reply.operationTime = clusterTime;
  reply.$clusterTime = { clusterTime, signature: { hash: UNSIGNED_HASH, keyId: 0n } };
  return reply;
}

const UNSIGNED_HASH = new Binary(Buffer.alloc(20));

async function answer(body: Document, conn: ConnectionInfo, ctx: ServerContext, options: DispatchOptions): Promise<Document> {
  let invocation: Invocation | undefined;
  try {
    invocation = prepare(body, conn, ctx, options);
    return await run(invocation);
  } catch (err) {
    if (err instanceof CloseConnectionRequest) throw err;
    if (invocation?.session && invocation.txn) ctx.sessions.abortAfterError(invocation.session, `${invocation.name} failed`);
    if (invocation?.body.autocommit === false) labelTransient(err);
    if (!(err instanceof MongoServerError)) {
      ctx.logger.error({ err, command: Object.keys(body)[0], connectionId: conn.id }, 'command failed unexpectedly');
    }
    return errorReply(err);
  }
}

/** A write conflict inside a transaction is transient: the whole transaction may be retried. */
function labelTransient(err: unknown): void {
  if (!(err instanceof MongoServerError) || err instanceof FailPointError || err.code !== ErrorCodes.WriteConflict) return;
  const labels = err.errorLabels ?? [];
  if (!labels.includes('TransientTransactionError')) err.errorLabels = [...labels, 'TransientTransactionError'];
}

function prepare(body: Document, conn: ConnectionInfo, ctx: ServerContext, options: DispatchOptions): Invocation {
  const name = Object.keys(body)[0];
  if (name === undefined) throw mongoError('FailedToParse', 'Command body is empty');
  const handler = handlerFor(name, ctx);
  if (!handler) throw mongoError('CommandNotFound', `no such command: '${name}'`);
  checkCommandFields(name, body);
  const db = typeof body.$db === 'string' ? body.$db : options.defaultDb;
  if (db === undefined) throw mongoError('FailedToParse', "BSON field '$db' is missing but a required field");
  validateDatabaseName(db);
  const session = ctx.sessions.touch(body.lsid);
  const writeConcern = isDocument(body.writeConcern) ? body.writeConcern : undefined;
  const unacknowledged = options.unacknowledged === true || writeConcern?.w === 0;
  return { name, body, db, conn, ctx, session, txn: undefined, durable: !unacknowledged };
}

const COUNTER_OF: Readonly<Record<string, keyof OpCounters>> = { insert: 'insert', find: 'query', update: 'update', delete: 'delete', getMore: 'getmore' };

async function run(inv: Invocation): Promise<Document> {
  inv.ctx.opcounters[COUNTER_OF[inv.name] ?? 'command']++;
  const plan = inv.ctx.sessions.plan(inv.session, inv.name, inv.body);
  if (plan.kind === 'transaction') inv.txn = plan.txn;
  // Like mongod, the fail point acts once the session and transaction are set up, before the command runs.
  const injected = inv.ctx.failPoints?.evaluate(inv);
  return injected ? runInjected(injected, () => runPlanned(inv, plan)) : runPlanned(inv, plan);
}

/** Blocks, closes the connection, fails, or runs the command and adds the write concern error, as the fail point says. */
async function runInjected(injected: FailCommandAction, execute: () => Promise<Document>): Promise<Document> {
  if (injected.blockTimeMS) await new Promise((resolve) => setTimeout(resolve, injected.blockTimeMS));
  if (injected.closeConnection) throw new CloseConnectionRequest();
  if (injected.error) throw injected.error;
  const reply = await execute();
  return injected.writeConcernError && reply.ok === 1 ? { ...reply, writeConcernError: injected.writeConcernError } : reply;
}

async function runPlanned(inv: Invocation, plan: SessionPlan): Promise<Document> {
  const handler = handlerFor(inv.name, inv.ctx) as CommandHandler;
  switch (plan.kind) {
    case 'none':
      return handler(inv);
    case 'commit':
      await inv.ctx.sessions.commit(inv.session);
      return { ok: 1 };
    case 'abort':
      inv.ctx.sessions.abort(inv.session);
      return { ok: 1 };
    case 'transaction':
      return handler(inv);
    case 'retryable': {
      if (plan.replay) return plan.replay;
      const reply = handler(inv);
      if (inv.session) inv.ctx.sessions.recordRetryable(inv.session, plan.txnNumber, reply);
      return reply;
    }
  }
}
