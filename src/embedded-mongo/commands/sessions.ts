/**
 * Logical sessions (lsid), multi-document transactions bound to them, and retryable writes.
 * A session's transaction number only grows; a transaction is identified by (lsid, txnNumber).
 */
import { createHash } from 'node:crypto';
import { Binary } from 'bson';
import { mongoError } from '../errors';
import type { Document, StorageEngine, TransactionHandle } from '../types';
import { binaryKey, isDocument, toBigInt } from './args';
import type { Logger } from './context';

export const SESSION_TIMEOUT_MINUTES = 30;
const SESSION_TIMEOUT_MS = SESSION_TIMEOUT_MINUTES * 60 * 1000;
export const TRANSACTION_LIFETIME_MS = 60 * 1000;
const TRANSIENT = ['TransientTransactionError'];
/** The `uid` of a session's id as mongod records it without authentication: the SHA-256 of the empty user name. */
const UNAUTHENTICATED_UID = new Binary(createHash('sha256').update('').digest());

type TxnState = 'active' | 'committed' | 'aborted';

interface SessionTransaction {
  txnNumber: bigint;
  handle: TransactionHandle;
  state: TxnState;
  startedAt: number;
  abortReason?: string;
}

export interface LogicalSession {
  readonly key: string;
  readonly id: Binary;
  lastUse: number;
  /** Highest txnNumber seen on this session (-1 before any). */
  txnNumber: bigint;
  transaction?: SessionTransaction;
  /**
   * The reply of the last retryable write (still pending while it runs), answered again when the same txnNumber
   * is retried instead of applying the write twice.
   */
  lastRetryable?: { txnNumber: bigint; reply: Promise<Document> };
}

const RETRYABLE_WRITES = new Set(['insert', 'update', 'delete', 'findAndModify']);
/** What MongoDB lets run inside a multi-document transaction. */
const TRANSACTION_COMMANDS = new Set([
  'find', 'getMore', 'killCursors', 'insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'aggregate',
  'distinct', 'create', 'createIndexes', 'commitTransaction', 'abortTransaction',
]);

/** How a command relates to the session's transactions, decided before it runs. */
export type SessionPlan =
  | { kind: 'none' }
  | { kind: 'transaction'; txn: TransactionHandle }
  | { kind: 'commit' | 'abort' }
  | { kind: 'retryable'; txnNumber: bigint; replay?: Promise<Document> };

export class SessionRegistry {
  private readonly sessions = new Map<string, LogicalSession>();

  constructor(
    private readonly storage: StorageEngine,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The session named by a command's `lsid` (created on first use), or undefined when there is none. */
  touch(lsid: unknown): LogicalSession | undefined {
    if (lsid === undefined) return undefined;
    const id = isDocument(lsid) ? lsid.id : undefined;
    const key = binaryKey(id);
    if (!key) throw mongoError('BadValue', 'lsid must be a document with a UUID id');
    let session = this.sessions.get(key);
    if (!session) {
      session = { key, id: id as Binary, lastUse: this.now(), txnNumber: -1n };
      this.sessions.set(key, session);
    }
    session.lastUse = this.now();
    return session;
  }

  /** Validates the session fields of a command and opens a transaction when `startTransaction` asks for one. */
  plan(session: LogicalSession | undefined, name: string, body: Document): SessionPlan {
    const txnNumber = body.txnNumber === undefined ? undefined : toBigInt(body.txnNumber);
    if (body.txnNumber !== undefined && txnNumber === undefined) throw mongoError('TypeMismatch', 'txnNumber must be an integer');
    const inTransaction = body.autocommit !== undefined;
    if (!session) {
      if (txnNumber !== undefined || inTransaction) {
        throw mongoError('InvalidOptions', 'Transaction numbers are only allowed on a session');
      }
      return { kind: 'none' };
    }
    if (txnNumber === undefined) {
      if (inTransaction) throw mongoError('InvalidOptions', 'autocommit requires a txnNumber');
      return { kind: 'none' };
    }
    if (inTransaction) return this.planTransaction(session, name, body, txnNumber);
    if (!RETRYABLE_WRITES.has(name)) {
      throw mongoError('IllegalOperation', `txnNumber may only be provided for multi-document transactions and retryable write commands. autocommit:false was not provided, and ${name} is not a retryable write command.`);
    }
    this.advance(session, txnNumber);
    const previous = session.lastRetryable;
    if (previous && previous.txnNumber === txnNumber) return { kind: 'retryable', txnNumber, replay: previous.reply };
    return { kind: 'retryable', txnNumber };
  }

  /** Remembers a retryable write while it runs; only a successful reply is kept for retries to replay. */
  recordRetryable(session: LogicalSession, txnNumber: bigint, reply: Promise<Document>): void {
    if (session.txnNumber !== txnNumber) return;
    const entry = { txnNumber, reply };
    session.lastRetryable = entry;
    const forget = (): void => {
      if (session.lastRetryable === entry) session.lastRetryable = undefined;
    };
    reply.then((doc) => doc.ok !== 1 && forget(), forget);
  }

  async commit(session: LogicalSession | undefined): Promise<void> {
    const txn = session?.transaction;
    if (!txn) throw noSuchTransaction(undefined);
    if (txn.state === 'committed') return; // a retried commit of a committed transaction succeeds
    if (txn.state === 'aborted') throw noSuchTransaction(txn);
    txn.state = 'committed';
    try {
      await this.storage.commitTransaction(txn.handle, { lsid: { id: session?.id, uid: UNAUTHENTICATED_UID }, txnNumber: txn.txnNumber });
    } catch (err) {
      txn.state = 'aborted';
      txn.abortReason = 'commit failed';
      throw err;
    }
  }

  abort(session: LogicalSession | undefined): void {
    const txn = session?.transaction;
    if (!txn) throw noSuchTransaction(undefined);
    if (txn.state === 'committed') throw mongoError('TransactionCommitted', `Transaction ${txn.txnNumber} has been committed.`);
    if (txn.state === 'aborted') throw noSuchTransaction(txn);
    this.abortTransaction(txn, 'aborted by the client');
  }

  /** MongoDB aborts a transaction when any command inside it fails. */
  abortAfterError(session: LogicalSession | undefined, reason: string): void {
    const txn = session?.transaction;
    if (txn?.state === 'active') this.abortTransaction(txn, reason);
  }

  end(lsids: unknown[]): Set<string> {
    const ended = new Set<string>();
    for (const lsid of lsids) {
      const key = binaryKey(isDocument(lsid) ? lsid.id : undefined);
      const session = key ? this.sessions.get(key) : undefined;
      if (!session) continue;
      this.endSession(session, 'session ended');
      ended.add(session.key);
    }
    return ended;
  }

  killAll(): void {
    for (const session of [...this.sessions.values()]) this.endSession(session, 'all sessions killed');
  }

  /** Ends sessions idle for longer than the timeout and aborts transactions that outlived their lifetime. */
  sweep(): { expiredSessions: Set<string>; abortedTransactions: number } {
    const now = this.now();
    const expiredSessions = new Set<string>();
    let abortedTransactions = 0;
    for (const session of [...this.sessions.values()]) {
      if (now - session.lastUse > SESSION_TIMEOUT_MS) {
        this.endSession(session, 'session expired');
        expiredSessions.add(session.key);
      } else if (session.transaction?.state === 'active' && now - session.transaction.startedAt > TRANSACTION_LIFETIME_MS) {
        this.abortTransaction(session.transaction, 'transaction lifetime limit exceeded');
        abortedTransactions++;
      }
    }
    return { expiredSessions, abortedTransactions };
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Every open session: its id and when a command last used it. */
  list(): Array<{ id: Binary; lastUse: Date }> {
    return [...this.sessions.values()].map((session) => ({ id: session.id, lastUse: new Date(session.lastUse) }));
  }

  private planTransaction(session: LogicalSession, name: string, body: Document, txnNumber: bigint): SessionPlan {
    if (body.autocommit !== false) throw mongoError('InvalidOptions', 'autocommit must be false when present');
    if (name === 'count') throw mongoError('Location50851', "Cannot run 'count' in a multi-document transaction.");
    if (!TRANSACTION_COMMANDS.has(name)) {
      throw mongoError('OperationNotSupportedInTransaction', `Cannot run '${name}' in a multi-document transaction.`);
    }
    if (body.startTransaction !== undefined) {
      if (body.startTransaction !== true) throw mongoError('InvalidOptions', 'startTransaction must be true when present');
      if (name === 'commitTransaction' || name === 'abortTransaction') {
        throw mongoError('InvalidOptions', `${name} cannot start a transaction`);
      }
      if (txnNumber <= session.txnNumber && session.transaction?.txnNumber === txnNumber) {
        throw mongoError('IllegalOperation', `Transaction ${txnNumber} was already started on this session`);
      }
      this.advance(session, txnNumber);
      const handle = this.storage.beginTransaction();
      session.transaction = { txnNumber, handle, state: 'active', startedAt: this.now() };
      return { kind: 'transaction', txn: handle };
    }
    if (txnNumber < session.txnNumber) throw tooOld(txnNumber, session.txnNumber);
    const txn = session.transaction;
    if (!txn || txn.txnNumber !== txnNumber) throw noSuchTransaction(undefined, txnNumber);
    if (name === 'commitTransaction') return { kind: 'commit' };
    if (name === 'abortTransaction') return { kind: 'abort' };
    if (txn.state === 'committed') throw mongoError('TransactionCommitted', `Transaction ${txnNumber} has been committed.`);
    if (txn.state === 'aborted') throw noSuchTransaction(txn);
    return { kind: 'transaction', txn: txn.handle };
  }

  /** Moves the session to a newer txnNumber, abandoning an unfinished older transaction. */
  private advance(session: LogicalSession, txnNumber: bigint): void {
    if (txnNumber < session.txnNumber) throw tooOld(txnNumber, session.txnNumber);
    if (txnNumber > session.txnNumber) {
      if (session.transaction?.state === 'active') this.abortTransaction(session.transaction, 'a newer transaction started');
      session.txnNumber = txnNumber;
    }
  }

  private abortTransaction(txn: SessionTransaction, reason: string): void {
    txn.state = 'aborted';
    txn.abortReason = reason;
    try {
      this.storage.abortTransaction(txn.handle);
    } catch (err) {
      this.logger.warn({ err, txnNumber: String(txn.txnNumber) }, 'aborting a transaction failed');
    }
  }

  private endSession(session: LogicalSession, reason: string): void {
    if (session.transaction?.state === 'active') this.abortTransaction(session.transaction, reason);
    this.sessions.delete(session.key);
  }
}

function tooOld(txnNumber: bigint, current: bigint): Error {
  return mongoError('TransactionTooOld', `txnNumber ${txnNumber} is less than last txnNumber ${current} seen in session`);
}

function noSuchTransaction(txn: SessionTransaction | undefined, txnNumber?: bigint): Error {
  const message = txn
    ? `Transaction with { txnNumber: ${txn.txnNumber} } has been aborted${txn.abortReason ? ` (${txn.abortReason})` : ''}.`
    : `Given transaction number ${txnNumber ?? ''} does not match any in-progress transactions.`.replace('number  does', 'number does');
  return mongoError('NoSuchTransaction', message, {}, TRANSIENT);
}
